//! Test harness: each test gets its own database and its own RabbitMQ names,
//! and a real API on a real socket.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use api::{ApiConfig, Application};
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use shared::amqp::{self, Topology};
use shared::config::Env;
use shared::sensor::{self, Recording};
use sqlx::{Connection, Executor, PgConnection, PgPool};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, oneshot};
use uuid::Uuid;

pub const PG: &str = "postgres://postgres@127.0.0.1:5432";
pub const AMQP: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

pub struct TestApp {
    pub base: String,
    pub http: Client,
    pub db: PgPool,
    pub db_name: String,
    pub topology: Topology,
    stop: Option<oneshot::Sender<()>>,
}

/// Options of a test application.
#[derive(Default)]
pub struct Opts {
    /// Extra environment pairs.
    pub env: Vec<(String, String)>,
    /// Database address to use instead of 127.0.0.1:5432 (a proxy).
    pub pg_addr: Option<SocketAddr>,
    /// Broker address to use instead of 127.0.0.1:5672 (a proxy).
    pub amqp_addr: Option<SocketAddr>,
}

pub async fn spawn_app() -> TestApp {
    spawn_with(Opts::default()).await
}

pub async fn spawn_with(opts: Opts) -> TestApp {
    let db_name = format!("hb_test_{}", Uuid::new_v4().simple());
    let mut admin = PgConnection::connect(&format!("{PG}/postgres"))
        .await
        .expect("postgres must run on 127.0.0.1:5432");
    admin
        .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db_name}")))
        .await
        .expect("create test database");
    let pg = opts
        .pg_addr
        .map_or_else(|| "127.0.0.1:5432".to_owned(), |a| a.to_string());
    let amqp_host = opts
        .amqp_addr
        .map_or_else(|| "127.0.0.1:5672".to_owned(), |a| a.to_string());
    let prefix = format!("test-{}", Uuid::new_v4().simple());
    let mut env: Vec<(String, String)> = vec![
        (
            "DATABASE_URL".into(),
            format!("postgres://postgres@{pg}/{db_name}"),
        ),
        (
            "AMQP_URL".into(),
            format!("amqp://guest:guest@{amqp_host}/%2f"),
        ),
        ("HOOFBEAT_AMQP_PREFIX".into(), prefix.clone()),
        ("HOOFBEAT_LISTEN_ADDR".into(), "127.0.0.1:0".into()),
        ("HOOFBEAT_OUTBOX_POLL_MS".into(), "200".into()),
        ("HOOFBEAT_DB_TIMEOUT_MS".into(), "1000".into()),
        ("HOOFBEAT_AMQP_TIMEOUT_MS".into(), "2000".into()),
        ("HOOFBEAT_LOGIN_PER_MINUTE".into(), "1000".into()),
    ];
    env.extend(opts.env);
    let config = ApiConfig::from_env(&Env::from_pairs(env)).expect("test config");
    let app = Application::build(config).await.expect("build app");
    let addr = app.local_addr();
    let db = sqlx::PgPool::connect(&format!("{PG}/{db_name}"))
        .await
        .expect("test pool");
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = app
            .run_until_stopped(async move {
                let _ = stopped.await;
            })
            .await;
    });
    TestApp {
        base: format!("http://{addr}"),
        http: Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client"),
        db,
        db_name,
        topology: Topology::new(&prefix).expect("topology"), // the defaults, as the app uses
        stop: Some(stop),
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, token: &str, path: &str) -> Response {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    pub async fn delete(&self, token: &str, path: &str) -> Response {
        self.http
            .delete(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    pub async fn post_json(&self, token: &str, path: &str, body: &Value) -> Response {
        self.http
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn patch_json(&self, token: &str, path: &str, body: &Value) -> Response {
        self.http
            .patch(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// Registers and logs in a new user; returns (token, user id).
    pub async fn user(&self, email: &str) -> (String, Uuid) {
        let creds = json!({"email": email, "password": "correct horse battery"});
        let r = self
            .http
            .post(self.url("/v1/auth/register"))
            .json(&creds)
            .send()
            .await
            .expect("register");
        assert_eq!(
            r.status(),
            StatusCode::CREATED,
            "{}",
            r.text().await.unwrap_or_default()
        );
        let r = self
            .http
            .post(self.url("/v1/auth/login"))
            .json(&creds)
            .send()
            .await
            .expect("login");
        assert_eq!(r.status(), StatusCode::OK);
        let v: Value = r.json().await.expect("login json");
        let id = v["user"]["id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("user id");
        (v["token"].as_str().expect("token").to_owned(), id)
    }

    pub async fn horse(&self, token: &str, name: &str) -> Uuid {
        let r = self
            .post_json(token, "/v1/horses", &json!({"name": name}))
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
        let v: Value = r.json().await.expect("horse json");
        v["id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("horse id")
    }

    /// Uploads samples; `content_type` selects the format.
    pub async fn upload(
        &self,
        token: &str,
        horse: Uuid,
        content_type: &str,
        body: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> Response {
        let mut req = self
            .http
            .post(self.url(&format!(
                "/v1/horses/{horse}/sessions?started_at=2026-11-26T09:00:00Z&discipline=flat"
            )))
            .bearer_auth(token)
            .header("content-type", content_type)
            .body(body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.expect("upload")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        let db_name = self.db_name.clone();
        let topology = self.topology.clone();
        // Clean up on a thread of its own: Drop cannot await.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(mut c) = PgConnection::connect(&format!("{PG}/postgres")).await {
                    let _ = c
                        .execute(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {db_name} WITH (FORCE)"
                        )))
                        .await;
                }
                if let Ok(conn) = amqp::connect(AMQP, Duration::from_secs(5)).await {
                    if let Ok(ch) = conn.create_channel().await {
                        let _ = amqp::delete(&ch, &topology).await;
                    }
                    let _ = conn.close(0, "test done".into()).await;
                }
            });
        })
        .join();
    }
}

/// A plausible recording: `secs` seconds at `rate` Hz, trot-like bounce.
pub fn recording(secs: f64, rate: f64) -> Recording {
    let n = (secs * rate) as usize;
    let mut r = Recording {
        sample_rate_hz: rate,
        ..Recording::default()
    };
    for i in 0..n {
        let t = i as f64 / rate;
        let w = 2.0 * std::f64::consts::PI * 2.8 * t;
        r.t.push(t);
        r.acc[0].push(0.3 * w.cos());
        r.acc[1].push(0.2 * (w / 2.0).sin());
        r.acc[2].push(9.81 + 3.0 * w.sin());
        r.gyro[0].push(5.0 * (w / 2.0).sin());
        r.gyro[1].push(8.0 * w.cos());
        r.gyro[2].push(1.5);
    }
    r
}

pub fn csv_body(secs: f64) -> Vec<u8> {
    sensor::encode_csv(&recording(secs, 100.0))
}

pub fn binary_body(secs: f64) -> Vec<u8> {
    let p = sensor::BinaryParams {
        started_at_unix_ms: 1_795_000_000_000,
        acc_scale: 0.01,
        gyro_scale: 0.1,
    };
    sensor::encode_binary(&recording(secs, 100.0), &p).expect("encode binary")
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip")
}

/// Asserts a problem+json answer with the given status and code.
pub async fn assert_problem(r: Response, status: u16, code: &str) -> Value {
    assert_eq!(r.status().as_u16(), status, "unexpected status");
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert_eq!(ct, "application/problem+json");
    let v: Value = r.json().await.expect("problem json");
    assert_eq!(v["code"], code, "{v}");
    assert_eq!(v["status"], status);
    assert!(v["type"].as_str().is_some_and(|t| t.ends_with(code)));
    v
}

/// Waits until `f` returns Some, polling every 50 ms for at most `within`.
pub async fn eventually<T, F, Fut>(within: Duration, mut f: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(v) = f().await {
            return Some(v);
        }
        if tokio::time::Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A TCP proxy whose link can be cut and restored, to simulate a database or
/// broker that becomes unreachable without touching the shared servers.
pub struct Proxy {
    pub addr: SocketAddr,
    broken: Arc<AtomicBool>,
    kill: broadcast::Sender<()>,
}

impl Proxy {
    pub async fn start(target: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy bind");
        let addr = listener.local_addr().expect("proxy addr");
        let broken = Arc::new(AtomicBool::new(false));
        let (kill, _) = broadcast::channel(4);
        let (b, k, target) = (broken.clone(), kill.clone(), target.to_owned());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if b.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let mut killed = k.subscribe();
                let target = target.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(&target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = killed.recv() => {}
                    }
                });
            }
        });
        Proxy { addr, broken, kill }
    }

    /// Cuts every open connection and refuses new ones.
    pub fn cut(&self) {
        self.broken.store(true, Ordering::SeqCst);
        let _ = self.kill.send(());
    }

    /// Lets connections through again.
    pub fn restore(&self) {
        self.broken.store(false, Ordering::SeqCst);
    }
}
