//! The trend on the server: features stored with each analysis, the trend
//! job, byte-identity with the offline computation, recomputation after a
//! deletion, idempotence, backfill and failures.

use std::time::Duration;

use shared::amqp;
use shared::jobs::{ComputeTrend, JobMessage};
use uuid::Uuid;

use crate::common::*;

const LONG: Duration = Duration::from_secs(90);

/// Six short generated rides on five days over two ISO weeks (two on one
/// day), with sub-millisecond starts: the server keeps microseconds, the
/// trend uses milliseconds.
const RIDES: [(u64, f64, &str); 6] = [
    (101, 3.0, "2026-11-02T08:15:30.123456Z"),
    (102, 4.0, "2026-11-03T17:00:00Z"),
    (103, 3.5, "2026-11-05T09:30:00.5Z"),
    (104, 5.0, "2026-11-09T07:45:12.999999Z"),
    (105, 3.0, "2026-11-12T10:00:00Z"),
    (106, 6.0, "2026-11-12T16:20:00.001Z"),
];

/// Queues a trend job for the horse as the API and the worker do; returns its id.
async fn queue_trend(env: &Env2, horse: Uuid) -> Uuid {
    shared::testkit::queue_trend(&env.db, horse).await
}

async fn features_rows(env: &Env2, horse: Uuid) -> Vec<(Uuid, String, i32)> {
    sqlx::query_as(
        "SELECT session_id, features::text, features_version FROM session_features
         WHERE horse_id = $1 ORDER BY session_id",
    )
    .bind(horse)
    .fetch_all(&env.db)
    .await
    .unwrap()
}

async fn stored_trend(
    env: &Env2,
    horse: Uuid,
) -> (Uuid, chrono::DateTime<chrono::Utc>, String, i32) {
    sqlx::query_as(
        "SELECT job_id, computed_at, result::text, session_count FROM horse_trends
         WHERE horse_id = $1 AND algorithm_version = $2",
    )
    .bind(horse)
    .bind(trend::TREND_VERSION)
    .fetch_one(&env.db)
    .await
    .unwrap()
}

