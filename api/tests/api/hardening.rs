//! Regression tests for inputs found wrongly accepted or answered 500 from
//! outside (issue "Hardening"): arrays in place of objects, U+0000 in text,
//! invalid UTF-8 in query strings, sample rates at the bounds, out-of-range
//! timestamps; and the headers and metric labels every answer gets.

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::sensor;
use shared::testkit::recording;

use crate::common::{assert_problem, spawn_app};

#[tokio::test]
async fn arrays_never_stand_for_objects() {
    let app = spawn_app().await;
    let r = app
        .http
        .post(app.url("/v1/auth/register"))
        .json(&json!(["a@example.com", "correct horse battery"]))
        .send()
        .await
        .unwrap();
    assert_problem(r, 422, "validation_failed").await;
    let (t, _) = app.user("arrays@example.com").await;
    let r = app
        .post_json(&t, "/v1/horses", &json!(["Array-Horse", "Arab", 2015, "n"]))
        .await;
    let v = assert_problem(r, 422, "validation_failed").await;
    assert!(v["detail"].as_str().unwrap().contains("JSON object"), "{v}");
    let horse = app.horse(&t, "Comet").await;
    let r = app
        .patch_json(&t, &format!("/v1/horses/{horse}"), &json!([null, null, null, null]))
        .await;
    assert_problem(r, 422, "validation_failed").await;
    // An upload whose samples are arrays of numbers.
    let body = json!({"samples": [[0.0, 0.1, 0.0, 9.8, 0.0, 0.0, 0.0], [0.01, 0.1, 0.0, 9.8, 0.0, 0.0, 0.0]]});
    let r = app
        .upload(&t, horse, "application/json", body.to_string().into_bytes(), &[])
        .await;
    let v = assert_problem(r, 422, "invalid_sensor_data").await;
    assert!(v.to_string().contains("JSON object"), "{v}");
    // The documented shapes still work.
    let r = app
        .patch_json(&t, &format!("/v1/horses/{horse}"), &json!({"breed": "Arab"}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn nul_in_any_text_is_422_not_500() {
    let app = spawn_app().await;
    for path in ["/v1/auth/register", "/v1/auth/login"] {
        let r = app
            .http
            .post(app.url(path))
            .json(&json!({"email": "a\u{0}b@example.com", "password": "correct horse battery"}))
            .send()
            .await
            .unwrap();
        assert_problem(r, 422, "validation_failed").await;
    }
    let (t, _) = app.user("nul@example.com").await;
    for body in [
        json!({"name": "Co\u{0}met"}),
        json!({"name": "Comet", "breed": "\u{0}"}),
        json!({"name": "Comet", "notes": "x\u{0}"}),
    ] {
        let r = app.post_json(&t, "/v1/horses", &body).await;
        assert_problem(r, 422, "validation_failed").await;
    }
    let horse = app.horse(&t, "Comet").await;
    for q in ["notes=a%00b", "device_id=%00"] {
        let r = app
            .http
            .post(app.url(&format!(
                "/v1/horses/{horse}/sessions?started_at=2026-11-26T09:00:00Z&{q}"
            )))
            .bearer_auth(&t)
            .header("content-type", "text/csv")
            .body(crate::common::csv_body(2.0))
            .send()
            .await
            .unwrap();
        assert_problem(r, 422, "validation_failed").await;
    }
}

#[tokio::test]
async fn invalid_utf8_in_the_query_is_refused_naming_the_parameter() {
    let app = spawn_app().await;
    let (t, _) = app.user("utf8@example.com").await;
    let horse = app.horse(&t, "Comet").await;
    let r = app
        .http
        .post(app.url(&format!(
            "/v1/horses/{horse}/sessions?started_at=2026-11-26T09:00:00Z&notes=ok%FF%FE"
        )))
        .bearer_auth(&t)
        .header("content-type", "text/csv")
        .body(crate::common::csv_body(2.0))
        .send()
        .await
        .unwrap();
    let v = assert_problem(r, 422, "validation_failed").await;
    assert_eq!(v["errors"][0]["field"], "notes", "{v}");
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(stored, 0);
}

#[tokio::test]
async fn rates_at_the_bounds_are_stored_within_them() {
    let app = spawn_app().await;
    let (t, _) = app.user("rate@example.com").await;
    let horse = app.horse(&t, "Comet").await;
    // A step printed as 0.04000001 s: 24.99999 Hz, inside the tolerance.
    let mut csv = String::from("t,ax,ay,az,gx,gy,gz\n");
    for i in 0..200 {
        csv.push_str(&format!("{:.8},0.1,0,9.81,0,0,0\n", i as f64 * 0.04000001));
    }
    let r = app
        .upload(&t, horse, "text/csv", csv.into_bytes(), &[])
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["session"]["sample_rate_hz"], 25.0);
}

#[tokio::test]
async fn out_of_range_times_are_422() {
    let app = spawn_app().await;
    let (t, _) = app.user("time@example.com").await;
    let horse = app.horse(&t, "Comet").await;
    let p = sensor::BinaryParams {
        started_at_unix_ms: -3_200_000_000_000_000,
        acc_scale: 0.01,
        gyro_scale: 0.1,
    };
    let body = sensor::encode_binary(&recording(2.0, 100.0), &p).unwrap();
    let r = app
        .http
        .post(app.url(&format!("/v1/horses/{horse}/sessions")))
        .bearer_auth(&t)
        .header("content-type", "application/vnd.hoofbeat.imu")
        .body(body)
        .send()
        .await
        .unwrap();
    let v = assert_problem(r, 422, "validation_failed").await;
    assert_eq!(v["errors"][0]["field"], "started_at");
    for at in ["%2B10000-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "2100-01-01T00:00:00Z"] {
        let r = app
            .http
            .post(app.url(&format!("/v1/horses/{horse}/sessions?started_at={at}")))
            .bearer_auth(&t)
            .header("content-type", "text/csv")
            .body(crate::common::csv_body(2.0))
            .send()
            .await
            .unwrap();
        assert_problem(r, 422, "validation_failed").await;
    }
    let r = app
        .get(
            &t,
            &format!("/v1/horses/{horse}/sessions?cursor=-99999999999999999_00000000-0000-0000-0000-000000000000"),
        )
        .await;
    assert_problem(r, 422, "validation_failed").await;
}

#[tokio::test]
async fn security_headers_and_bounded_metric_labels() {
    let app = spawn_app().await;
    let (t, _) = app.user("headers@example.com").await;
    let r = app.get(&t, "/v1/me").await;
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.headers()["cache-control"], "no-store");
    let r = app.http.get(app.url("/livez")).send().await.unwrap();
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    let r = app.http.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    for m in ["XQZRT", "FOOBAR", "BAZQUX"] {
        let method = reqwest::Method::from_bytes(m.as_bytes()).unwrap();
        let _ = app.http.request(method, app.url("/livez")).send().await.unwrap();
    }
    let metrics = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!metrics.contains("XQZRT") && !metrics.contains("BAZQUX"));
    assert!(metrics.contains("method=\"other\""), "{metrics}");
}

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
    let admin_ok = || async {
        app.get(&t, "/v1/admin/jobs").await.status()
    };
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

