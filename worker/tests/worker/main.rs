//! Worker integration tests: real worker processes, real RabbitMQ and Postgres.

mod autoscaler;
mod common;
mod console_browser;
mod dependency_outages;
mod failure_path;
mod trends;
mod warm_up;
mod webdriver;

use std::collections::BTreeSet;
use std::process::Command;
use std::time::{Duration, Instant};

use lapin::BasicProperties;
use lapin::options::BasicPublishOptions;
use serde_json::Value;
use shared::amqp;
use shared::jobs::{AnalyzeSession, JobMessage};
use uuid::Uuid;

use common::*;

const LONG: Duration = Duration::from_secs(60);

#[tokio::test]
async fn upload_ends_with_a_stored_result_equal_to_the_cli_output() {
    let env = setup().await;
    let worker = env.worker(&[]);
    let (token, horse) = env.rider().await;
    let csv = session_csv(7, 2.0);
    let (session, job) = env.upload(&token, horse, csv.clone()).await;
    assert!(
        env.wait_status(job, "succeeded", LONG).await,
        "job did not succeed: {:?}",
        env.job_status(job).await
    );

    let stored: String =
        sqlx::query_scalar("SELECT result::text FROM analysis_results WHERE session_id = $1")
            .bind(session)
            .fetch_one(&env.db)
            .await
            .unwrap();
    let file = std::env::temp_dir().join(format!("{session}.csv"));
    std::fs::write(&file, &csv).unwrap();
    let out = Command::new(cli_binary())
        .arg("analyze")
        .arg("--format")
        .arg("json")
        .arg(&file)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&file);
    assert!(
        out.status.success(),
        "cli failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim_end(),
        stored.trim_end(),
        "worker and CLI disagree"
    );

    // The API serves it, and a trend job followed.
    let r = env
        .http
        .get(env.url(&format!("/v1/sessions/{session}/analysis")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let a: Value = r.json().await.unwrap();
    assert_eq!(a["status"], "ready");
    let (trend, _) = wait_trend(&env, &token, horse, 1, LONG).await;
    assert_eq!(trend["session_count"], 1);
    let m = worker.metrics().await;
    assert!(
        m.contains(r#"hoofbeat_worker_jobs_total{kind="analyze_session",outcome="succeeded"} 1"#),
        "{m}"
    );
}

#[tokio::test]
async fn kill_9_mid_job_is_redelivered_and_completes_once() {
    let env = setup().await;
    let slow = env.worker(&[
        ("HOOFBEAT_FAULT_DELAY_MS", "3000"),
        ("HOOFBEAT_WORKER_PREFETCH", "1"),
    ]);
    slow.ready().await;
    let (token, horse) = env.rider().await;
    let (session, job) = env.upload(&token, horse, tiny_csv()).await;
    // Wait until the slow worker holds the delivery (the message is unacked).
    let held = eventually(LONG, || async {
        let m = slow.metrics().await;
        m.contains("hoofbeat_worker_jobs_in_flight 1").then_some(())
    })
    .await;
    assert!(held.is_some());
    slow.kill9();
    let _other = env.worker(&[]);
    assert!(env.wait_status(job, "succeeded", LONG).await);
    let results: i64 =
        sqlx::query_scalar("SELECT count(*) FROM analysis_results WHERE session_id = $1")
            .bind(session)
            .fetch_one(&env.db)
            .await
            .unwrap();
    assert_eq!(results, 1);
}

#[tokio::test]
async fn poison_messages_are_dead_lettered_at_once() {
    let env = setup().await;
    let worker = env.worker(&[]);
    worker.ready().await;
    let conn = amqp::connect(AMQP, Duration::from_secs(5)).await.unwrap();
    let ch = amqp::confirm_channel(&conn).await.unwrap();
    // Garbage, and a well-formed message of a contract version this build does not know.
    ch.basic_publish(
        env.topology.work_exchange().into(),
        "job".into(),
        BasicPublishOptions::default(),
        b"\x00garbage",
        BasicProperties::default(),
    )
    .await
    .unwrap()
    .await
    .unwrap();
    let mut future = JobMessage::new(
        Uuid::now_v7(),
        &AnalyzeSession {
            session_id: Uuid::now_v7(),
        },
        Default::default(),
    )
    .unwrap();
    future.version = 99;
    amqp::publish_job(&ch, &env.topology, &future, Duration::from_secs(5))
        .await
        .unwrap();
    // Both are dead-lettered; neither belongs to a job of this database, so
    // the dead-letter consumer keeps both in `dead_letters`.
    let kept = eventually(LONG, || async {
        (env.count("SELECT count(*) FROM dead_letters").await == 2).then_some(())
    })
    .await;
    assert!(kept.is_some(), "both are kept in dead_letters");
    let reasons: Vec<(Option<String>, Option<Uuid>, i32)> =
        sqlx::query_as("SELECT reason, job_id, body_len FROM dead_letters ORDER BY body_len")
            .fetch_all(&env.db)
            .await
            .unwrap();
    assert_eq!(
        reasons[0],
        (Some("rejected".to_owned()), None, 8),
        "the garbage"
    );
    assert_eq!(
        reasons[1].1,
        Some(future.job_id),
        "the unknown version, by its id"
    );
    // The worker is still alive and working.
    let (token, horse) = env.rider().await;
    let (_, job) = env.upload(&token, horse, tiny_csv()).await;
    assert!(env.wait_status(job, "succeeded", LONG).await);
    let _ = conn.close(200, "done".into()).await;
}

#[tokio::test]
async fn always_failing_job_is_retried_with_backoff_then_dead() {
    let env = setup().await;
    let (token, horse) = env.rider().await;
    let (session, job) = env.upload(&token, horse, tiny_csv()).await;
    // The stored samples are corrupted before any worker runs: every attempt fails.
    sqlx::query("UPDATE session_data SET data = 'not gzip at all'::bytea WHERE session_id = $1")
        .bind(session)
        .execute(&env.db)
        .await
        .unwrap();
    let started = Instant::now();
    let _worker = env.worker(&[("HOOFBEAT_MAX_ATTEMPTS", "3")]);
    assert!(
        env.wait_status(job, "dead", LONG).await,
        "{:?}",
        env.job_status(job).await
    );
    let took = started.elapsed();
    let (_, attempts, error) = env.job_status(job).await;
    assert_eq!(attempts, 3);
    assert!(
        error
            .unwrap_or_default()
            .contains("stored samples unreadable")
    );
    assert!(
        took >= Duration::from_millis(600),
        "retries waited 200 ms then 400 ms: {took:?}"
    );
    let conn = amqp::connect(AMQP, Duration::from_secs(5)).await.unwrap();
    let ch = conn.create_channel().await.unwrap();
    // The worker's dead letter reaches the dead queue and is reconciled
    // (acknowledged) by the dead-letter consumer; the row keeps the reason.
    let reconciled = eventually(Duration::from_secs(10), || async {
        let published = env
            .count("SELECT count(*) FROM jobs WHERE dead_reason = 'attempts_exhausted'")
            .await;
        let depth = amqp::queue_depth(&ch, env.topology.dead_queue())
            .await
            .ok()?;
        (published == 1 && depth == 0).then_some(())
    })
    .await;
    assert!(
        reconciled.is_some(),
        "dead, with its reason; the dead queue drained"
    );
    let _ = conn.close(200, "done".into()).await;
    // An admin can see it with its error and attempts.
    let row: (String, Option<chrono::DateTime<chrono::Utc>>) =
        sqlx::query_as("SELECT status, finished_at FROM jobs WHERE id = $1")
            .bind(job)
            .fetch_one(&env.db)
            .await
            .unwrap();
    assert_eq!(row.0, "dead");
    assert!(row.1.is_some());
}

#[tokio::test]
async fn sigterm_finishes_the_job_in_hand_or_requeues_it() {
    let env = setup().await;
    let (token, horse) = env.rider().await;

    // Enough grace: the job in hand completes, the process exits 0.
    let w = env.worker(&[
        ("HOOFBEAT_FAULT_DELAY_MS", "1500"),
        ("HOOFBEAT_SHUTDOWN_GRACE_MS", "10000"),
    ]);
    w.ready().await;
    let (_, job) = env.upload(&token, horse, tiny_csv()).await;
    // This job, not merely some job (the horse's trend job may be in hand
    // too), has started.
    assert!(env.wait_status(job, "running", LONG).await);
    // While it drains, the probes still answer: live, not ready.
    w.sigterm();
    let draining = eventually(Duration::from_secs(5), || async {
        let ready = w.probe("/readyz").await?;
        (ready.0 == 503 && ready.1.contains("draining")).then_some(())
    })
    .await;
    assert!(draining.is_some(), "readyz never said draining");
    assert_eq!(w.probe("/livez").await.map(|p| p.0), Some(200));
    assert_eq!(w.wait_exit(Duration::from_secs(20)).await, Some(0));
    assert_eq!(env.job_status(job).await.0, "succeeded");

    // Too little grace: the job goes back to the queue and another worker
    // completes it. The hold (30 s) is far longer than the grace, so even a
    // loaded machine cannot finish the job before the SIGTERM lands.
    let w = env.worker(&[
        ("HOOFBEAT_FAULT_DELAY_MS", "30000"),
        ("HOOFBEAT_SHUTDOWN_GRACE_MS", "200"),
    ]);
    w.ready().await;
    let (session, job) = env.upload(&token, horse, tiny_csv()).await;
    // This job, not merely some job (the horse's trend job may be in hand
    // too), has started.
    assert!(env.wait_status(job, "running", LONG).await);
    assert_eq!(w.terminate(Duration::from_secs(20)).await, Some(0));
    assert_ne!(env.job_status(job).await.0, "succeeded");
    let _next = env.worker(&[]);
    assert!(env.wait_status(job, "succeeded", LONG).await);
    let results: i64 =
        sqlx::query_scalar("SELECT count(*) FROM analysis_results WHERE session_id = $1")
            .bind(session)
            .fetch_one(&env.db)
            .await
            .unwrap();
    assert_eq!(results, 1);
}

#[tokio::test]
async fn three_workers_share_the_queue_and_trend_runs_do_not_pile_up() {
    let env = setup().await;
    let (token, horse) = env.rider().await;
    let mut jobs = Vec::new();
    for _ in 0..9 {
        jobs.push(env.upload(&token, horse, tiny_csv()).await.1);
    }
    let opts = [
        ("HOOFBEAT_FAULT_DELAY_MS", "300"),
        ("HOOFBEAT_WORKER_PREFETCH", "1"),
    ];
    let workers = [env.worker(&opts), env.worker(&opts), env.worker(&opts)];
    env.assert_all_succeeded(&jobs, LONG).await;
    let mut busy = BTreeSet::new();
    for (i, w) in workers.iter().enumerate() {
        if w.metrics()
            .await
            .contains(r#"hoofbeat_worker_jobs_total{kind="analyze_session",outcome="succeeded"}"#)
        {
            busy.insert(i);
        }
    }
    assert!(busy.len() >= 2, "the work is shared: {busy:?}");
    let final_trend = eventually(LONG, || async {
        let n: Option<i32> =
            sqlx::query_scalar("SELECT session_count FROM horse_trends WHERE horse_id = $1")
                .bind(horse)
                .fetch_optional(&env.db)
                .await
                .ok()?;
        (n == Some(9)).then_some(())
    })
    .await;
    assert!(
        final_trend.is_some(),
        "the last trend run covers every session"
    );
    let trend_jobs = env
        .count("SELECT count(*) FROM jobs WHERE kind = 'compute_trend'")
        .await;
    assert!(trend_jobs <= 4, "9 sessions caused {trend_jobs} trend jobs");
}

#[tokio::test]
async fn job_logs_carry_the_job_session_and_trace_ids() {
    let env = setup().await;
    let (token, horse) = env.rider().await;
    let (session, job) = env.upload(&token, horse, tiny_csv()).await;
    // Swap the job's message for one carrying a W3C trace context, as the
    // API sends when tracing is on (the test API has no tracer).
    let conn = amqp::connect(AMQP, Duration::from_secs(5)).await.unwrap();
    let ch = amqp::confirm_channel(&conn).await.unwrap();
    let original = eventually(LONG, || async {
        ch.basic_get(
            env.topology.work_queue().into(),
            lapin::options::BasicGetOptions::default(),
        )
        .await
        .ok()
        .flatten()
    })
    .await
    .expect("the upload's message");
    original
        .delivery
        .ack(lapin::options::BasicAckOptions::default())
        .await
        .unwrap();
    let trace_id = "0af7651916cd43dd8448eb211c80319c";
    let mut ctx = std::collections::BTreeMap::new();
    ctx.insert(
        "traceparent".to_owned(),
        format!("00-{trace_id}-b7ad6b7169203331-01"),
    );
    let msg = JobMessage::new(
        job,
        &AnalyzeSession {
            session_id: session,
        },
        ctx,
    )
    .unwrap();
    amqp::publish_job(&ch, &env.topology, &msg, Duration::from_secs(5))
        .await
        .unwrap();
    let _ = conn.close(200, "done".into()).await;

    let worker = env.worker(&[]);
    assert!(env.wait_status(job, "succeeded", LONG).await);
    let line = eventually(Duration::from_secs(10), || async {
        let log = std::fs::read_to_string(&worker.log).ok()?;
        log.lines()
            .find(|l| l.contains(trace_id))
            .map(str::to_owned)
    })
    .await
    .expect("a log line with the trace id");
    let v: Value = serde_json::from_str(&line).expect("JSON log line");
    let text = v.to_string();
    assert!(text.contains(&job.to_string()), "{text}");
    assert!(text.contains(&session.to_string()), "{text}");
    let results: i64 =
        sqlx::query_scalar("SELECT count(*) FROM analysis_results WHERE session_id = $1")
            .bind(session)
            .fetch_one(&env.db)
            .await
            .unwrap();
    assert_eq!(results, 1);
}
