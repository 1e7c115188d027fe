use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;

#[tokio::test]
async fn register_login_me_logout() {
    let app = spawn_app().await;
    let (token, id) = app.user("ann@example.com").await;
    let r = app.get(&token, "/v1/me").await;
    assert_eq!(r.status(), StatusCode::OK);
    let me: Value = r.json().await.unwrap();
    assert_eq!(me["id"], id.to_string());
    assert_eq!(me["email"], "ann@example.com");
    assert_eq!(me["role"], "rider");
    assert!(me.get("password_hash").is_none());

    let r = app
        .http
        .post(app.url("/v1/auth/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_problem(app.get(&token, "/v1/me").await, 401, "unauthorized").await;
}

#[tokio::test]
async fn registration_errors() {
    let app = spawn_app().await;
    app.user("bob@example.com").await;
    let r = app
        .http
        .post(app.url("/v1/auth/register"))
        .json(&json!({"email": "BOB@example.com", "password": "another password"}))
        .send()
        .await
        .unwrap();
    assert_problem(r, 409, "email_taken").await;
    let r = app
        .http
        .post(app.url("/v1/auth/register"))
        .json(&json!({"email": "nope", "password": "long enough"}))
        .send()
        .await
        .unwrap();
    let p = assert_problem(r, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["field"], "email");
    let r = app
        .http
        .post(app.url("/v1/auth/register"))
        .json(&json!({"email": "c@example.com", "password": "short"}))
        .send()
        .await
        .unwrap();
    assert_problem(r, 422, "validation_failed").await;
    let r = app
        .http
        .post(app.url("/v1/auth/register"))
        .json(&json!({"email": "c@example.com", "password": "long enough", "role": "admin"}))
        .send()
        .await
        .unwrap();
    let p = assert_problem(r, 422, "validation_failed").await;
    assert!(p["detail"].as_str().unwrap().contains("role"), "{p}");
    let r = app
        .http
        .post(app.url("/v1/auth/register"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_problem(r, 400, "bad_request").await;
    let r = app
        .http
        .post(app.url("/v1/auth/register"))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_problem(r, 415, "unsupported_media_type").await;
}

#[tokio::test]
async fn login_errors_and_rate_limit() {
    let app = spawn_with_env(&[("HOOFBEAT_LOGIN_PER_MINUTE", "3")]).await;
    let creds = json!({"email": "dee@example.com", "password": "correct horse battery"});
    app.http
        .post(app.url("/v1/auth/register"))
        .json(&creds)
        .send()
        .await
        .unwrap();
    let wrong = json!({"email": "dee@example.com", "password": "wrong password"});
    let r = app
        .http
        .post(app.url("/v1/auth/login"))
        .json(&wrong)
        .send()
        .await
        .unwrap();
    assert_problem(r, 401, "invalid_credentials").await;
    let unknown = json!({"email": "nobody@example.com", "password": "wrong password"});
    let r = app
        .http
        .post(app.url("/v1/auth/login"))
        .json(&unknown)
        .send()
        .await
        .unwrap();
    assert_problem(r, 401, "invalid_credentials").await;
    for _ in 0..2 {
        app.http
            .post(app.url("/v1/auth/login"))
            .json(&wrong)
            .send()
            .await
            .unwrap();
    }
    let r = app
        .http
        .post(app.url("/v1/auth/login"))
        .json(&creds)
        .send()
        .await
        .unwrap();
    assert!(r.headers().contains_key("retry-after"));
    assert_problem(r, 429, "rate_limited").await;
}

#[tokio::test]
async fn missing_or_bad_tokens_are_401() {
    let app = spawn_app().await;
    let r = app.http.get(app.url("/v1/me")).send().await.unwrap();
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    assert_problem(r, 401, "unauthorized").await;
    assert_problem(app.get("hb_0000", "/v1/me").await, 401, "unauthorized").await;
    assert_problem(app.get("garbage", "/v1/horses").await, 401, "unauthorized").await;
}

#[tokio::test]
async fn deleting_the_account_removes_everything() {
    let app = spawn_app().await;
    let (token, user_id) = app.user("eve@example.com").await;
    let horse = app.horse(&token, "Comet").await;
    let r = app
        .upload(&token, horse, "text/csv", csv_body(5.0), &[])
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    assert_eq!(
        app.delete(&token, "/v1/me").await.status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(app.get(&token, "/v1/me").await, 401, "unauthorized").await;
    for table in [
        "users",
        "horses",
        "sessions",
        "session_data",
        "jobs",
        "api_tokens",
    ] {
        let n = app.count_rows(table).await;
        assert_eq!(n, 0, "{table} still has rows for {user_id}");
    }
}

#[tokio::test]
async fn admin_routes_need_the_admin_role() {
    let app = spawn_app().await;
    let (rider, _) = app.user("rider@example.com").await;
    assert_problem(app.get(&rider, "/v1/admin/jobs").await, 403, "forbidden").await;
    let r = app
        .http
        .post(app.url(&format!("/v1/admin/jobs/{}/replay", uuid::Uuid::new_v4())))
        .bearer_auth(&rider)
        .send()
        .await
        .unwrap();
    assert_problem(r, 403, "forbidden").await;

    let (admin, admin_id) = app.user("admin@example.com").await;
    sqlx::query("UPDATE users SET role = 'admin' WHERE id = $1")
        .bind(admin_id)
        .execute(&app.db)
        .await
        .unwrap();
    let horse = app.horse(&rider, "Comet").await;
    let up: Value = app.upload_csv(&rider, horse, 5.0).await;
    let job_id = up["job"]["id"].as_str().unwrap().to_owned();
    // Not dead yet: cannot be replayed (a conflict with its state).
    let r = app
        .http
        .post(app.url(&format!("/v1/admin/jobs/{job_id}/replay")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_problem(r, 409, "conflict").await;
    sqlx::query(
        "UPDATE jobs SET status = 'dead', attempts = 5, last_error = 'boom' WHERE id = $1::uuid",
    )
    .bind(&job_id)
    .execute(&app.db)
    .await
    .unwrap();
    let dead: Value = app
        .get(&admin, "/v1/admin/jobs?status=dead")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(dead["jobs"][0]["id"], job_id);
    assert_eq!(dead["jobs"][0]["last_error"], "boom");
    assert_eq!(dead["counts"]["dead"], 1);
    let r = app
        .http
        .post(app.url(&format!("/v1/admin/jobs/{job_id}/replay")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let j: Value = r.json().await.unwrap();
    assert_eq!(j["status"], "queued");
    assert_eq!(j["attempts"], 0);
    let outbox: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE job_id = $1::uuid")
        .bind(&job_id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(outbox, 2, "the replay adds an outbox message");
    assert_problem(
        app.get(&admin, "/v1/admin/jobs?status=bogus").await,
        422,
        "validation_failed",
    )
    .await;
}
