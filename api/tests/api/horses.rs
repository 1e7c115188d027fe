use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;

#[tokio::test]
async fn horse_crud() {
    let app = spawn_app().await;
    let (t, _) = app.user("h@example.com").await;
    let r = app
        .post_json(
            &t,
            "/v1/horses",
            &json!({"name": " Comet ", "breed": "Hanoverian", "birth_year": 2015}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let loc = r.headers()["location"].to_str().unwrap().to_owned();
    let h: Value = r.json().await.unwrap();
    assert_eq!(h["name"], "Comet");
    assert_eq!(loc, format!("/v1/horses/{}", h["id"].as_str().unwrap()));

    let got: Value = app.get(&t, &loc).await.json().await.unwrap();
    assert_eq!(got, h);
    let list: Value = app.get(&t, "/v1/horses").await.json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);

    let r = app
        .patch_json(&t, &loc, &json!({"notes": "likes apples", "breed": null}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["notes"], "likes apples");
    assert_eq!(p["breed"], Value::Null);
    assert_eq!(p["birth_year"], 2015, "absent fields stay");
    assert_eq!(p["name"], "Comet");

    assert_eq!(app.delete(&t, &loc).await.status(), StatusCode::NO_CONTENT);
    assert_problem(app.get(&t, &loc).await, 404, "not_found").await;
    assert_problem(app.delete(&t, &loc).await, 404, "not_found").await;
}

#[tokio::test]
async fn horse_validation() {
    let app = spawn_app().await;
    let (t, _) = app.user("hv@example.com").await;
    for body in [
        json!({"name": ""}),
        json!({"name": "x".repeat(101)}),
        json!({"name": "A", "birth_year": 1800}),
        json!({"name": "A", "color": "bay"}),
        json!({}),
    ] {
        let r = app.post_json(&t, "/v1/horses", &body).await;
        assert_problem(r, 422, "validation_failed").await;
    }
    assert_problem(
        app.get(&t, "/v1/horses/not-a-uuid").await,
        400,
        "bad_request",
    )
    .await;
    let id = app.horse(&t, "Comet").await;
    assert_problem(
        app.patch_json(&t, &format!("/v1/horses/{id}"), &json!({"name": "  "}))
            .await,
        422,
        "validation_failed",
    )
    .await;
}
