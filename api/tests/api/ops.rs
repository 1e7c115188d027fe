use reqwest::StatusCode;
use serde_json::Value;

use crate::common::*;

#[tokio::test]
async fn probes_metrics_openapi_and_unknown_routes() {
    let app = spawn_app().await;
    let r = app.http.get(app.url("/livez")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let ready = eventually(std::time::Duration::from_secs(10), || async {
        let v: Value = app
            .http
            .get(app.url("/readyz"))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        (v["broker"] == "up").then_some(v)
    })
    .await
    .expect("ready with the broker up");
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["database"], "up");
    assert_eq!(ready["outbox_backlog"], 0);

    let (t, _) = app.user("ops@example.com").await;
    app.get(&t, "/v1/me").await;
    let m = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        m.contains(
            r#"hoofbeat_api_http_requests_total{method="GET",route="/v1/me",status="200"} 1"#
        ),
        "{m}"
    );
    assert!(m.contains("hoofbeat_api_http_request_duration_seconds_bucket"));
    assert!(m.contains("hoofbeat_api_outbox_backlog 0"));

    let spec: Value = app
        .http
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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
