//! Bulk replay and re-analysis: dry run, confirmation, progress, summary;
//! the audit log they leave.

use serde_json::Value;

use crate::common::setup;

#[tokio::test]
async fn bulk_replay_dry_runs_confirms_follows_and_sums_up() {
    let mut env = setup().await;
    env.worker().await;
    let (email, _) = env.cli_login().await;
    let a = env.dead_job("broker said no").await;
    let b = env.dead_job("broker said no").await;

    // No terminal and no --yes: the dry run's count, then a refusal; nothing replayed.
    let run = env
        .run(&["replay", "--status", "dead", "--since", "1h"], &[])
        .await;
    run.expect(2);
    assert!(run.stdout.contains("2 jobs match"), "{}", run.stdout);
    assert!(run.stderr.contains("--yes"), "{}", run.stderr);
    assert_eq!(env.job_status(a).await, "dead");

    let run = env
        .run(
            &[
                "replay",
                "--status",
                "dead",
                "--since",
                "1h",
                "--yes",
                "--timeout",
                "60s",
            ],
            &[],
        )
        .await;
    run.expect(0);
    assert!(
        run.stdout.contains("replayed 2: 2 succeeded, 0 dead"),
        "stdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
    assert!(
        run.stderr
            .contains("progress: 2/2 ended (2 succeeded, 0 dead"),
        "{}",
        run.stderr
    );
    assert_eq!(env.job_status(a).await, "succeeded");
    assert_eq!(env.job_status(b).await, "succeeded");

    // Nothing left: a success that says so.
    let run = env
        .run(
            &["replay", "--status", "dead", "--since", "1h", "--yes"],
            &[],
        )
        .await;
    run.expect(0);
    assert!(run.stdout.contains("nothing to replay"), "{}", run.stdout);

    // Usage errors: no filter at all, a status that cannot be replayed, ID and filters.
    env.run(&["replay"], &[]).await.expect(2);
    env.run(&["replay", "--status", "queued", "--yes"], &[])
        .await
        .expect(2);
    env.run(&["replay", &a.to_string(), "--status", "dead"], &[])
        .await
        .expect(2);

    // The audit log has it: who, what, how many.
    let run = env.run(&["audit"], &[]).await;
    run.expect(0);
    let line = run
        .stdout
        .lines()
        .find(|l| l.contains(&email) && l.contains(" 2 "))
        .unwrap_or_else(|| panic!("no audit row for the bulk replay:\n{}", run.stdout));
    assert!(line.contains("status=dead"), "{line}");
    let run = env.run(&["audit", "--json", "--limit", "5"], &[]).await;
    run.expect(0);
    let v: Value = serde_json::from_str(&run.stdout).expect("json");
    assert!(!v["entries"].as_array().expect("entries").is_empty(), "{v}");
}

#[tokio::test]
async fn a_bulk_replay_with_jobs_dying_again_exits_1() {
    let mut env = setup().await;
    env.worker_with(&[("HOOFBEAT_MAX_ATTEMPTS", "2")]).await;
    env.cli_login().await;
    let good = env.dead_job("x").await;
    let bad = env.dead_job("x").await;
    env.corrupt_samples(bad).await;
    let run = env
        .run(
            &["replay", "--status", "dead", "--yes", "--timeout", "60s"],
            &[],
        )
        .await;
    run.expect(1);
    assert!(
        run.stdout.contains("replayed 2: 1 succeeded, 1 dead"),
        "{}",
        run.stdout
    );
    assert_eq!(env.job_status(good).await, "succeeded");
    assert_eq!(env.job_status(bad).await, "dead");
}

#[tokio::test]
async fn reanalyze_enqueues_sessions_of_an_older_version() {
    let mut env = setup().await;
    env.worker().await;
    env.cli_login().await;
    let job = env.upload().await;
    env.wait_status(job, "succeeded").await;
    // Nothing older than the current version yet.
    let run = env.run(&["reanalyze", "--yes"], &[]).await;
    run.expect(0);
    assert!(
        run.stdout.contains("nothing to re-analyze"),
        "{}",
        run.stdout
    );

    sqlx::query("UPDATE analysis_results SET algorithm_version = 'aggregation/0.0.1'")
        .execute(&env.db)
        .await
        .unwrap();
    let run = env.run(&["reanalyze"], &[]).await;
    run.expect(2);
    assert!(
        run.stdout.contains("1 session has a result older than"),
        "{}",
        run.stdout
    );
    let run = env
        .run(
            &["reanalyze", "--older-than", "aggregation/1.0.0", "--yes"],
            &[],
        )
        .await;
    run.expect(0);
    assert!(run.stdout.contains("enqueued 1 job "), "{}", run.stdout);
    let new_job: uuid::Uuid = run
        .stdout
        .lines()
        .find_map(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("no job id in {}", run.stdout));
    env.wait_status(new_job, "succeeded").await;
    let versions: i64 = sqlx::query_scalar("SELECT count(*) FROM analysis_results")
        .fetch_one(&env.db)
        .await
        .unwrap();
    assert_eq!(versions, 2, "the new result is stored beside the old one");
}
