//! The admin failure path end to end (real API, worker processes, Postgres,
//! RabbitMQ): nothing stranded — broker dead letters are reconciled, lost
//! messages are swept — and replays and re-analyses have the effect of one run.

use std::time::Duration;

use lapin::options::{BasicGetOptions, BasicNackOptions, QueuePurgeOptions};
use serde_json::{Value, json};
use shared::amqp;
use uuid::Uuid;

use crate::common::*;

const LONG: Duration = Duration::from_secs(60);

/// Registers an account and makes it an admin the operator's way.
async fn admin(env: &Env2) -> String {
    let email = format!("admin-{}@example.com", Uuid::new_v4().simple());
    let (token, _) = shared::testkit::sign_up(&env.http, &env.base, &email).await;
    let changed = api::operator::change_role(&env.db, &email, api::operator::RoleChange::Grant)
        .await
        .unwrap();
    assert!(changed);
    token
}

async fn get(env: &Env2, token: &str, path: &str) -> (u16, Value) {
    let r = env
        .http
        .get(env.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn post(env: &Env2, token: &str, path: &str, body: Value) -> (u16, Value) {
    let r = env
        .http
        .post(env.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn dead_reason(env: &Env2, job: Uuid) -> Option<String> {
    sqlx::query_scalar("SELECT dead_reason FROM jobs WHERE id = $1")
        .bind(job)
        .fetch_one(&env.db)
        .await
        .unwrap()
}

/// Waits until the job's message has left the outbox for the broker.
async fn wait_published(env: &Env2, job: Uuid) {
    let published = eventually(LONG, || async {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM outbox WHERE job_id = $1 AND published_at IS NULL",
        )
        .bind(job)
        .fetch_one(&env.db)
        .await
        .ok()?;
        (n == 0).then_some(())
    })
    .await;
    assert!(published.is_some(), "the relay publishes the job");
}

#[tokio::test]
async fn a_crash_loop_past_the_delivery_limit_ends_dead_and_a_replay_succeeds() {
    // A delivery limit of 2 stands for production's 10: same mechanism.
    let shared = [("HOOFBEAT_DELIVERY_LIMIT", "2")];
    let env = setup_with(&shared).await;
    let (token, horse) = env.rider().await;
    let (session, job) = env.upload(&token, horse, tiny_csv()).await;
    let mut kills = 0;
    while dead_reason(&env, job).await.is_none() && kills < 8 {
        let slow = env.worker(&[
            ("HOOFBEAT_DELIVERY_LIMIT", "2"),
            ("HOOFBEAT_FAULT_DELAY_MS", "30000"),
            ("HOOFBEAT_WORKER_PREFETCH", "1"),
        ]);
        // The slow worker holds the delivery — or, once the limit is
        // passed, finds nothing to hold and its dead-letter consumer marks
        // the job dead.
        let state = eventually(Duration::from_secs(30), || async {
            let started: i64 =
                sqlx::query_scalar("SELECT count(*) FROM job_attempts WHERE job_id = $1")
                    .bind(job)
                    .fetch_one(&env.db)
                    .await
                    .ok()?;
            if started > kills as i64 {
                return Some(true);
            }
            dead_reason(&env, job).await.map(|_| false)
        })
        .await;
        slow.kill9();
        if state != Some(true) {
            break;
        }
        kills += 1;
    }
    let healthy = env.worker(&[("HOOFBEAT_DELIVERY_LIMIT", "2")]);
    healthy.ready().await;
    assert!(
        env.wait_status(job, "dead", LONG).await,
        "{:?}",
        env.job_status(job).await
    );
    assert_eq!(kills, 3, "the limit (2) is passed by the third crash");
    assert_eq!(
        dead_reason(&env, job).await.as_deref(),
        Some("delivery_limit")
    );

    // Admins see it with its reason and history; the rider is told it failed.
    let admin = admin(&env).await;
    let (status, list) = get(&env, &admin, "/v1/admin/jobs?status=dead").await;
    assert_eq!(status, 200);
    assert_eq!(list["jobs"][0]["id"], job.to_string());
    assert_eq!(list["jobs"][0]["dead_reason"], "delivery_limit");
    let (_, detail) = get(&env, &admin, &format!("/v1/admin/jobs/{job}")).await;
    let history = detail["history"].as_array().unwrap();
    assert!(history.len() >= 2, "{detail}");
    assert!(history.iter().all(|a| a["worker_id"].is_string()));
    assert_eq!(history.last().unwrap()["outcome"], "dead");
    let (status, analysis) = get(&env, &token, &format!("/v1/sessions/{session}/analysis")).await;
    assert_eq!(status, 200);
    assert_eq!(analysis["status"], "failed");
    assert_eq!(
        analysis["reason"],
        "the analysis was interrupted too many times"
    );

    // A replay then succeeds, and the history keeps the earlier attempts.
    let (status, _) = post(
        &env,
        &admin,
        &format!("/v1/admin/jobs/{job}/replay"),
        json!({}),
    )
    .await;
    assert_eq!(status, 202);
    assert!(env.wait_status(job, "succeeded", LONG).await);
    let (_, detail) = get(&env, &admin, &format!("/v1/admin/jobs/{job}")).await;
    let history = detail["history"].as_array().unwrap();
    assert_eq!(history.last().unwrap()["outcome"], "succeeded");
    assert!(history.len() > kills, "earlier attempts are kept: {detail}");
    let (status, analysis) = get(&env, &token, &format!("/v1/sessions/{session}/analysis")).await;
    assert_eq!((status, analysis["status"].as_str()), (200, Some("ready")));
}

#[tokio::test]
async fn a_message_the_broker_dead_letters_for_a_rejection_is_reconciled() {
    let env = setup().await;
    let (token, horse) = env.rider().await;
    let (_, job) = env.upload(&token, horse, tiny_csv()).await;
    wait_published(&env, job).await;
    // Someone rejects the job's message without requeue (no worker runs yet).
    let conn = amqp::connect(AMQP, Duration::from_secs(5)).await.unwrap();
    let ch = conn.create_channel().await.unwrap();
    let got = ch
        .basic_get(env.topology.work_queue().into(), BasicGetOptions::default())
        .await
        .unwrap()
        .expect("the job's message is in the work queue");
    got.delivery
        .nack(BasicNackOptions {
            requeue: false,
            multiple: false,
        })
        .await
        .unwrap();
    let _worker = env.worker(&[]);
    assert!(
        env.wait_status(job, "dead", LONG).await,
        "{:?}",
        env.job_status(job).await
    );
    assert_eq!(dead_reason(&env, job).await.as_deref(), Some("rejected"));
    let (_, attempts, error) = env.job_status(job).await;
    assert_eq!(attempts, 0, "no worker ever ran it");
    assert!(error.unwrap().contains("rejected"));
    let _ = conn.close(200, "done".into()).await;
}

#[tokio::test]
async fn a_job_whose_message_was_purged_is_swept_and_completes() {
    let env = setup_with(&[
        ("HOOFBEAT_STUCK_AFTER_MS", "1500"),
        ("HOOFBEAT_SWEEP_INTERVAL_MS", "200"),
    ])
    .await;
    let (token, horse) = env.rider().await;
    let (_, job) = env.upload(&token, horse, tiny_csv()).await;
    wait_published(&env, job).await;
    let conn = amqp::connect(AMQP, Duration::from_secs(5)).await.unwrap();
    let ch = conn.create_channel().await.unwrap();
    let purged = ch
        .queue_purge(
            env.topology.work_queue().into(),
            QueuePurgeOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(purged, 1, "the job's message is lost");
    let swept = eventually(LONG, || async {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM job_attempts WHERE job_id = $1 AND outcome = 'swept'",
        )
        .bind(job)
        .fetch_one(&env.db)
        .await
        .ok()?;
        (n >= 1).then_some(())
    })
    .await;
    assert!(swept.is_some(), "the sweeper finds it");
    let _worker = env.worker(&[]);
    assert!(
        env.wait_status(job, "succeeded", LONG).await,
        "{:?}",
        env.job_status(job).await
    );
    let (_, attempts, _) = env.job_status(job).await;
    assert_eq!(attempts, 2, "the sweep counts as an attempt, then the run");
    let metrics = env
        .http
        .get(env.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("hoofbeat_api_stuck_jobs_found_total{action=\"requeued\"} 1"),
        "{metrics}"
    );
    let _ = conn.close(200, "done".into()).await;
}

/// What a Postgres crash leaves when it loses a result's commit (that
/// statement does not wait for the WAL flush, README "What a commit waits
/// for"): the job back at its start mark — `running`, its attempt open, no
/// result, no features — while its message was already acknowledged. The
/// sweeper publishes it again and the analysis is recomputed, equal to the
/// one lost.
#[tokio::test]
async fn a_result_lost_with_its_unflushed_commit_is_recomputed() {
    let env = setup_with(&[
        ("HOOFBEAT_STUCK_AFTER_MS", "1500"),
        ("HOOFBEAT_SWEEP_INTERVAL_MS", "200"),
    ])
    .await;
    let _worker = env.worker(&[]);
    let (token, horse) = env.rider().await;
    let (session, job) = env.upload(&token, horse, tiny_csv()).await;
    assert!(env.wait_status(job, "succeeded", LONG).await);
    let stored = || async {
        sqlx::query_scalar::<_, String>(
            "SELECT result::text FROM analysis_results WHERE session_id = $1",
        )
        .bind(session)
        .fetch_optional(&env.db)
        .await
        .unwrap()
    };
    let first = stored().await.expect("the first result");

    let mut tx = env.db.begin().await.unwrap();
    for sql in [
        "DELETE FROM analysis_results WHERE job_id = $1",
        "DELETE FROM session_features WHERE session_id = (SELECT session_id FROM jobs WHERE id = $1)",
        "UPDATE job_attempts SET finished_at = NULL, outcome = NULL
         WHERE id = (SELECT max(id) FROM job_attempts WHERE job_id = $1)",
        "UPDATE jobs SET status = 'running', finished_at = NULL, updated_at = now() WHERE id = $1",
    ] {
        sqlx::query(sql).bind(job).execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();

    let again = eventually(LONG, || async {
        let (status, attempts, _) = env.job_status(job).await;
        (status == "succeeded" && attempts == 3).then_some(())
    })
    .await;
    assert!(
        again.is_some(),
        "swept (an attempt) and run again: {:?}",
        env.job_status(job).await
    );
    assert_eq!(
        stored().await.as_deref(),
        Some(first.as_str()),
        "recomputed, equal"
    );
    let outcomes: Vec<String> =
        sqlx::query_scalar("SELECT outcome FROM job_attempts WHERE job_id = $1 ORDER BY id")
            .bind(job)
            .fetch_all(&env.db)
            .await
            .unwrap();
    assert_eq!(
        outcomes,
        ["interrupted", "swept", "succeeded"],
        "{outcomes:?}"
    );
}

#[tokio::test]
async fn a_bulk_replay_sent_twice_runs_each_job_once_more() {
    let env = setup().await;
    let (token, horse) = env.rider().await;
    let mut jobs = Vec::new();
    for _ in 0..3 {
        jobs.push(env.upload(&token, horse, tiny_csv()).await.1);
    }
    for job in &jobs {
        wait_published(&env, *job).await;
    }
    // They died (as if every attempt had failed); their first messages are
    // still queued and must not make them run twice.
    sqlx::query(
        "UPDATE jobs SET status = 'dead', dead_reason = 'attempts_exhausted', attempts = 5,
                         last_error = 'boom' WHERE id = ANY($1)",
    )
    .bind(&jobs)
    .execute(&env.db)
    .await
    .unwrap();
    let admin = admin(&env).await;
    let filter = json!({"status": "dead", "error": "BOOM", "horse_id": horse});
    let (status, dry) = post(
        &env,
        &admin,
        "/v1/admin/jobs/replay",
        json!({"filter": filter}),
    )
    .await;
    assert_eq!((status, dry["matched"].as_i64()), (200, Some(3)), "{dry}");
    assert_eq!(dry["replayed"], 0);
    let body = json!({"filter": filter, "dry_run": false});
    let (status, first) = post(&env, &admin, "/v1/admin/jobs/replay", body.clone()).await;
    assert_eq!(status, 202, "{first}");
    assert_eq!(
        first["replayed"], dry["matched"],
        "the dry run counted what is replayed"
    );
    let (_, second) = post(&env, &admin, "/v1/admin/jobs/replay", body).await;
    assert_eq!(
        (second["matched"].as_i64(), second["replayed"].as_i64()),
        (Some(0), Some(0))
    );
    let replay_id = first["replay_id"].as_i64().unwrap();
    let _worker = env.worker(&[]);
    env.assert_all_succeeded(&jobs, LONG).await;
    // Let every message (first publish + one replay each) be consumed.
    let drained = eventually(LONG, || async {
        let conn = amqp::connect(AMQP, Duration::from_secs(5)).await.ok()?;
        let ch = conn.create_channel().await.ok()?;
        let n = amqp::queue_depth(&ch, env.topology.work_queue())
            .await
            .ok()?;
        (n == 0).then_some(())
    })
    .await;
    assert!(drained.is_some());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let runs: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM job_attempts WHERE job_id = ANY($1) AND outcome = 'succeeded'",
    )
    .bind(&jobs)
    .fetch_one(&env.db)
    .await
    .unwrap();
    assert_eq!(runs, 3, "each job ran once more, not twice");
    assert_eq!(env.count("SELECT count(*) FROM analysis_results").await, 3);
    let (_, progress) = get(
        &env,
        &admin,
        &format!("/v1/admin/jobs?replay_id={replay_id}&limit=1"),
    )
    .await;
    assert_eq!(progress["counts"]["succeeded"], 3, "{progress}");
    let (_, audit) = get(&env, &admin, "/v1/admin/audit").await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "bulk_replay",
            "bulk_replay",
            "bulk_replay_dry_run",
            "grant_admin"
        ],
        "newest first"
    );
}

#[tokio::test]
async fn a_reanalysis_after_an_algorithm_upgrade_stores_the_new_result_beside_the_old() {
    let env = setup().await;
    let _worker = env.worker(&[]);
    let (token, horse) = env.rider().await;
    let (session, job) = env.upload(&token, horse, tiny_csv()).await;
    assert!(env.wait_status(job, "succeeded", LONG).await);
    let trend = eventually(LONG, || async {
        (env.count("SELECT count(*) FROM horse_trends").await == 1
            && env
                .count("SELECT count(*) FROM jobs WHERE status <> 'succeeded'")
                .await
                == 0)
            .then_some(())
    })
    .await;
    assert!(trend.is_some(), "the trend is computed");
    // As if these had been made by the previous release.
    sqlx::query("UPDATE analysis_results SET algorithm_version = 'aggregation/0.9.0'")
        .execute(&env.db)
        .await
        .unwrap();
    sqlx::query("UPDATE horse_trends SET algorithm_version = 'trend/0.9.0'")
        .execute(&env.db)
        .await
        .unwrap();
    let admin = admin(&env).await;
    // Trends first (an analysis also queues a trend of the current version).
    let trends = json!({"target": "trend", "dry_run": false});
    let (status, queued) = post(&env, &admin, "/v1/admin/reanalysis", trends).await;
    assert_eq!(
        (status, queued["enqueued"].as_i64()),
        (202, Some(1)),
        "{queued}"
    );
    let both = eventually(LONG, || async {
        (env.count("SELECT count(*) FROM horse_trends").await == 2).then_some(())
    })
    .await;
    assert!(both.is_some(), "the new trend is stored beside the old");
    let (status, dry) = post(&env, &admin, "/v1/admin/reanalysis", json!({})).await;
    assert_eq!((status, dry["matched"].as_i64()), (200, Some(1)), "{dry}");
    assert_eq!(dry["target_version"], analysis::ALGORITHM_VERSION);
    let real = json!({"dry_run": false, "older_than": analysis::ALGORITHM_VERSION});
    let (status, first) = post(&env, &admin, "/v1/admin/reanalysis", real.clone()).await;
    assert_eq!(
        (status, first["enqueued"].as_i64()),
        (202, Some(1)),
        "{first}"
    );
    let (_, second) = post(&env, &admin, "/v1/admin/reanalysis", real).await;
    assert_eq!(
        second["enqueued"], 0,
        "already on its way: not enqueued twice"
    );
    let new_job: Uuid = first["job_ids"][0].as_str().unwrap().parse().unwrap();
    assert!(env.wait_status(new_job, "succeeded", LONG).await);
    let versions: Vec<String> = sqlx::query_scalar(
        "SELECT algorithm_version FROM analysis_results WHERE session_id = $1 ORDER BY created_at",
    )
    .bind(session)
    .fetch_all(&env.db)
    .await
    .unwrap();
    assert_eq!(versions, ["aggregation/0.9.0", analysis::ALGORITHM_VERSION]);
    let (_, analysis) = get(&env, &token, &format!("/v1/sessions/{session}/analysis")).await;
    assert_eq!(
        analysis["algorithm_version"],
        analysis::ALGORITHM_VERSION,
        "the newest is served"
    );
    let (status, _) = post(
        &env,
        &admin,
        "/v1/admin/reanalysis",
        json!({"older_than": "aggregation/99.0.0"}),
    )
    .await;
    assert_eq!(status, 422, "the worker cannot produce a newer version");
}
