//! Postgres unreachable: fast 503 problem+json, never a hang; recovery after.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

use crate::common::*;

#[tokio::test]
async fn database_unreachable_answers_503_quickly_then_recovers() {
    let proxy = Proxy::start("127.0.0.1:5432").await;
    let app = spawn_with(Opts {
        pg_addr: Some(proxy.addr),
        ..Opts::default()
    })
    .await;
    let (t, _) = app.user("pg@example.com").await;
    let horse = app.horse(&t, "Comet").await;

    proxy.cut();
    for path in ["/v1/me".to_owned(), format!("/v1/horses/{horse}")] {
        let started = Instant::now();
        let r = app.get(&t, &path).await;
        let took = started.elapsed();
        let p = assert_problem(r, 503, "database_unavailable").await;
        assert!(took < Duration::from_secs(5), "answered in {took:?}");
        assert!(
            !p["detail"].as_str().unwrap().contains("127.0.0.1"),
            "internal cause not echoed: {p}"
        );
    }
    let started = Instant::now();
    let r = app.upload(&t, horse, "text/csv", csv_body(2.0), &[]).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(started.elapsed() < Duration::from_secs(5));
    let r = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["database"], "down");
    assert_eq!(
        app.http
            .get(app.url("/livez"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    proxy.restore();
    let back = eventually(Duration::from_secs(10), || async {
        (app.get(&t, "/v1/me").await.status() == StatusCode::OK).then_some(())
    })
    .await;
    assert!(back.is_some(), "recovers when the database is back");
}

/// Once Postgres is known to refuse connections, requests no longer wait
/// for the pool: they are answered by the fast path (its own detail and a
/// Retry-After), and the state lifts by itself when Postgres is back.
#[tokio::test]
async fn known_down_database_fails_fast_and_recovers_without_restart() {
    let proxy = Proxy::start("127.0.0.1:5432").await;
    let app = spawn_with(Opts {
        pg_addr: Some(proxy.addr),
        ..Opts::default()
    })
    .await;
    let (t, _) = app.user("fast@example.com").await;
    proxy.cut();
    let fast = eventually(Duration::from_secs(10), || async {
        let r = app.get(&t, "/v1/horses").await;
        let retry = r.headers().contains_key("retry-after");
        let p = assert_problem(r, 503, "database_unavailable").await;
        (retry && p["detail"] == "the database is unreachable; try again shortly").then_some(())
    })
    .await;
    assert!(fast.is_some(), "never reached the fast path");
    let r = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        app.http
            .get(app.url("/livez"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    proxy.restore();
    let back = eventually(Duration::from_secs(5), || async {
        (app.get(&t, "/v1/horses").await.status() == StatusCode::OK).then_some(())
    })
    .await;
    assert!(back.is_some(), "recovers when the database is back");
    let ready = eventually(Duration::from_secs(5), || async {
        let r = app.http.get(app.url("/readyz")).send().await.ok()?;
        (r.status() == StatusCode::OK).then_some(())
    })
    .await;
    assert!(ready.is_some());
}
