//! The outbox relay against the real broker.

use std::collections::BTreeSet;
use std::time::Duration;

use lapin::options::{BasicAckOptions, BasicGetOptions};
use reqwest::StatusCode;
use serde_json::Value;
use shared::amqp;
use shared::jobs::{AnalyzeSession, JobMessage};
use uuid::Uuid;

use crate::common::*;

/// Takes every message from the work queue (waiting up to `within` for `expected`).
async fn drain_queue(
    app: &TestApp,
    expected: usize,
    within: Duration,
) -> Vec<(Option<String>, JobMessage)> {
    // The relay declares the queue when it first connects (whatever
    // `within` is: a zero `within` asks what is there now).
    app.wait_broker_up(Duration::from_secs(10)).await;
    let deadline = tokio::time::Instant::now() + within;
    let conn = amqp::connect(AMQP, Duration::from_secs(5)).await.unwrap();
    let ch = conn.create_channel().await.unwrap();
    let mut got = Vec::new();
    loop {
        match ch
            .basic_get(app.topology.work_queue().into(), BasicGetOptions::default())
            .await
            .unwrap()
        {
            Some(m) => {
                let id = m
                    .delivery
                    .properties
                    .message_id()
                    .as_ref()
                    .map(|s| s.to_string());
                got.push((
                    id,
                    JobMessage::from_bytes(&m.delivery.data).expect("contract"),
                ));
                m.delivery.ack(BasicAckOptions::default()).await.unwrap();
            }
            None if got.len() >= expected || tokio::time::Instant::now() > deadline => break,
            None => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    // Anything more arriving shortly after would be a duplicate.
    tokio::time::sleep(Duration::from_millis(300)).await;
    while let Some(m) = ch
        .basic_get(app.topology.work_queue().into(), BasicGetOptions::default())
        .await
        .unwrap()
    {
        let id = m
            .delivery
            .properties
            .message_id()
            .as_ref()
            .map(|s| s.to_string());
        got.push((
            id,
            JobMessage::from_bytes(&m.delivery.data).expect("contract"),
        ));
        m.delivery.ack(BasicAckOptions::default()).await.unwrap();
    }
    let _ = conn.close(0, "done".into()).await;
    got
}

#[tokio::test]
async fn upload_publishes_a_job_with_the_documented_contract() {
    let app = spawn_app().await;
    let (t, _) = app.user("o@example.com").await;
    let horse = app.horse(&t, "Comet").await;
    let v: Value = app.upload_csv(&t, horse, 3.0).await;
    let job_id: Uuid = v["job"]["id"].as_str().unwrap().parse().unwrap();
    let session_id: Uuid = v["session"]["id"].as_str().unwrap().parse().unwrap();

    let got = drain_queue(&app, 1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1);
    let (message_id, msg) = &got[0];
    assert_eq!(message_id.as_deref(), Some(job_id.to_string().as_str()));
    assert_eq!(msg.job_id, job_id);
    assert_eq!(msg.kind, "analyze_session");
    assert_eq!(msg.attempt, 1);
    assert_eq!(
        msg.decode_payload::<AnalyzeSession>().unwrap().session_id,
        session_id
    );
    let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE published_at IS NULL")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(pending, 0);
}

/// The relay is woken only by statements that inserted outbox rows: the
/// result statement's trend follow-up inserts none while the horse's trend
/// job is queued, and must not cost the relay an empty claim (issue 11).
/// NOTIFYs arrive in commit order, so a marker sent after the empty insert
/// tells, without waiting, that the insert sent nothing.
#[tokio::test]
async fn only_an_insert_of_rows_wakes_the_relay() {
    // An upload's row notifies only when the API does not publish it
    // itself (direct publishing off).
    let app = spawn_with_env(&[("HOOFBEAT_OUTBOX_DIRECT_LEASE_MS", "0")]).await;
    let mut listener = sqlx::postgres::PgListener::connect_with(&app.db)
        .await
        .unwrap();
    listener.listen("hoofbeat_outbox").await.unwrap();
    sqlx::query("INSERT INTO outbox (job_id, message) SELECT id, '{}' FROM jobs WHERE false")
        .execute(&app.db)
        .await
        .unwrap();
    sqlx::query("SELECT pg_notify('hoofbeat_outbox', 'marker')")
        .execute(&app.db)
        .await
        .unwrap();
    let first = tokio::time::timeout(Duration::from_secs(5), listener.recv())
        .await
        .expect("a notification")
        .unwrap();
    assert_eq!(first.payload(), "marker", "the empty insert sent nothing");

    let (t, _) = app.user("n@example.com").await;
    let horse = app.horse(&t, "Comet").await;
    let v: Value = app.upload_csv(&t, horse, 3.0).await;
    let woke = tokio::time::timeout(Duration::from_secs(5), listener.recv())
        .await
        .expect("the upload's outbox row wakes the relay")
        .unwrap();
    // The payload names the row, so the relay can skip a notification that
    // arrives after it published that row.
    let job_id: Uuid = v["job"]["id"].as_str().unwrap().parse().unwrap();
    let row: i64 = sqlx::query_scalar("SELECT id FROM outbox WHERE job_id = $1")
        .bind(job_id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(woke.payload(), row.to_string());
}

/// Uploads `n` sessions while the broker is cut off, checks that they are
/// accepted and counted as the backlog, waits `outage` more, brings the
/// broker back and checks that each job is published exactly once.
async fn uploads_during_a_broker_outage(opts: Opts, n: usize, outage: Duration) -> TestApp {
    let proxy = Proxy::start("127.0.0.1:5672").await;
    let app = spawn_with(Opts {
        amqp_addr: Some(proxy.addr),
        ..opts
    })
    .await;
    let (t, _) = app.user("down@example.com").await;
    let horse = app.horse(&t, "Comet").await;
    // Let the relay connect, then cut the broker off.
    app.wait_broker_up(Duration::from_secs(10)).await;
    proxy.cut();

    let mut jobs = BTreeSet::new();
    for _ in 0..n {
        let r = app.upload(&t, horse, "text/csv", csv_body(2.0), &[]).await;
        assert_eq!(
            r.status(),
            StatusCode::ACCEPTED,
            "uploads are accepted while the broker is down"
        );
        let v: Value = r.json().await.unwrap();
        jobs.insert(v["job"]["id"].as_str().unwrap().to_owned());
    }
    let r = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "the broker's state does not fail readiness"
    );
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["broker"], "down");
    assert_eq!(v["outbox_backlog"], n);

    tokio::time::sleep(outage).await;
    proxy.restore();
    let got = drain_queue(&app, n, Duration::from_secs(30)).await;
    let ids: Vec<String> = got.iter().map(|(_, m)| m.job_id.to_string()).collect();
    assert_eq!(ids.len(), n, "each job published exactly once: {ids:?}");
    assert_eq!(ids.iter().cloned().collect::<BTreeSet<_>>(), jobs);
    let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE published_at IS NULL")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(pending, 0);
    app
}

#[tokio::test]
async fn broker_down_during_uploads_then_back_publishes_each_job_once() {
    uploads_during_a_broker_outage(Opts::default(), 6, Duration::ZERO).await;
}

#[tokio::test]
async fn hand_overs_kept_past_half_their_lease_by_an_outage_go_through_the_claim_once() {
    // A 2 s lease: after the outage each hand-over is more than 1 s old, so
    // the relay returns it to the claim instead of publishing it itself
    // (whether its lease has run out by then or not).
    let opts = Opts {
        env: vec![("HOOFBEAT_OUTBOX_DIRECT_LEASE_MS".into(), "2000".into())],
        ..Opts::default()
    };
    let app = uploads_during_a_broker_outage(opts, 4, Duration::from_millis(1200)).await;
    assert!(
        app.scrape()
            .await
            .contains("hoofbeat_api_outbox_published_direct_total 0"),
        "nothing went out through the hand-over"
    );
}

#[tokio::test]
async fn a_debounced_trend_job_is_published_when_due_and_covers_the_changes_meanwhile() {
    // A long polling fallback: only the relay's own timer can publish the
    // job on time.
    let app = spawn_with_env(&[("HOOFBEAT_OUTBOX_POLL_MS", "60000")]).await;
    let (token, owner) = app.user("debounce@example.com").await;
    let horse = app.horse(&token, "Bolt").await;
    let debounce = Duration::from_millis(1500);
    let enqueue = || async {
        let mut tx = app.db.begin().await.unwrap();
        let queued =
            shared::outbox::enqueue_trend_once(&mut tx, horse, owner, Default::default(), debounce)
                .await
                .unwrap();
        tx.commit().await.unwrap();
        queued
    };
    let started = tokio::time::Instant::now();
    let job = enqueue()
        .await
        .expect("the first change queues a trend job");
    assert_eq!(enqueue().await, None, "a change meanwhile is covered by it");

    assert!(
        drain_queue(&app, 0, Duration::ZERO).await.is_empty(),
        "published before it was due"
    );
    let got = drain_queue(&app, 1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].1.job_id, job);
    assert_eq!(got[0].1.kind, "compute_trend");
    assert!(started.elapsed() >= Duration::from_millis(1400));
    let late: f64 = sqlx::query_scalar(
        "SELECT EXTRACT(EPOCH FROM published_at - available_at)::float8 FROM outbox WHERE job_id = $1",
    )
    .bind(job)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(
        (0.0..1.0).contains(&late),
        "published {late} s after it was due"
    );
}

