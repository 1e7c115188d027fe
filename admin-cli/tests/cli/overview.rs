//! `overview`.

use serde_json::Value;

use crate::common::setup;

#[tokio::test]
async fn overview_shows_queues_outbox_and_jobs() {
    let mut env = setup().await;
    env.worker().await;
    env.cli_login().await;
    let job = env.upload().await;
    env.wait_status(job, "succeeded").await;
    let run = env.run(&["overview"], &[]).await;
    run.expect(0);
    for part in [
        "queues (source: ",
        ".jobs",
        "outbox",
        "jobs last hour",
        "stuck jobs",
        "dead letters",
    ] {
        assert!(run.stdout.contains(part), "{part} missing:\n{}", run.stdout);
    }
    assert!(
        run.stdout.contains("succeeded 1") || run.stdout.contains("succeeded 2"),
        "{}",
        run.stdout
    );
    let run = env.run(&["overview", "--json"], &[]).await;
    run.expect(0);
    let v: Value = serde_json::from_str(&run.stdout).expect("json");
    assert!(v["queues"]["queues"].is_array(), "{v}");
}
