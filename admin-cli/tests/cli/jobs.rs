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