/// Rows of the tables the warm-up writes to (and rolls back).
async fn row_counts(app: &TestApp) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in [
        "users",
        "horses",
        "sessions",
        "session_data",
        "jobs",
        "outbox",
    ] {
        counts.push(app.count_rows(table).await);
    }
    counts
}

#[tokio::test]
async fn warm_up_prepares_the_hot_statements_on_every_connection_and_keeps_nothing() {
    let app = spawn_app().await;
    let (token, _) = app.user("warm@example.com").await;
    let horse = app.horse(&token, "Warm").await;
    let before = row_counts(&app).await;
    let options = (*app.db.connect_options()).clone();
    let each = shared::testkit::warmed_statements(options, 3, api::warm_up::prepare).await;
    assert_eq!(each.len(), 3);
    for statements in &each {
        for (what, marker) in [
            ("the relay's claim", "WITH claimed AS"),
            ("the bearer-token look-up", "FROM api_tokens t JOIN users u"),
            ("the upload", "INSERT INTO sessions"),
        ] {
            assert!(
                statements.iter().any(|s| s.contains(marker)),
                "{what} not prepared: {statements:?}"
            );
        }
    }
    assert_eq!(before, row_counts(&app).await, "the warm-up kept rows");
    // The relay still publishes (the warm-up's claim was rolled back).
    let r = app
        .upload(&token, horse, "text/csv", csv_body(3.0), &[])
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let got = drain_queue(&app, 1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1, "the upload's job was not published");
}

