//! Malformed and hostile uploads: clear problem+json, nothing stored.

use serde_json::Value;

use crate::common::*;

async fn assert_nothing_stored(app: &TestApp) {
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let o: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!((n, o), (0, 0));
}

#[tokio::test]
async fn malformed_csv_and_json_name_the_line() {
    let app = spawn_app().await;
    let (t, _) = app.user("m@example.com").await;
    let horse = app.horse(&t, "Comet").await;

    let nan = "t,ax,ay,az,gx,gy,gz\n0,0,0,9.8,0,0,0\n0.01,0,NaN,9.8,0,0,0\n0.02,0,0,9.8,0,0,0\n";
    let p = assert_problem(
        app.upload(&t, horse, "text/csv", nan.into(), &[]).await,
        422,
        "invalid_sensor_data",
    )
    .await;
    assert_eq!(p["errors"][0]["line"], 3, "{p}");

    let backwards =
        "t,ax,ay,az,gx,gy,gz\n0,0,0,9.8,0,0,0\n0.02,0,0,9.8,0,0,0\n0.01,0,0,9.8,0,0,0\n";
    let p = assert_problem(
        app.upload(&t, horse, "text/csv", backwards.into(), &[])
            .await,
        422,
        "invalid_sensor_data",
    )
    .await;
    assert_eq!(p["errors"][0]["line"], 4, "{p}");

    let columns = "t,ax,ay,az,gx,gy\n0,0,0,9.8,0,0\n0.01,0,0,9.8,0,0\n";
    assert_problem(
        app.upload(&t, horse, "text/csv", columns.into(), &[]).await,
        422,
        "invalid_sensor_data",
    )
    .await;

    let short_row = "t,ax,ay,az,gx,gy,gz\n0,0,0,9.8,0,0,0\n0.01,0,0,9.8\n";
    assert_problem(
        app.upload(&t, horse, "text/csv", short_row.into(), &[])
            .await,
        422,
        "invalid_sensor_data",
    )
    .await;

    let slow = "t,ax,ay,az,gx,gy,gz\n0,0,0,9.8,0,0,0\n1,0,0,9.8,0,0,0\n2,0,0,9.8,0,0,0\n";
    assert_problem(
        app.upload(&t, horse, "text/csv", slow.into(), &[]).await,
        422,
        "invalid_sensor_data",
    )
    .await;

    let unknown = r#"{"samples":[{"t":0,"ax":0,"ay":0,"az":9.8,"gx":0,"gy":0,"gz":0,"temp":20}]}"#;
    assert_problem(
        app.upload(&t, horse, "application/json", unknown.into(), &[])
            .await,
        422,
        "invalid_sensor_data",
    )
    .await;
    assert_problem(
        app.upload(&t, horse, "application/json", b"[1,2".to_vec(), &[])
            .await,
        422,
        "invalid_sensor_data",
    )
    .await;
    assert_problem(
        app.upload(&t, horse, "text/csv", Vec::new(), &[]).await,
        422,
        "invalid_sensor_data",
    )
    .await;
    assert_nothing_stored(&app).await;
}

#[tokio::test]
async fn hostile_binary_uploads() {
    let app = spawn_app().await;
    let (t, _) = app.user("b@example.com").await;
    let horse = app.horse(&t, "Comet").await;
    let good = binary_body(5.0);
    let ct = "application/vnd.hoofbeat.imu";

    let truncated = good[..good.len() - 5].to_vec();
    assert_problem(
        app.upload(&t, horse, ct, truncated, &[]).await,
        422,
        "invalid_sensor_data",
    )
    .await;

    let mut bad_crc = good.clone();
    let last = bad_crc.len() - 1;
    bad_crc[last] ^= 0x55;
    let p = assert_problem(
        app.upload(&t, horse, ct, bad_crc, &[]).await,
        422,
        "invalid_sensor_data",
    )
    .await;
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("checksum"),
        "{p}"
    );

    let mut huge = good[..36].to_vec();
    huge[28..32].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_problem(
        app.upload(&t, horse, ct, huge, &[]).await,
        413,
        "payload_too_large",
    )
    .await;

    let mut magic = good.clone();
    magic[0] = b'X';
    assert_problem(
        app.upload(&t, horse, ct, magic, &[]).await,
        400,
        "bad_request",
    )
    .await;

    assert_problem(
        app.upload(&t, horse, ct, b"HBS1".to_vec(), &[]).await,
        422,
        "invalid_sensor_data",
    )
    .await;
    assert_nothing_stored(&app).await;
}

