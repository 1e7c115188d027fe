//! Test support shared by the API and worker test suites and the benchmarks
//! (feature `testkit`, for dev-dependencies only): a database and broker
//! names of their own per test, removed afterwards even when the test
//! panics, a TCP proxy that can cut a link, polling with a deadline, a
//! plausible recording, signing up a rider through the real API, and the
//! statements a start-up warm-up prepared.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::{Connection, Executor, PgConnection};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::amqp::{self, Topology};
use crate::sensor::Recording;

/// The local Postgres server (trust auth), without a database name.
pub const PG: &str = "postgres://postgres@127.0.0.1:5432";
/// The local RabbitMQ broker.
pub const AMQP: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

/// A database and an AMQP prefix owned by one test; dropping it drops the
/// database and deletes the prefix's exchanges and queues.
#[derive(Debug)]
pub struct Scratch {
    /// Database name, `<kind>_<uuid>`.
    pub db_name: String,
    /// AMQP name prefix, `<kind>-<uuid>`.
    pub prefix: String,
    /// More prefixes whose exchanges and queues are deleted with it.
    pub extra_prefixes: Vec<String>,
}

impl Scratch {
    /// Creates the database; `kind` names what it is for (`hb_test`, `hb_bench`…).
    pub async fn create(kind: &str) -> Scratch {
        let id = Uuid::new_v4().simple();
        let db_name = format!("{kind}_{id}");
        let mut admin = PgConnection::connect(&format!("{PG}/postgres"))
            .await
            .unwrap_or_else(|e| panic!("Postgres must run on 127.0.0.1:5432: {e}"));
        admin
            .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db_name}")))
            .await
            .unwrap_or_else(|e| panic!("cannot create database {db_name}: {e}"));
        let _ = admin.close().await;
        Scratch {
            db_name,
            prefix: format!("{}-{id}", kind.replace('_', "-")),
            extra_prefixes: Vec::new(),
        }
    }

    /// The database URL through `addr` (the server itself, or a proxy).
    pub fn db_url_via(&self, addr: &str) -> String {
        format!("postgres://postgres@{addr}/{}", self.db_name)
    }

    /// The database URL.
    pub fn db_url(&self) -> String {
        format!("{PG}/{}", self.db_name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let db_name = self.db_name.clone();
        let mut prefixes = vec![self.prefix.clone()];
        prefixes.extend(self.extra_prefixes.iter().cloned());
        // Drop cannot await: clean up on a thread with a runtime of its own.
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
                for prefix in &prefixes {
                    delete_topology(prefix).await;
                }
            });
        })
        .join();
    }
}

/// Deletes every exchange and queue of a prefix (default settings: the
/// names do not depend on the retry delays' values, only on their count,
/// so the widest default is used).
pub async fn delete_topology(prefix: &str) {
    let Ok(topology) = Topology::new(prefix) else {
        return;
    };
    if let Ok(conn) = amqp::connect(AMQP, Duration::from_secs(5)).await {
        if let Ok(ch) = conn.create_channel().await {
            let _ = amqp::delete(&ch, &topology).await;
        }
        let _ = conn.close(200, "test done".into()).await;
    }
}

