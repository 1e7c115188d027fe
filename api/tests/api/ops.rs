use reqwest::StatusCode;
use serde_json::Value;

use crate::common::*;

#[tokio::test]
async fn probes_metrics_openapi_and_unknown_routes() {
    let app = spawn_app().await;
    let r = app.http.get(app.url("/livez")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let ready = app.wait_broker_up(std::time::Duration::from_secs(10)).await;
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["database"], "up");
    assert_eq!(ready["outbox_backlog"], 0);

    let (t, _) = app.user("ops@example.com").await;
    app.get(&t, "/v1/me").await;
    let m = app.scrape().await;
    assert!(
        m.contains(
            r#"hoofbeat_api_http_requests_total{method="GET",route="/v1/me",status="200"} 1"#
        ),
        "{m}"
    );
    assert!(m.contains("hoofbeat_api_http_request_duration_seconds_bucket"));
    assert!(m.contains("hoofbeat_api_outbox_backlog 0"));

    let spec: Value = app.openapi().await;
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/v1/auth/register",
        "/v1/horses/{horse_id}/sessions",
        "/v1/sessions/{session_id}/analysis",
        "/v1/jobs/{job_id}",
        "/v1/horses/{horse_id}/trends",
        "/v1/horses/{horse_id}/alerts",
        "/v1/admin/jobs/{job_id}/replay",
    ] {
        assert!(
            spec["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
    assert!(
        spec["info"]["description"]
            .as_str()
            .unwrap()
            .contains("t,ax,ay,az,gx,gy,gz")
    );
    let docs = app.http.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(docs.status(), StatusCode::OK);

    assert_problem(
        app.http.get(app.url("/nope")).send().await.unwrap(),
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.http.put(app.url("/v1/me")).send().await.unwrap(),
        405,
        "method_not_allowed",
    )
    .await;
    let r = app.http.get(app.url("/livez")).send().await.unwrap();
    assert!(r.headers().contains_key("x-request-id"));
}

/// The value of an unlabelled sample in a text exposition.
fn sample(metrics: &str, name: &str) -> Option<f64> {
    metrics.lines().find_map(|l| {
        let (n, v) = l.split_once(' ')?;
        (n == name).then(|| v.trim().parse().ok())?
    })
}

#[tokio::test]
async fn metrics_report_the_age_of_the_oldest_due_outbox_row() {
    // A broker address nobody listens on: the relay cannot publish, so the
    // rows stay in the outbox.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let app = spawn_with(Opts {
        amqp_addr: Some(closed),
        ..Opts::default()
    })
    .await;
    const AGE: &str = "hoofbeat_api_outbox_oldest_age_seconds";
    const BACKLOG: &str = "hoofbeat_api_outbox_backlog";
    let m = app.scrape().await;
    assert_eq!(sample(&m, AGE), Some(0.0), "empty outbox: 0\n{m}");
    assert_eq!(sample(&m, BACKLOG), Some(0.0), "{m}");
    assert!(m.contains(&format!("# TYPE {AGE} gauge")), "{m}");

    let (t, _) = app.user("ops@example.com").await;
    let horse = app.horse(&t, "Comet").await;
    for _ in 0..2 {
        let r = app.upload(&t, horse, "text/csv", csv_body(2.0), &[]).await;
        assert_eq!(r.status(), StatusCode::ACCEPTED);
    }
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM outbox WHERE published_at IS NULL ORDER BY id")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(ids.len(), 2, "both uploads wait in the outbox");
    // The first became due 15 minutes ago, the second 3 minutes ago; a
    // third row, due only in an hour (a debounced job), is not a backlog.
    for (id, ago) in [(ids[0], 900), (ids[1], 180)] {
        sqlx::query(
            "UPDATE outbox SET available_at = now() - make_interval(secs => $2) WHERE id = $1",
        )
        .bind(id)
        .bind(f64::from(ago))
        .execute(&app.db)
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO outbox (job_id, message, available_at)
         SELECT job_id, message, now() + interval '1 hour' FROM outbox WHERE id = $1",
    )
    .bind(ids[1])
    .execute(&app.db)
    .await
    .unwrap();
    let m = app.scrape().await;
    assert_eq!(sample(&m, BACKLOG), Some(2.0), "{m}");
    let age = sample(&m, AGE).expect("the age gauge");
    // From the oldest due row's due time, not the newest's or the future one's
    // (a test slower than 5 minutes would be wrong for other reasons).
    assert!((900.0..1200.0).contains(&age), "age {age}\n{m}");

    // Once the old row is published, the next one's age counts.
    sqlx::query("UPDATE outbox SET published_at = now() WHERE id = $1")
        .bind(ids[0])
        .execute(&app.db)
        .await
        .unwrap();
    let age = sample(&app.scrape().await, AGE).expect("the age gauge");
    assert!((180.0..480.0).contains(&age), "age {age}");

    // Nothing due any more: back to 0, though a row waits for its time.
    sqlx::query("UPDATE outbox SET published_at = now() WHERE id = $1")
        .bind(ids[1])
        .execute(&app.db)
        .await
        .unwrap();
    let m = app.scrape().await;
    assert_eq!(sample(&m, AGE), Some(0.0), "{m}");
    assert_eq!(sample(&m, BACKLOG), Some(0.0), "{m}");
}
