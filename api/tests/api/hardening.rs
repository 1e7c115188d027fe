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
        .patch_json(
            &t,
            &format!("/v1/horses/{horse}"),
            &json!([null, null, null, null]),
        )
        .await;
    assert_problem(r, 422, "validation_failed").await;
    // An upload whose samples are arrays of numbers.
    let body = json!({"samples": [[0.0, 0.1, 0.0, 9.8, 0.0, 0.0, 0.0], [0.01, 0.1, 0.0, 9.8, 0.0, 0.0, 0.0]]});
    let r = app
        .upload(
            &t,
            horse,
            "application/json",
            body.to_string().into_bytes(),
            &[],
        )
        .await;
    let v = assert_problem(r, 422, "invalid_sensor_data").await;
    assert!(v.to_string().contains("JSON object"), "{v}");
    // The documented shapes still work.
    let r = app
        .patch_json(
            &t,
            &format!("/v1/horses/{horse}"),
            &json!({"breed": "Arab"}),
        )
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
    for at in [
        "%2B10000-01-01T00:00:00Z",
        "1970-01-01T00:00:00Z",
        "2100-01-01T00:00:00Z",
    ] {
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
        let _ = app
            .http
            .request(method, app.url("/livez"))
            .send()
            .await
            .unwrap();
    }
    let metrics = app.scrape().await;
    assert!(!metrics.contains("XQZRT") && !metrics.contains("BAZQUX"));
    assert!(metrics.contains("method=\"other\""), "{metrics}");
}

/// Sends `request` on a fresh socket and returns the raw answer, read to EOF
/// (hyper closes the connection after a parse error).
async fn raw_exchange(app: &crate::common::TestApp, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.base.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    // The server may answer and close before it has read all of a huge head.
    let _ = s.write_all(request).await;
    let mut out = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), s.read_to_end(&mut out));
    let _ = read.await.expect("the server closes the connection");
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn protocol_level_rejections_are_problem_json() {
    let app = spawn_app().await;
    let long_uri = format!(
        "GET /v1/horses?q={} HTTP/1.1\r\nHost: x\r\n\r\n",
        "a".repeat(70_000)
    );
    let many_headers: String = (0..120).map(|i| format!("X-H{i}: 1\r\n")).collect();
    let cases: Vec<(Vec<u8>, &str, &str)> = vec![
        (b"GARBAGE\r\n\r\n".to_vec(), "400", "bad_request"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n".to_vec(), "400", "bad_request"),
        (
            b"POST /v1/horses HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello".to_vec(),
            "400",
            "bad_request",
        ),
        (long_uri.into_bytes(), "414", "uri_too_long"),
        (
            format!("GET /livez HTTP/1.1\r\nHost: x\r\n{many_headers}\r\n").into_bytes(),
            "431",
            "header_fields_too_large",
        ),
    ];
    for (request, status, code) in cases {
        let answer = raw_exchange(&app, &request).await;
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        assert!(
            head.starts_with(&format!("HTTP/1.1 {status} ")),
            "{code}: {head}"
        );
        assert!(
            head.to_ascii_lowercase()
                .contains("content-type: application/problem+json"),
            "{code}: {head}"
        );
        let v: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{code}: {e}: {body}"));
        assert_eq!(v["code"], code, "{v}");
        assert_eq!(v["status"].as_u64().unwrap().to_string(), status, "{v}");
    }
    // A well-formed request on the same server is untouched.
    let r = app.http.get(app.url("/livez")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}