/// Polls `f` every 50 ms until it returns `Some`, for at most `within`.
pub async fn eventually<T, F, Fut>(within: Duration, mut f: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
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

/// Queues a trend job for the horse now (no debounce), as the API and the
/// worker do; returns its id. Panics when one is already queued.
pub async fn queue_trend(db: &sqlx::PgPool, horse: Uuid) -> Uuid {
    let owner: Uuid = sqlx::query_scalar("SELECT owner_id FROM horses WHERE id = $1")
        .bind(horse)
        .fetch_one(db)
        .await
        .expect("the horse exists");
    let mut conn = db.acquire().await.expect("a connection");
    crate::outbox::enqueue_trend_once(&mut conn, horse, owner, Default::default(), Duration::ZERO)
        .await
        .expect("enqueue")
        .expect("no trend job was queued for the horse")
}

/// Builds a pool of `connections` on the database of `options` warmed with
/// `prepare` ([`crate::db::warmed`]), opens one connection at start-up and
/// the others on demand, then lists the statements prepared on each
/// (`pg_prepared_statements` is per session; holding all of them at once
/// reaches every one).
pub async fn warmed_statements(
    options: sqlx::postgres::PgConnectOptions,
    connections: u32,
    prepare: crate::db::Prepare,
) -> Vec<Vec<String>> {
    // One connection opened by the start-up warm-up, the others on demand
    // below: both kinds must come out warm.
    let pool = crate::db::warmed(sqlx::postgres::PgPoolOptions::new(), prepare)
        .min_connections(1)
        .max_connections(connections)
        .connect_lazy_with(options);
    crate::db::warm(&pool).await;
    let mut held = Vec::new();
    for _ in 0..connections {
        held.push(pool.acquire().await.expect("a warmed connection"));
    }
    let mut each = Vec::new();
    for conn in &mut held {
        each.push(
            sqlx::query_scalar("SELECT statement FROM pg_prepared_statements")
                .fetch_all(&mut **conn)
                .await
                .expect("pg_prepared_statements"),
        );
    }
    each
}

/// A TCP proxy whose link can be cut and restored, to make the database or
/// the broker unreachable for one process without touching the shared servers.
#[derive(Debug)]
pub struct Proxy {
    /// Where to connect instead of the server.
    pub addr: SocketAddr,
    broken: Arc<AtomicBool>,
    kill: broadcast::Sender<()>,
}

impl Proxy {
    /// Starts a proxy to `target` (`host:port`) on a free loopback port.
    pub async fn start(target: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("proxy bind: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("proxy addr: {e}"));
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

/// A plausible recording: `secs` seconds at `rate` Hz with a trot-like
/// bounce, so that uploads and analyses have something real to chew on.
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

/// Registers and logs in `email` through the API at `base`; returns the
/// bearer token and the user id. Panics (failing the test) on any other answer.
pub async fn sign_up(http: &reqwest::Client, base: &str, email: &str) -> (String, Uuid) {
    let creds = serde_json::json!({"email": email, "password": "correct horse battery"});
    let r = http
        .post(format!("{base}/v1/auth/register"))
        .json(&creds)
        .send()
        .await
        .unwrap_or_else(|e| panic!("register: {e}"));
    let status = r.status();
    assert_eq!(
        status,
        reqwest::StatusCode::CREATED,
        "register: {}",
        r.text().await.unwrap_or_default()
    );
    let r = http
        .post(format!("{base}/v1/auth/login"))
        .json(&creds)
        .send()
        .await
        .unwrap_or_else(|e| panic!("login: {e}"));
    assert_eq!(r.status(), reqwest::StatusCode::OK, "login");
    let v: serde_json::Value = r.json().await.unwrap_or_else(|e| panic!("login json: {e}"));
    let id = v["user"]["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no user id in {v}"));
    let token = v["token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token in {v}"))
        .to_owned();
    (token, id)
}

/// Creates a horse named `name`; returns its id.
pub async fn create_horse(http: &reqwest::Client, base: &str, token: &str, name: &str) -> Uuid {
    let r = http
        .post(format!("{base}/v1/horses"))
        .bearer_auth(token)
        .json(&serde_json::json!({"name": name}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("create horse: {e}"));
    assert_eq!(r.status(), reqwest::StatusCode::CREATED, "create horse");
    let v: serde_json::Value = r.json().await.unwrap_or_else(|e| panic!("horse json: {e}"));
    v["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no horse id in {v}"))
}

/// One HTTP request an [`otlp_collector`] received.
#[derive(Debug, Clone)]
pub struct OtlpRequest {
    /// `POST`, normally.
    pub method: String,
    /// `/v1/traces` for spans.
    pub path: String,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The body as sent (protobuf for OTLP/HTTP).
    pub body: Vec<u8>,
}

/// What an [`otlp_collector`] has received so far.
pub type OtlpRequests = Arc<std::sync::Mutex<Vec<OtlpRequest>>>;

/// Starts a minimal OTLP/HTTP receiver on a free local port (HTTP/1.1 with
/// keep-alive and `Content-Length` bodies) that records every request and
/// answers 200 with an empty protobuf body (an empty export response).
/// Spawns on the current Tokio runtime, which must keep running.
pub async fn otlp_collector() -> (SocketAddr, OtlpRequests) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let seen: OtlpRequests = Arc::default();
    let store = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve_otlp(stream, Arc::clone(&store)));
        }
    });
    (addr, seen)
}

/// One collector connection: reads requests until the peer closes.
async fn serve_otlp(stream: TcpStream, store: OtlpRequests) {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    loop {
        let mut start = String::new();
        if reader.read_line(&mut start).await.unwrap_or(0) == 0 {
            return;
        }
        let mut parts = start.split_whitespace();
        let method = parts.next().unwrap_or_default().to_owned();
        let path = parts.next().unwrap_or_default().to_owned();
        let (mut len, mut content_type) = (0_usize, None);
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    len = value.trim().parse().unwrap_or(0);
                } else if name.eq_ignore_ascii_case("content-type") {
                    content_type = Some(value.trim().to_owned());
                }
            }
        }
        let mut body = vec![0; len];
        if reader.read_exact(&mut body).await.is_err() {
            return;
        }
        store.lock().expect("lock").push(OtlpRequest {
            method,
            path,
            content_type,
            body,
        });
        let reply =
            "HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n";
        if write.write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}
