//! The worker when a dependency fails under it: broker links cut by a
//! proxy or closed from the broker's side mid-stream, Postgres unreachable.
//! Nothing is lost, nothing runs twice, the worker reconnects by itself.

use std::process::Command;
use std::time::Duration;

use crate::LONG;
use crate::common::*;

#[tokio::test]
async fn broker_links_dropped_during_a_stream_of_jobs() {
    let env = setup().await;
    let proxy = Proxy::start("127.0.0.1:5672").await;
    let a = env.worker_via(
        &[("HOOFBEAT_FAULT_DELAY_MS", "150")],
        None,
        Some(proxy.addr),
    );
    let b = env.worker_via(
        &[("HOOFBEAT_FAULT_DELAY_MS", "150")],
        None,
        Some(proxy.addr),
    );
    a.ready().await;
    b.ready().await;
    let (token, horse) = env.rider().await;
    let mut jobs = Vec::new();
    for i in 0..12 {
        jobs.push(env.upload(&token, horse, tiny_csv()).await);
        if i == 4 || i == 8 {
            proxy.cut();
            tokio::time::sleep(Duration::from_millis(300)).await;
            proxy.restore();
        }
    }
    let jobs: Vec<_> = jobs.into_iter().map(|(_, job)| job).collect();
    env.assert_all_succeeded_once(&jobs, 12, LONG).await;
}

#[tokio::test]
async fn jobs_wait_while_postgres_is_cut_off_and_complete_after() {
    let env = setup().await;
    let proxy = Proxy::start("127.0.0.1:5432").await;
    let mut worker = env.worker_via(&[], Some(proxy.addr), None);
    worker.ready().await;
    proxy.cut();
    let (token, horse) = env.rider().await;
    let mut jobs = Vec::new();
    for _ in 0..3 {
        jobs.push(env.upload(&token, horse, tiny_csv()).await.1);
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    for job in &jobs {
        assert_eq!(
            env.job_status(*job).await.0,
            "queued",
            "nothing runs while the database is unreachable"
        );
    }
    assert!(worker.child_alive(), "the worker does not crash");
    proxy.restore();
    env.assert_all_succeeded_once(&jobs, 3, LONG).await;
}

/// Closes, from the broker's side, every connection of one process (found by
/// the connection name, which carries the pid), leaving other tests' alone.
fn broker_closes_connections_of(pid: u32) -> usize {
    let out = Command::new("rabbitmqctl")
        .args(["list_connections", "-q", "pid", "client_properties"])
        .output()
        .expect("rabbitmqctl");
    let listing = String::from_utf8_lossy(&out.stdout);
    let marker = format!("pid {pid}\"");
    let mut closed = 0;
    for line in listing.lines().filter(|l| l.contains(&marker)) {
        if let Some(conn) = line.split_whitespace().next() {
            let status = Command::new("rabbitmqctl")
                .args([
                    "close_connection",
                    conn,
                    "test: broker closes the connection",
                ])
                .status()
                .expect("rabbitmqctl");
            closed += usize::from(status.success());
        }
    }
    closed
}

#[tokio::test]
async fn broker_side_connection_close_mid_stream() {
    let env = setup().await;
    let mut worker = env.worker(&[
        ("HOOFBEAT_FAULT_DELAY_MS", "200"),
        ("HOOFBEAT_WORKER_PREFETCH", "1"),
    ]);
    worker.ready().await;
    let (token, horse) = env.rider().await;
    let mut jobs = Vec::new();
    for _ in 0..6 {
        jobs.push(env.upload(&token, horse, tiny_csv()).await.1);
    }
    // Mid-stream: at least one job done, others still queued or in hand.
    let some_done = eventually(LONG, || async {
        (env.count(
            "SELECT count(*) FROM jobs WHERE kind = 'analyze_session' AND status = 'succeeded'",
        )
        .await
            >= 1)
            .then_some(())
    })
    .await;
    assert!(some_done.is_some());
    assert!(
        broker_closes_connections_of(worker.child.id()) >= 1,
        "the worker's connection was found and closed"
    );
    env.assert_all_succeeded_once(&jobs, 6, LONG).await;
    assert!(
        worker.child_alive(),
        "the worker reconnected instead of exiting"
    );
}
