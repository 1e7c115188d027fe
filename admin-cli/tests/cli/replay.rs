//! `replay ID` and `job ID`.

use crate::common::setup;

#[tokio::test]
async fn replay_one_job_follows_it_until_it_succeeds() {
    let mut env = setup().await;
    env.worker().await;
    env.cli_login().await;
    let job = env.dead_job("boom").await;

    let run = env
        .run(&["replay", &job.to_string(), "--timeout", "60s"], &[])
        .await;
    run.expect(0);
    assert!(
        run.stdout
            .contains(&format!("job {job} succeeded after 1 attempt")),
        "stdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
    // Progress on stderr (no terminal: one line per change of status).
    assert!(
        run.stderr
            .contains(&format!("replaying job {job} (analyze_session): queued")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("→ succeeded"), "{}", run.stderr);
    assert_eq!(env.job_status(job).await, "succeeded");

    // The detail shows the attempts.
    let run = env.run(&["job", &job.to_string()], &[]).await;
    run.expect(0);
    assert!(
        run.stdout.contains("status            succeeded"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("ATTEMPT"), "{}", run.stdout);

    // Replaying a job that is not dead: the API's conflict, exit 6.
    let run = env.run(&["replay", &job.to_string()], &[]).await;
    run.expect(6);
    assert!(
        run.stderr
            .contains("only dead or failed jobs can be replayed"),
        "{}",
        run.stderr
    );
    // An unknown job.
    env.run(&["job", &uuid::Uuid::new_v4().to_string()], &[])
        .await
        .expect(6);
}

#[tokio::test]
async fn a_replay_that_dies_again_exits_1() {
    let mut env = setup().await;
    env.worker_with(&[("HOOFBEAT_MAX_ATTEMPTS", "2")]).await;
    env.cli_login().await;
    let job = env.dead_job("boom").await;
    env.corrupt_samples(job).await;
    let run = env
        .run(&["replay", &job.to_string(), "--timeout", "60s"], &[])
        .await;
    run.expect(1);
    assert!(
        run.stdout.contains(&format!("job {job} dead after")),
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn following_stops_at_the_timeout_with_exit_1() {
    // No worker: the replayed job stays queued.
    let env = setup().await;
    env.cli_login().await;
    let job = env.dead_job_unrun("boom").await;
    let run = env
        .run(&["replay", &job.to_string(), "--timeout", "1s"], &[])
        .await;
    run.expect(1);
    assert!(
        run.stdout
            .contains(&format!("job {job} still queued after 1s (--timeout)")),
        "{}",
        run.stdout
    );
}
