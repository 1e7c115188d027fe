use reqwest::StatusCode;
use serde_json::Value;
use shared::sensor;

use crate::common::*;

async fn raw(
    app: &TestApp,
    token: &str,
    session: &str,
    gzip_ok: bool,
) -> (String, Option<String>, Vec<u8>) {
    let mut req = app
        .http
        .get(app.url(&format!("/v1/sessions/{session}/raw")))
        .bearer_auth(token);
    req = req.header("accept-encoding", if gzip_ok { "gzip" } else { "identity" });
    let r = req.send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
    let ce = r
        .headers()
        .get("content-encoding")
        .map(|v| v.to_str().unwrap().to_owned());
    (ct, ce, r.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn upload_then_read_back_every_format_byte_for_byte() {
    let app = spawn_app().await;
    let (t, _) = app.user("s@example.com").await;
    let horse = app.horse(&t, "Comet").await;
    let csv = csv_body(20.0);
    let json = sensor::encode_json(&recording(20.0, 100.0), Some(1_795_000_000_000));
    let bin = binary_body(20.0);
    let cases: Vec<(&str, Vec<u8>, bool)> = vec![
        ("text/csv", csv.clone(), false),
        ("text/csv; charset=utf-8", csv.clone(), true),
        ("application/json", json.clone(), false),
        ("application/json", json.clone(), true),
        ("application/vnd.hoofbeat.imu", bin.clone(), false),
        ("application/octet-stream", bin.clone(), true),
    ];
    for (ct, body, gz) in cases {
        let wire = if gz { gzip(&body) } else { body.clone() };
        let headers: &[(&str, &str)] = if gz {
            &[("content-encoding", "gzip")]
        } else {
            &[]
        };
        let r = app.upload(&t, horse, ct, wire, headers).await;
        assert_eq!(
            r.status(),
            StatusCode::ACCEPTED,
            "{ct} gz={gz}: {}",
            r.text().await.unwrap()
        );
        let loc = r.headers()["location"].to_str().unwrap().to_owned();
        let v: Value = r.json().await.unwrap();
        let sid = v["session"]["id"].as_str().unwrap().to_owned();
        assert_eq!(loc, format!("/v1/sessions/{sid}/analysis"));
        assert_eq!(
            v["links"]["job"],
            format!("/v1/jobs/{}", v["job"]["id"].as_str().unwrap())
        );
        assert_eq!(v["job"]["status"], "queued");
        assert_eq!(v["job"]["kind"], "analyze_session");
        assert_eq!(v["session"]["sample_count"], 2000);
        assert!((v["session"]["sample_rate_hz"].as_f64().unwrap() - 100.0).abs() < 1e-6);
        assert_eq!(v["session"]["raw"]["byte_len"], body.len());
        let sha = api::auth::hex(&<sha2::Sha256 as sha2::Digest>::digest(&body));
        assert_eq!(
            v["session"]["raw"]["sha256"],
            sha.as_str(),
            "hash of the samples as uploaded"
        );

        // Identity download: exactly the bytes uploaded (after transport decoding).
        let (rct, ce, bytes) = raw(&app, &t, &sid, false).await;
        assert_eq!(ce, None);
        assert_eq!(bytes, body, "{ct} gz={gz}");
        assert!(rct.starts_with(ct.split(';').next().unwrap()) || ct == "application/octet-stream");
        // gzip-accepting download decodes to the same bytes.
        let (_, ce, bytes) = raw(&app, &t, &sid, true).await;
        let decoded = if ce.as_deref() == Some("gzip") {
            sensor::gunzip_limited(&bytes, 1 << 30).unwrap()
        } else {
            bytes
        };
        assert_eq!(decoded, body);

        // Metadata and pending analysis.
        let s: Value = app
            .get(&t, &format!("/v1/sessions/{sid}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(s["discipline"], "flat");
        assert_eq!(
            s["raw"]["sha256"],
            sha.as_str(),
            "the stored hash is the one answered"
        );
        assert_eq!(s["analysis_job"]["status"], "queued");
        let r = app.get(&t, &format!("/v1/sessions/{sid}/analysis")).await;
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        let a: Value = r.json().await.unwrap();
        assert_eq!(a["status"], "pending");
    }
}

#[tokio::test]
async fn binary_header_supplies_start_time_and_csv_requires_it() {
    let app = spawn_app().await;
    let (t, _) = app.user("st@example.com").await;
    let horse = app.horse(&t, "Comet").await;
    let url = app.url(&format!("/v1/horses/{horse}/sessions"));
    let r = app
        .http
        .post(&url)
        .bearer_auth(&t)
        .header("content-type", "application/vnd.hoofbeat.imu")
        .body(binary_body(3.0))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["session"]["started_at"], "2026-11-18T11:06:40Z");
    let r = app
        .http
        .post(&url)
        .bearer_auth(&t)
        .header("content-type", "text/csv")
        .body(csv_body(3.0))
        .send()
        .await
        .unwrap();
    let p = assert_problem(r, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["field"], "started_at");
}

#[tokio::test]
async fn analysis_ready_and_failed_answers() {
    let app = spawn_app().await;
    let (t, _) = app.user("an@example.com").await;
    let horse = app.horse(&t, "Comet").await;
    let v: Value = app.upload_csv(&t, horse, 3.0).await;
    let sid = v["session"]["id"].as_str().unwrap().to_owned();
    let job = v["job"]["id"].as_str().unwrap().to_owned();

    sqlx::query("UPDATE jobs SET status = 'dead' WHERE id = $1::uuid")
        .bind(&job)
        .execute(&app.db)
        .await
        .unwrap();
    let r = app.get(&t, &format!("/v1/sessions/{sid}/analysis")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let a: Value = r.json().await.unwrap();
    assert_eq!(a["status"], "failed");

    let doc = r#"{"algorithm_version":"test/1","gaits":{"walk":{"seconds":1.5}}}"#;
    sqlx::query("INSERT INTO analysis_results (session_id, algorithm_version, job_id, result) VALUES ($1::uuid, 'test/1', $2::uuid, $3::json)")
        .bind(&sid).bind(&job).bind(doc).execute(&app.db).await.unwrap();
    let r = app.get(&t, &format!("/v1/sessions/{sid}/analysis")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.unwrap();
    assert!(
        text.contains(doc),
        "the stored document is served as stored: {text}"
    );
    let a: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(a["status"], "ready");
    assert_eq!(a["algorithm_version"], "test/1");
}

#[tokio::test]
async fn list_sessions_with_cursor_pagination_and_delete() {
    let app = spawn_app().await;
    let (t, _) = app.user("l@example.com").await;
    let horse = app.horse(&t, "Comet").await;
    let mut ids = Vec::new();
    for day in 10..15 {
        let r = app
            .http
            .post(app.url(&format!(
                "/v1/horses/{horse}/sessions?started_at=2026-11-{day}T08:00:00Z"
            )))
            .bearer_auth(&t)
            .header("content-type", "text/csv")
            .body(csv_body(2.0))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        let v: Value = r.json().await.unwrap();
        ids.push(v["session"]["id"].as_str().unwrap().to_owned());
    }
    ids.reverse(); // newest first
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/horses/{horse}/sessions?limit=2&cursor={c}"),
            None => format!("/v1/horses/{horse}/sessions?limit=2"),
        };
        let page: Value = app.get(&t, &path).await.json().await.unwrap();
        for s in page["items"].as_array().unwrap() {
            seen.push(s["id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, ids);
    assert_problem(
        app.get(&t, &format!("/v1/horses/{horse}/sessions?limit=0"))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.get(&t, &format!("/v1/horses/{horse}/sessions?cursor=zzz"))
            .await,
        422,
        "validation_failed",
    )
    .await;

    let first = &ids[0];
    assert_eq!(
        app.delete(&t, &format!("/v1/sessions/{first}"))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(
        app.get(&t, &format!("/v1/sessions/{first}")).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get(&t, &format!("/v1/sessions/{first}/raw")).await,
        404,
        "not_found",
    )
    .await;
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs WHERE kind = 'analyze_session'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(left, 4, "the session's job went with it");
    let trend: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM jobs WHERE kind = 'compute_trend' AND status = 'queued'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(trend, 1, "the horse's trend is recomputed without it");
}

#[tokio::test]
async fn idempotent_upload_retries() {
    let app = spawn_app().await;
    let (t, _) = app.user("i@example.com").await;
    let horse = app.horse(&t, "Comet").await;
    let body = csv_body(4.0);
    let key = [("idempotency-key", "phone-upload-42")];
    let first = app.upload(&t, horse, "text/csv", body.clone(), &key).await;
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    let first: Value = first.json().await.unwrap();
    // The same upload again, and two concurrent ones: same answer, nothing new.
    let (a, b) = tokio::join!(
        app.upload(&t, horse, "text/csv", body.clone(), &key),
        app.upload(
            &t,
            horse,
            "text/csv",
            gzip(&body),
            &[
                ("idempotency-key", "phone-upload-42"),
                ("content-encoding", "gzip")
            ]
        ),
    );
    for r in [a, b] {
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v, first);
    }
    let sessions: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let outbox: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!((sessions, outbox), (1, 1));
    // Same key, different samples: refused.
    let r = app.upload(&t, horse, "text/csv", csv_body(5.0), &key).await;
    assert_problem(r, 422, "idempotency_key_reused").await;
    // Concurrent first uploads with one key create one session.
    let key2 = [("idempotency-key", "race")];
    let (a, b) = tokio::join!(
        app.upload(&t, horse, "text/csv", body.clone(), &key2),
        app.upload(&t, horse, "text/csv", body.clone(), &key2)
    );
    let (a, b): (Value, Value) = (a.json().await.unwrap(), b.json().await.unwrap());
    assert_eq!(a["session"]["id"], b["session"]["id"]);
    let sessions: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(sessions, 2);
}
