//! Test harness: each test gets its own database and its own RabbitMQ names,
//! and a real API on a real socket.

use std::net::SocketAddr;
use std::time::Duration;

use api::{ApiConfig, Application};
use reqwest::{Client, Response};
use serde_json::Value;
use shared::amqp::Topology;
use shared::config::Env;
use shared::sensor;
pub use shared::testkit::{AMQP, Proxy, Scratch, eventually, recording};
use shared::testkit::{create_horse, sign_up};
use sqlx::PgPool;
use tokio::sync::oneshot;
use uuid::Uuid;

pub struct TestApp {
    pub base: String,
    pub http: Client,
    pub db: PgPool,
    pub topology: Topology,
    stop: Option<oneshot::Sender<()>>,
    // Last: dropped after the app is told to stop.
    _scratch: Scratch,
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

/// An app with these environment variables on top of the test defaults.
pub async fn spawn_with_env(env: &[(&str, &str)]) -> TestApp {
    spawn_with(Opts {
        env: env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        ..Opts::default()
    })
    .await
}

pub async fn spawn_with(opts: Opts) -> TestApp {
    let scratch = Scratch::create("hb_test").await;
    let pg = opts
        .pg_addr
        .map_or_else(|| "127.0.0.1:5432".to_owned(), |a| a.to_string());
    let amqp_host = opts
        .amqp_addr
        .map_or_else(|| "127.0.0.1:5672".to_owned(), |a| a.to_string());
    let prefix = scratch.prefix.clone();
    let mut env: Vec<(String, String)> = vec![
        ("DATABASE_URL".into(), scratch.db_url_via(&pg)),
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
    let db = sqlx::PgPool::connect(&scratch.db_url())
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
        topology: Topology::new(&prefix).expect("topology"), // the defaults, as the app uses
        stop: Some(stop),
        _scratch: scratch,
    }
}

impl TestApp {
    /// The `/metrics` page.
    pub async fn scrape(&self) -> String {
        self.http
            .get(self.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Rows in `table`.
    pub async fn count_rows(&self, table: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
            .fetch_one(&self.db)
            .await
            .unwrap()
    }

    /// Waits until `/readyz` reports the broker up: the relay has connected
    /// (and declared the queues). Returns that readiness report.
    pub async fn wait_broker_up(&self, within: std::time::Duration) -> serde_json::Value {
        shared::testkit::eventually(within, || async {
            let v: serde_json::Value = self
                .http
                .get(self.url("/readyz"))
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            (v["broker"] == "up").then_some(v)
        })
        .await
        .expect("the relay connected to the broker")
    }

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
        sign_up(&self.http, &self.base, email).await
    }

    pub async fn horse(&self, token: &str, name: &str) -> Uuid {
        create_horse(&self.http, &self.base, token, name).await
    }

    /// The API's OpenAPI document (`/openapi.json`).
    pub async fn openapi(&self) -> Value {
        self.http
            .get(self.url("/openapi.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Stores an analysis document for a session, as the worker would (at
    /// this build's algorithm version).
    pub async fn store_result(&self, session: &str, job: &str, doc: &str) {
        sqlx::query(
            "INSERT INTO analysis_results (session_id, algorithm_version, job_id, result)
             VALUES ($1::uuid, $2, $3::uuid, $4::json)",
        )
        .bind(session)
        .bind(analysis::ALGORITHM_VERSION)
        .bind(job)
        .bind(doc)
        .execute(&self.db)
        .await
        .unwrap();
    }

    /// Uploads a CSV session of `secs` seconds that must be accepted;
    /// returns the 202 answer.
    pub async fn upload_csv(&self, token: &str, horse: Uuid, secs: f64) -> Value {
        self.upload(token, horse, "text/csv", csv_body(secs), &[])
            .await
            .json()
            .await
            .unwrap()
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
    }
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
