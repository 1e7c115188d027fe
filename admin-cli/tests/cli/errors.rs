//! A wrong URL: nothing listening, or a server that is not the Hoofbeat API.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::common::{closed_port, setup};

#[tokio::test]
async fn nothing_listening_is_unreachable() {
    let env = setup().await;
    let url = format!("http://127.0.0.1:{}", closed_port());
    let run = env
        .run(
            &["--url", &url, "jobs"],
            &[("HOOFBEAT_ADMIN_TOKEN", "hb_x")],
        )
        .await;
    run.expect(3);
    assert_eq!(
        run.stderr.trim(),
        format!("hoofbeat-admin: cannot reach the API at {url}: connection refused")
    );
    // Over https too (rustls is built in).
    let https = format!("https://127.0.0.1:{}", closed_port());
    let run = env
        .run(
            &["--url", &https, "overview"],
            &[("HOOFBEAT_ADMIN_TOKEN", "hb_x")],
        )
        .await;
    run.expect(3);
    assert!(run.stderr.contains("connection refused"), "{}", run.stderr);
    // Login says so before asking for a password.
    let run = env
        .run(
            &["login", "--email", "a@example.com"],
            &[("HOOFBEAT_API_URL", &url)],
        )
        .await;
    run.expect(3);
    assert!(run.stderr.contains("connection refused"), "{}", run.stderr);
}

/// A web server that answers every request with an HTML 404.
async fn some_other_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let body = "<html><body>Not Found</body></html>";
                let answer = format!(
                    "HTTP/1.1 404 Not Found\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(answer.as_bytes()).await;
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn another_server_is_not_the_hoofbeat_api() {
    let env = setup().await;
    let url = some_other_server().await;
    let run = env
        .run(
            &["--url", &url, "jobs"],
            &[("HOOFBEAT_ADMIN_TOKEN", "hb_x")],
        )
        .await;
    run.expect(3);
    assert!(
        run.stderr
            .starts_with("hoofbeat-admin: the URL does not look like the Hoofbeat API"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("GET /livez answered 404"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    let run = env
        .run(
            &["--url", &url, "login", "--email", "a@example.com"],
            &[("HOOFBEAT_ADMIN_PASSWORD", "whatever1")],
        )
        .await;
    run.expect(3);
    // Not a URL at all: a usage error.
    env.run(
        &["--url", "localhost:8080", "jobs"],
        &[("HOOFBEAT_ADMIN_TOKEN", "hb_x")],
    )
    .await
    .expect(2);
}