/// `(direct, published)` of the job's outbox rows, oldest first.
async fn outbox_rows(app: &TestApp, job: Uuid) -> Vec<(bool, bool)> {
    sqlx::query_as(
        "SELECT direct, published_at IS NOT NULL FROM outbox WHERE job_id = $1 ORDER BY id",
    )
    .bind(job)
    .fetch_all(&app.db)
    .await
    .unwrap()
}

#[tokio::test]
async fn an_uploads_job_is_published_right_after_the_commit_without_a_claim() {
    // No polling to speak of, and a direct row sends no notification: only
    // the hand-over can publish the job within the test's time.
    let app = spawn_with_env(&[("HOOFBEAT_OUTBOX_POLL_MS", "60000")]).await;
    let (t, _) = app.user("direct@example.com").await;
    let horse = app.horse(&t, "Dash").await;
    let v: Value = app.upload_csv(&t, horse, 3.0).await;
    let job: Uuid = v["job"]["id"].as_str().unwrap().parse().unwrap();
    let got = drain_queue(&app, 1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1, "published once: {got:?}");
    assert_eq!(got[0].1.job_id, job);
    assert_eq!(outbox_rows(&app, job).await, vec![(true, true)]);
    let metrics = app.scrape().await;
    assert!(
        metrics.contains("hoofbeat_api_outbox_published_direct_total 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_direct_row_its_api_never_published_goes_out_when_its_lease_runs_out() {
    let app = spawn_with_env(&[
        ("HOOFBEAT_OUTBOX_POLL_MS", "100"),
        ("HOOFBEAT_OUTBOX_DIRECT_LEASE_MS", "1500"),
    ])
    .await;
    let (t, _) = app.user("lease@example.com").await;
    let horse = app.horse(&t, "Comet").await;
    let v: Value = app.upload_csv(&t, horse, 3.0).await;
    let job: Uuid = v["job"]["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(drain_queue(&app, 1, Duration::from_secs(10)).await.len(), 1);
    // What an API that died between an upload's commit and the hand-over
    // leaves behind: a direct row within its lease, handed to no relay.
    sqlx::query(
        "INSERT INTO outbox (job_id, message, direct, available_at)
         SELECT job_id, message, true, now() + interval '1500 ms' FROM outbox WHERE job_id = $1",
    )
    .bind(job)
    .execute(&app.db)
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        outbox_rows(&app, job).await,
        vec![(true, true), (true, false)],
        "no relay takes a row within its lease"
    );
    let got = drain_queue(&app, 1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1, "published once its lease ran out: {got:?}");
    assert_eq!(got[0].1.job_id, job);
    // (The first row went out at once: its own API published it.)
    let early: bool = sqlx::query_scalar(
        "SELECT published_at < available_at FROM outbox WHERE job_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(job)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(!early, "the unclaimed row was published within its lease");
    assert_eq!(
        outbox_rows(&app, job).await,
        vec![(true, true), (true, true)]
    );
}