/// Reads until the server closes the connection (Ok(true)) or `within` passes.
async fn closed_by_server(stream: &mut tokio::net::TcpStream, within: std::time::Duration) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

#[tokio::test]
async fn idle_slow_header_and_excess_connections_are_closed() {
    use std::time::Duration;
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpStream;
    let app = crate::common::spawn_with(crate::common::Opts {
        env: vec![
            ("HOOFBEAT_HEADER_READ_TIMEOUT_MS".into(), "500".into()),
            ("HOOFBEAT_MAX_CONNECTIONS".into(), "3".into()),
        ],
        ..Default::default()
    })
    .await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    // Idle: never sends a byte.
    let mut idle = TcpStream::connect(&addr).await.unwrap();
    assert!(closed_by_server(&mut idle, Duration::from_secs(5)).await, "idle connection kept");
    // Slow headers: one header line every 200 ms, never finishing.
    let mut slow = TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"GET /livez HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let dripping = tokio::spawn(async move {
        for i in 0..30 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if slow.write_all(format!("X-Drip-{i}: 1\r\n").as_bytes()).await.is_err() {
                return true;
            }
        }
        false
    });
    assert!(dripping.await.unwrap(), "slow-header connection kept past 6 s");
    // A finished keep-alive request, then idle: closed after the timeout too.
    let mut kept = TcpStream::connect(&addr).await.unwrap();
    kept.write_all(b"GET /livez HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    assert!(closed_by_server(&mut kept, Duration::from_secs(5)).await);

    // Connection cap: three held open, a fourth is closed at once.
    let app = crate::common::spawn_with(crate::common::Opts {
        env: vec![("HOOFBEAT_MAX_CONNECTIONS".into(), "3".into())],
        ..Default::default()
    })
    .await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(TcpStream::connect(&addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut fourth = TcpStream::connect(&addr).await.unwrap();
    assert!(closed_by_server(&mut fourth, Duration::from_secs(2)).await, "cap not enforced");
    drop(held);
    let ok = shared::testkit::eventually(Duration::from_secs(5), || async {
        let r = reqwest::get(app.url("/livez")).await.ok()?;
        (r.status() == StatusCode::OK).then_some(())
    })
    .await;
    assert!(ok.is_some(), "serves again once connections are released");
}

/// Sends an upload's headers (announcing 1 MB) and then nothing.
async fn stalled_upload(addr: &str, token: &str, horse: uuid::Uuid) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /v1/horses/{horse}/sessions?started_at=2026-11-26T09:00:00Z HTTP/1.1\r\nHost: x\r\n\
         Authorization: Bearer {token}\r\nContent-Type: text/csv\r\nContent-Length: 1000000\r\n\r\nt,ax"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s
}

#[tokio::test]
async fn one_rider_cannot_hold_every_upload_and_slow_bodies_are_dropped() {
    use tokio::io::AsyncReadExt;
    let app = crate::common::spawn_with(crate::common::Opts {
        env: vec![
            ("HOOFBEAT_MAX_UPLOADS_PER_USER".into(), "2".into()),
            ("HOOFBEAT_MAX_CONCURRENT_UPLOADS".into(), "4".into()),
            ("HOOFBEAT_UPLOAD_GRACE_MS".into(), "800".into()),
            ("HOOFBEAT_UPLOAD_MIN_BYTES_PER_SEC".into(), "1000".into()),
        ],
        ..Default::default()
    })
    .await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let (t, _) = app.user("staller@example.com").await;
    let horse = app.horse(&t, "Comet").await;
    let mut stalled = Vec::new();
    for _ in 0..2 {
        stalled.push(stalled_upload(&addr, &t, horse).await);
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    // The same rider's next upload is refused at once …
    let r = app.upload(&t, horse, "text/csv", crate::common::csv_body(2.0), &[]).await;
    assert!(r.headers().contains_key("retry-after"));
    assert_problem(r, 429, "rate_limited").await;
    // … while another rider is served.
    let (t2, _) = app.user("other@example.com").await;
    let horse2 = app.horse(&t2, "Star").await;
    let r = app.upload(&t2, horse2, "text/csv", crate::common::csv_body(2.0), &[]).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    // The stalled bodies are dropped with 408 once they fall behind.
    for mut s in stalled {
        let mut answer = Vec::new();
        let read = tokio::time::timeout(std::time::Duration::from_secs(10), s.read_to_end(&mut answer)).await;
        assert!(read.is_ok(), "stalled upload never answered");
        let text = String::from_utf8_lossy(&answer);
        assert!(text.starts_with("HTTP/1.1 408"), "{text}");
        assert!(text.contains("request_timeout"), "{text}");
    }
    // Its slots are free again.
    let r = app.upload(&t, horse, "text/csv", crate::common::csv_body(2.0), &[]).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
}

/// A gzip stream of `n` zero bytes: tiny on the wire, large decompressed.
fn bomb(n: usize) -> Vec<u8> {
    let zeros = vec![0u8; n];
    crate::common::gzip(&zeros)
}

#[tokio::test]
async fn concurrent_gzip_bombs_share_one_memory_budget() {
    let app = crate::common::spawn_with(crate::common::Opts {
        env: vec![
            ("HOOFBEAT_MAX_UPLOAD_BYTES".into(), "1048576".into()),
            ("HOOFBEAT_MAX_DECOMPRESSED_BYTES".into(), "4194304".into()),
            ("HOOFBEAT_UPLOAD_MEMORY_BYTES".into(), "6291456".into()),
            ("HOOFBEAT_MAX_UPLOADS_PER_USER".into(), "100".into()),
        ],
        ..Default::default()
    })
    .await;
    let (t, _) = app.user("bombs@example.com").await;
    let horse = app.horse(&t, "Comet").await;
    let body = bomb(64 << 20);
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (http, url, t, body) = (
            app.http.clone(),
            app.url(&format!("/v1/horses/{horse}/sessions?started_at=2026-11-26T09:00:00Z")),
            t.clone(),
            body.clone(),
        );
        set.spawn(async move {
            http.post(url)
                .bearer_auth(t)
                .header("content-type", "text/csv")
                .header("content-encoding", "gzip")
                .body(body)
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        });
    }
    let mut answers = Vec::new();
    while let Some(r) = set.join_next().await {
        answers.push(r.unwrap());
    }
    // Each is refused: too large (413) or, while the budget is taken, busy (503).
    assert!(answers.iter().all(|s| *s == 413 || *s == 503), "{answers:?}");
    assert!(answers.contains(&413), "{answers:?}");
    // The budget is given back: a normal gzip upload goes through.
    let r = app
        .upload(&t, horse, "text/csv", crate::common::gzip(&crate::common::csv_body(5.0)), &[("content-encoding", "gzip")])
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
}

#[test]
fn the_upload_budget_must_hold_one_largest_upload() {
    let env = shared::config::Env::from_pairs([
        ("HOOFBEAT_MAX_UPLOAD_BYTES", "1048576"),
        ("HOOFBEAT_MAX_DECOMPRESSED_BYTES", "4194304"),
        ("HOOFBEAT_UPLOAD_MEMORY_BYTES", "2097152"),
    ]);
    let err = api::ApiConfig::from_env(&env).unwrap_err();
    assert_eq!(err.name, "HOOFBEAT_UPLOAD_MEMORY_BYTES");
}