#[tokio::test]
async fn trend_is_byte_identical_to_the_offline_one_and_follows_deletions() {
    let env = setup().await;
    let _worker = env.worker(&[]);
    let (token, horse) = env.rider().await;
    let csvs: Vec<Vec<u8>> = RIDES
        .iter()
        .map(|(seed, minutes, _)| session_csv(*seed, *minutes))
        .collect();
    let mut sessions = Vec::new();
    for ((_, _, at), csv) in RIDES.iter().zip(&csvs) {
        sessions.push(env.upload_at(&token, horse, csv.clone(), at).await);
    }
    let jobs: Vec<_> = sessions.iter().map(|(_, job)| *job).collect();
    env.assert_all_succeeded(&jobs, LONG).await;
    let (answer, raw) = wait_trend(&env, &token, horse, 6, LONG).await;

    // Byte for byte what `hoofbeat trend` computes from the same files.
    let files: Vec<(&[u8], i64)> = RIDES
        .iter()
        .zip(&csvs)
        .map(|((_, _, at), csv)| (csv.as_slice(), unix_ms(at)))
        .collect();
    assert_eq!(
        raw,
        offline_trend(&files),
        "server and offline trends differ"
    );
    // … and what the real `hoofbeat trend` prints, whole and over a window.
    let cli_files: Vec<(&[u8], &str)> = RIDES
        .iter()
        .zip(&csvs)
        .map(|((_, _, at), csv)| (csv.as_slice(), *at))
        .collect();
    let dir = format!("{}-trend", env.prefix);
    assert_eq!(
        raw,
        cli_trend(&dir, &cli_files, &[]),
        "server and CLI differ"
    );
    let (windowed, windowed_raw) = get_trend(
        &env,
        &token,
        horse,
        "?from=2026-11-03&to=2026-11-09&granularity=day",
    )
    .await;
    let cli_windowed = cli_trend(
        &dir,
        &cli_files,
        &[
            "--from",
            "2026-11-03",
            "--to",
            "2026-11-09",
            "--granularity",
            "day",
        ],
    );
    assert_eq!(windowed_raw.as_deref(), Some(cli_windowed.as_str()));
    assert_eq!(
        windowed["trend"]["volume"]["daily"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["period"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["2026-11-03", "2026-11-05", "2026-11-09"]
    );
    assert_eq!(windowed["trend"]["volume"]["weekly"], serde_json::json!([]));

    assert_eq!(answer["status"], "ready");
    assert_eq!(answer["algorithm_version"], trend::TREND_VERSION);
    assert_eq!(answer["session_count"], 6);
    assert_eq!(answer["horse_id"], horse.to_string());
    assert!(answer["computed_at"].is_string());
    let doc = &answer["trend"];
    assert_eq!(doc["sessions"], 6);
    assert_eq!(doc["first_session"], "2026-11-02T08:15:30.123Z");
    assert_eq!(doc["last_session"], "2026-11-12T16:20:00.001Z");
    let days: Vec<(&str, u64)> = doc["volume"]["daily"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["period"].as_str().unwrap(),
                d["sessions"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        days,
        [
            ("2026-11-02", 1),
            ("2026-11-03", 1),
            ("2026-11-05", 1),
            ("2026-11-09", 1),
            ("2026-11-12", 2)
        ]
    );
    let weeks: Vec<&str> = doc["volume"]["weekly"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["period"].as_str().unwrap())
        .collect();
    assert_eq!(weeks, ["2026-W45", "2026-W46"]);
    assert!(
        doc["volume"]["daily"][0]["riding_s"].as_f64().unwrap() > 60.0,
        "the rides were analysed: {}",
        doc["volume"]["daily"][0]
    );

    // The features rows: one per session, started_at in milliseconds.
    let starts: Vec<(Uuid, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
        "SELECT session_id, started_at FROM session_features WHERE horse_id = $1 ORDER BY started_at",
    )
    .bind(horse)
    .fetch_all(&env.db)
    .await
    .unwrap();
    assert_eq!(starts.len(), 6);
    for ((session, _), (row_session, at)) in sessions.iter().zip(&starts) {
        assert_eq!(session, row_session);
        assert_eq!(at.timestamp_subsec_micros() % 1000, 0, "{at}");
    }

    // Deleting a session recomputes the trend without it.
    let (gone, _) = sessions[2];
    let r = env
        .http
        .delete(env.url(&format!("/v1/sessions/{gone}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (answer, raw) = wait_trend(&env, &token, horse, 5, LONG).await;
    let remaining: Vec<(&[u8], i64)> = files
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 2)
        .map(|(_, f)| *f)
        .collect();
    assert_eq!(raw, offline_trend(&remaining));
    assert_eq!(answer["session_count"], 5);
    assert!(
        answer["trend"]["volume"]["daily"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["period"] != "2026-11-05")
    );
    assert_eq!(features_rows(&env, horse).await.len(), 5);
}

#[tokio::test]
async fn duplicate_and_redelivered_trend_jobs_have_the_effect_of_one() {
    let env = setup().await;
    let worker = env.worker(&[]);
    let (token, horse) = env.rider().await;
    for (seed, minutes, at) in &RIDES[..2] {
        let (_, job) = env
            .upload_at(&token, horse, session_csv(*seed, *minutes), at)
            .await;
        assert!(env.wait_status(job, "succeeded", LONG).await);
    }
    wait_trend(&env, &token, horse, 2, LONG).await;
    // Let any trend job still queued finish.
    assert!(
        eventually(LONG, || async {
            (env.count(
                "SELECT count(*) FROM jobs WHERE kind = 'compute_trend' AND status <> 'succeeded'",
            )
            .await
                == 0)
                .then_some(())
        })
        .await
        .is_some()
    );
    let (job, computed_at, document, count) = stored_trend(&env, horse).await;
    let trend_jobs = env
        .count("SELECT count(*) FROM jobs WHERE kind = 'compute_trend'")
        .await;

    // The broker delivers the finished job again: acknowledged, not rerun.
    let conn = amqp::connect(AMQP, Duration::from_secs(5)).await.unwrap();
    let ch = amqp::confirm_channel(&conn).await.unwrap();
    let message =
        JobMessage::new(job, &ComputeTrend { horse_id: horse }, Default::default()).unwrap();
    amqp::publish_job(&ch, &env.topology, &message, Duration::from_secs(5))
        .await
        .unwrap();
    let duplicate = eventually(LONG, || async {
        worker
            .metrics()
            .await
            .contains(r#"hoofbeat_worker_jobs_total{kind="compute_trend",outcome="duplicate"} 1"#)
            .then_some(())
    })
    .await;
    assert!(duplicate.is_some(), "{}", worker.metrics().await);
    assert_eq!(
        stored_trend(&env, horse).await,
        (job, computed_at, document.clone(), count)
    );

    // A delivery of the job before its success was recorded (a crash after
    // the work, or a retry): it runs again, with the same result.
    sqlx::query("UPDATE jobs SET status = 'failed' WHERE id = $1")
        .bind(job)
        .execute(&env.db)
        .await
        .unwrap();
    amqp::publish_job(
        &ch,
        &env.topology,
        &message.next_attempt(),
        Duration::from_secs(5),
    )
    .await
    .unwrap();
    assert!(env.wait_status(job, "succeeded", LONG).await);
    let (job_after, computed_after, document_after, count_after) = stored_trend(&env, horse).await;
    assert_eq!(job_after, job);
    assert!(computed_after > computed_at, "it ran again");
    assert_eq!(document_after, document, "same bytes");
    assert_eq!(count_after, 2);
    assert_eq!(
        env.count("SELECT count(*) FROM horse_trends").await,
        1,
        "one document per horse and version"
    );
    assert_eq!(
        env.count("SELECT count(*) FROM jobs WHERE kind = 'compute_trend'")
            .await,
        trend_jobs,
        "no new job"
    );
    assert_eq!(features_rows(&env, horse).await.len(), 2);
    let _ = conn.close(200, "done".into()).await;
}

#[tokio::test]
async fn trend_job_backfills_features_from_stored_analyses() {
    let env = setup().await;
    let _worker = env.worker(&[]);
    let (token, horse) = env.rider().await;
    let mut sessions = Vec::new();
    for (seed, minutes, at) in &RIDES[..3] {
        let (session, job) = env
            .upload_at(&token, horse, session_csv(*seed, *minutes), at)
            .await;
        assert!(env.wait_status(job, "succeeded", LONG).await);
        sessions.push(session);
    }
    let (_, before) = wait_trend(&env, &token, horse, 3, LONG).await;
    let rows = features_rows(&env, horse).await;
    assert_eq!(rows.len(), 3);

    // As if two sessions had been analysed before features were stored, and
    // a third had features of another layout.
    sqlx::query("DELETE FROM session_features WHERE session_id = ANY($1)")
        .bind(&sessions[..2])
        .execute(&env.db)
        .await
        .unwrap();
    sqlx::query("UPDATE session_features SET features_version = 0 WHERE session_id = $1")
        .bind(sessions[2])
        .execute(&env.db)
        .await
        .unwrap();
    let job = queue_trend(&env, horse).await;
    assert!(
        env.wait_status(job, "succeeded", LONG).await,
        "{:?}",
        env.job_status(job).await
    );
    assert_eq!(
        features_rows(&env, horse).await,
        rows,
        "the rows derived from the stored analyses equal those stored with them"
    );
    let (_, _, after, count) = stored_trend(&env, horse).await;
    assert_eq!(after, before, "the same trend");
    assert_eq!(count, 3);
}

#[tokio::test]
async fn a_horse_without_sessions_and_an_unreadable_features_row() {
    let env = setup().await;
    let mut worker = env.worker(&[("HOOFBEAT_MAX_ATTEMPTS", "2")]);
    let (token, horse) = env.rider().await;

    // No session: a document over nothing.
    let (v, _) = get_trend(&env, &token, horse, "").await;
    assert_eq!(v["status"], "none");
    assert!(v["trend"].is_null());
    let job = queue_trend(&env, horse).await;
    assert!(env.wait_status(job, "succeeded", LONG).await);
    let (v, raw) = wait_trend(&env, &token, horse, 0, LONG).await;
    assert_eq!(v["session_count"], 0);
    assert_eq!(raw, offline_trend(&[]));
    assert_eq!(v["trend"]["volume"]["daily"], serde_json::json!([]));
    assert!(v["trend"]["first_session"].is_null());

    // A features row that does not read is a failed job with a clear error,
    // and the last good document stays.
    let (session, job) = env.upload(&token, horse, tiny_csv()).await;
    assert!(env.wait_status(job, "succeeded", LONG).await);
    let (_, good) = wait_trend(&env, &token, horse, 1, LONG).await;
    assert!(
        eventually(LONG, || async {
            (env.count(
                "SELECT count(*) FROM jobs WHERE kind = 'compute_trend' AND status <> 'succeeded'",
            )
            .await
                == 0)
                .then_some(())
        })
        .await
        .is_some()
    );
    sqlx::query(
        "UPDATE session_features SET features = '{\"features_version\": 1, \"surprise\": true}' WHERE session_id = $1",
    )
    .bind(session)
    .execute(&env.db)
    .await
    .unwrap();
    let job = queue_trend(&env, horse).await;
    assert!(
        env.wait_status(job, "dead", LONG).await,
        "{:?}",
        env.job_status(job).await
    );
    let (_, attempts, error) = env.job_status(job).await;
    assert_eq!(attempts, 2);
    let error = error.unwrap_or_default();
    assert!(
        error.contains(&format!(
            "session_features row of session {session} is unreadable"
        )),
        "{error}"
    );
    let (v, raw) = get_trend(&env, &token, horse, "").await;
    assert_eq!(v["status"], "ready");
    assert_eq!(raw.as_deref(), Some(good.as_str()));
    assert!(worker.child_alive(), "a failed trend is not a crash");
    let m = worker.metrics().await;
    assert!(
        m.contains(r#"hoofbeat_worker_jobs_total{kind="compute_trend",outcome="dead"} 1"#),
        "{m}"
    );
}
