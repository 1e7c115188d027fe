//! Regression tests (issue "Hardening") for sign-in: registrations limited
//! per address and hashing bounded; login limits that never lock an owner
//! out; forwarded addresses only from trusted proxies; role changes and
//! deletions reaching the token cache at once.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::{assert_problem, spawn_app};

async fn register(app: &crate::common::TestApp, email: &str) -> reqwest::Response {
    app.http
        .post(app.url("/v1/auth/register"))
        .json(&json!({"email": email, "password": "correct horse battery"}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn registration_is_rate_limited_per_address() {
    let app = crate::common::spawn_with(crate::common::Opts {
        env: vec![("HOOFBEAT_REGISTER_PER_MINUTE".into(), "3".into())],
        ..Default::default()
    })
    .await;
    for i in 0..3 {
        let r = register(&app, &format!("r{i}@example.com")).await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let r = register(&app, "r9@example.com").await;
    assert!(r.headers().contains_key("retry-after"));
    assert_problem(r, 429, "rate_limited").await;
}

#[tokio::test]
async fn password_hashing_is_bounded_and_busy_is_503() {
    // One hashing slot and no wait: of many concurrent sign-ups some are
    // told to come back (never more than one hash in memory at once).
    let app = crate::common::spawn_with(crate::common::Opts {
        env: vec![
            ("HOOFBEAT_MAX_CONCURRENT_HASHES".into(), "1".into()),
            ("HOOFBEAT_HASH_WAIT_MS".into(), "0".into()),
            ("HOOFBEAT_REGISTER_PER_MINUTE".into(), "1000".into()),
        ],
        ..Default::default()
    })
    .await;
    let answers = futures_join(&app, 8).await;
    let created = answers.iter().filter(|s| **s == 201).count();
    let busy = answers.iter().filter(|s| **s == 503).count();
    assert_eq!(created + busy, 8, "{answers:?}");
    assert!(created >= 1 && busy >= 1, "{answers:?}");
}

async fn futures_join(app: &crate::common::TestApp, n: usize) -> Vec<u16> {
    let mut set = tokio::task::JoinSet::new();
    for i in 0..n {
        let (http, url) = (app.http.clone(), app.url("/v1/auth/register"));
        set.spawn(async move {
            http.post(url)
                .json(&json!({"email": format!("b{i}@example.com"), "password": "correct horse battery"}))
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        });
    }
    let mut out = Vec::new();
    while let Some(r) = set.join_next().await {
        out.push(r.unwrap());
    }
    out
}

async fn login_from(app: &crate::common::TestApp, from: &str, password: &str) -> reqwest::Response {
    app.http
        .post(app.url("/v1/auth/login"))
        .header("x-forwarded-for", from)
        .json(&json!({"email": "owner@example.com", "password": password}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn wrong_passwords_from_elsewhere_do_not_lock_the_owner_out() {
    let app = crate::common::spawn_with(crate::common::Opts {
        env: vec![
            ("HOOFBEAT_LOGIN_PER_MINUTE".into(), "3".into()),
            ("HOOFBEAT_TRUSTED_PROXIES".into(), "127.0.0.1/32".into()),
        ],
        ..Default::default()
    })
    .await;
    let r = register(&app, "owner@example.com").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    // An attacker behind the (trusted) proxy hammers the owner's email.
    for _ in 0..3 {
        let r = login_from(&app, "203.0.113.66", "wrong password").await;
        assert_problem(r, 401, "invalid_credentials").await;
    }
    let r = login_from(&app, "203.0.113.66", "wrong password").await;
    assert_problem(r, 429, "rate_limited").await;
    // The owner, from their own address, still gets in.
    let r = login_from(&app, "198.51.100.7", "correct horse battery").await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn forwarded_headers_are_ignored_unless_the_peer_is_trusted() {
    let app = crate::common::spawn_with(crate::common::Opts {
        env: vec![("HOOFBEAT_LOGIN_PER_MINUTE".into(), "3".into())],
        ..Default::default()
    })
    .await;
    register(&app, "owner@example.com").await;
    // Each attempt claims another address; without trusted proxies they all
    // count against the real peer (127.0.0.1).
    for i in 0..3 {
        let r = login_from(&app, &format!("203.0.113.{i}"), "wrong password").await;
        assert_problem(r, 401, "invalid_credentials").await;
    }
    let r = login_from(&app, "203.0.113.99", "wrong password").await;
    assert_problem(r, 429, "rate_limited").await;
}

/// Role changes and deletions made outside this process (another replica,
/// an operator's psql) reach its token cache through NOTIFY: no 30 s window.
#[tokio::test]
async fn demotion_and_deletion_take_effect_at_once() {
    use std::time::Duration;
    let app = spawn_app().await;
    let (t, id) = app.user("admin@example.com").await;
    sqlx::query("UPDATE users SET role = 'admin' WHERE id = $1")
        .bind(id)
        .execute(&app.db)
        .await
        .unwrap();
    // Cached as admin after this call.
    let admin_ok = || async { app.get(&t, "/v1/admin/jobs").await.status() };
    let ok = shared::testkit::eventually(Duration::from_secs(5), || async {
        (admin_ok().await == StatusCode::OK).then_some(())
    })
    .await;
    assert!(ok.is_some(), "never admin");
    // Demoted by an operator: forbidden well within the 30 s cache period.
    sqlx::query("UPDATE users SET role = 'rider' WHERE id = $1")
        .bind(id)
        .execute(&app.db)
        .await
        .unwrap();
    let forbidden = shared::testkit::eventually(Duration::from_secs(3), || async {
        (admin_ok().await == StatusCode::FORBIDDEN).then_some(())
    })
    .await;
    assert!(forbidden.is_some(), "demotion not seen");
    assert_eq!(app.get(&t, "/v1/me").await.status(), StatusCode::OK);
    // Deleted behind the API's back: the token stops working.
    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(id)
        .execute(&app.db)
        .await
        .unwrap();
    let gone = shared::testkit::eventually(Duration::from_secs(3), || async {
        (app.get(&t, "/v1/me").await.status() == StatusCode::UNAUTHORIZED).then_some(())
    })
    .await;
    assert!(gone.is_some(), "deletion not seen");
}
