//! Two users: every route that takes an id answers 404 for the other's objects.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;

#[tokio::test]
async fn another_users_objects_are_not_found() {
    let app = spawn_app().await;
    let (alice, _) = app.user("alice@example.com").await;
    let (mallory, _) = app.user("mallory@example.com").await;
    let horse = app.horse(&alice, "Comet").await;
    let up: Value = app.upload_csv(&alice, horse, 3.0).await;
    let session = up["session"]["id"].as_str().unwrap().to_owned();
    let job = up["job"]["id"].as_str().unwrap().to_owned();

    for path in [
        format!("/v1/horses/{horse}"),
        format!("/v1/horses/{horse}/sessions"),
        format!("/v1/horses/{horse}/trends"),
        format!("/v1/horses/{horse}/trends?from=2026-11-01&granularity=week"),
        format!("/v1/horses/{horse}/alerts"),
        format!("/v1/horses/{horse}/alerts?status=all"),
        format!("/v1/sessions/{session}"),
        format!("/v1/sessions/{session}/raw"),
        format!("/v1/sessions/{session}/analysis"),
        format!("/v1/jobs/{job}"),
    ] {
        assert_problem(app.get(&mallory, &path).await, 404, "not_found").await;
        assert!(app.get(&alice, &path).await.status().is_success(), "{path}");
    }
    assert_problem(
        app.patch_json(
            &mallory,
            &format!("/v1/horses/{horse}"),
            &json!({"name": "Mine"}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.upload(&mallory, horse, "text/csv", csv_body(2.0), &[])
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.delete(&mallory, &format!("/v1/sessions/{session}"))
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.delete(&mallory, &format!("/v1/horses/{horse}")).await,
        404,
        "not_found",
    )
    .await;
    let list: Value = app.get(&mallory, "/v1/horses").await.json().await.unwrap();
    assert_eq!(list, json!([]));

    // Nothing of Alice's changed.
    let h: Value = app
        .get(&alice, &format!("/v1/horses/{horse}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(h["name"], "Comet");
    assert_eq!(
        app.get(&alice, &format!("/v1/sessions/{session}"))
            .await
            .status(),
        StatusCode::OK
    );
    let trends: Value = app
        .get(&alice, &format!("/v1/horses/{horse}/trends"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(trends["status"], "none");
    assert_eq!(trends["trend"], Value::Null);
}
