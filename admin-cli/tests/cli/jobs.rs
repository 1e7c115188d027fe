//! `jobs`: the table, JSON, filters.

use serde_json::Value;

use crate::common::setup;

#[tokio::test]
async fn jobs_lists_dead_jobs_as_a_table_and_as_json() {
    let env = setup().await;
    env.cli_login().await;
    let dead = env
        .dead_job_unrun("analysis failed: samples missing\nsecond line")
        .await;
    let _queued = env.upload().await;

    let run = env.run(&["jobs", "--status", "dead"], &[]).await;
    run.expect(0);
    let table: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with(&dead.to_string()) || l.starts_with("ID "))
        .collect();
    assert_eq!(table.len(), 2, "{}", run.stdout);
    assert!(
        table[0].starts_with("ID ") && table[0].contains("ERROR"),
        "{}",
        run.stdout
    );
    let row = table[1];
    assert!(row.contains("analyze_session"), "{row}");
    assert!(row.contains(" dead "), "{row}");
    assert!(row.contains(" 5 "), "{row}");
    assert!(
        row.contains("analysis failed: samples missing second line"),
        "{row}"
    );

    let run = env.run(&["jobs", "--status", "dead", "--json"], &[]).await;
    run.expect(0);
    let v: Value = serde_json::from_str(&run.stdout).expect("json");
    let jobs = v["jobs"].as_array().expect("jobs");
    assert_eq!(jobs.len(), 1, "{v}");
    assert_eq!(jobs[0]["id"], dead.to_string());
    assert_eq!(jobs[0]["status"], "dead");

    // Nothing matches: still a success.
    let run = env.run(&["jobs", "--status", "running"], &[]).await;
    run.expect(0);
    assert!(run.stdout.contains("no jobs match"), "{}", run.stdout);
}

#[tokio::test]
async fn jobs_all_follows_the_pages() {
    let env = setup().await;
    env.cli_login().await;
    for _ in 0..3 {
        env.dead_job_unrun("x").await;
    }
    let run = env
        .run(&["jobs", "--status", "dead", "--limit", "1"], &[])
        .await;
    run.expect(0);
    assert!(run.stdout.contains("dead 3"), "{}", run.stdout);
    assert!(run.stdout.contains("… more: 1 shown"), "{}", run.stdout);
    let run = env
        .run(
            &[
                "jobs", "--status", "dead", "--limit", "1", "--all", "--json",
            ],
            &[],
        )
        .await;
    run.expect(0);
    let v: Value = serde_json::from_str(&run.stdout).expect("json");
    let mut ids: Vec<&str> = v["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .map(|j| j["id"].as_str().expect("id"))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 3, "{v}");
    assert_eq!(v["counts"]["dead"], 3);
    assert!(v["next_cursor"].is_null(), "{v}");
}