#[tokio::test]
async fn size_limits_and_encodings() {
    let app = spawn_with_env(&[
        ("HOOFBEAT_MAX_UPLOAD_BYTES", "1048576"),
        ("HOOFBEAT_MAX_DECOMPRESSED_BYTES", "4194304"),
    ])
    .await;
    let (t, _) = app.user("z@example.com").await;
    let horse = app.horse(&t, "Comet").await;

    // A gzip bomb: 64 MiB of zeros compress to ~64 KiB.
    let bomb = gzip(&vec![b'0'; 64 << 20]);
    assert!(bomb.len() < 1 << 20);
    let r = app
        .upload(&t, horse, "text/csv", bomb, &[("content-encoding", "gzip")])
        .await;
    assert_problem(r, 413, "payload_too_large").await;

    // Too large as sent.
    let r = app
        .upload(&t, horse, "text/csv", vec![b'1'; 2 << 20], &[])
        .await;
    assert_problem(r, 413, "payload_too_large").await;

    // Not gzip although it says so.
    let r = app
        .upload(
            &t,
            horse,
            "text/csv",
            b"plain".to_vec(),
            &[("content-encoding", "gzip")],
        )
        .await;
    let p: Value = assert_problem(r, 400, "bad_request").await;
    assert!(p["detail"].is_string());

    let r = app
        .upload(
            &t,
            horse,
            "text/csv",
            csv_body(1.0),
            &[("content-encoding", "br")],
        )
        .await;
    assert_problem(r, 415, "unsupported_media_type").await;
    let r = app.upload(&t, horse, "image/png", csv_body(1.0), &[]).await;
    assert_problem(r, 415, "unsupported_media_type").await;

    // JSON routes keep the small default limit.
    let big = serde_json::json!({"name": "x".repeat(200_000)});
    assert_problem(
        app.post_json(&t, "/v1/horses", &big).await,
        413,
        "payload_too_large",
    )
    .await;

    // Unknown query parameters are refused.
    let r = app
        .http
        .post(app.url(&format!(
            "/v1/horses/{horse}/sessions?started_at=2026-11-26T09:00:00Z&color=bay"
        )))
        .bearer_auth(&t)
        .header("content-type", "text/csv")
        .body(csv_body(1.0))
        .send()
        .await
        .unwrap();
    assert_problem(r, 422, "validation_failed").await;
    assert_nothing_stored(&app).await;
}

#[tokio::test]
async fn too_many_concurrent_uploads_get_503_before_their_body_is_read() {
    use tokio::io::AsyncWriteExt;
    let app = spawn_with_env(&[("HOOFBEAT_MAX_CONCURRENT_UPLOADS", "1")]).await;
    let (t, _) = app.user("busy@example.com").await;
    let horse = app.horse(&t, "Comet").await;
    let body = csv_body(2.0);
    // A slow phone: headers and half the body, then a pause.
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /v1/horses/{horse}/sessions?started_at=2026-11-26T09:00:00Z HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {t}\r\nContent-Type: text/csv\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    slow.write_all(&body[..body.len() / 2]).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    let r = app.upload(&t, horse, "text/csv", body.clone(), &[]).await;
    assert!(r.headers().contains_key("retry-after"));
    assert_problem(r, 503, "server_busy").await;

    // The slow upload completes normally, and then there is room again.
    slow.write_all(&body[body.len() / 2..]).await.unwrap();
    let mut reply = vec![0u8; 12];
    tokio::io::AsyncReadExt::read_exact(&mut slow, &mut reply)
        .await
        .unwrap();
    assert_eq!(&reply, b"HTTP/1.1 202");
    let r = app.upload(&t, horse, "text/csv", body, &[]).await;
    assert_eq!(r.status(), reqwest::StatusCode::ACCEPTED);
}
