//! Worker test harness: the real API in-process on a real socket, real
//! `hoofbeat-worker` processes, real Postgres and RabbitMQ; each test has its
//! own database and queue names.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use api::{ApiConfig, Application};
use reqwest::{Client, StatusCode};
use serde_json::Value;
use shared::amqp::Topology;
use shared::config::Env;
pub use shared::testkit::{AMQP, Proxy, Scratch, eventually};
use shared::testkit::{create_horse, recording, sign_up};
use sqlx::PgPool;
use tokio::sync::oneshot;
use uuid::Uuid;
/// Short retry tiers so that retry tests finish quickly; the API and the
/// workers must declare the same.
pub const RETRY_DELAYS_MS: &str = "200,400,800";

pub struct Env2 {
    pub db_name: String,
    pub prefix: String,
    // Dropped after the API is told to stop (fields drop in order).
    _scratch: Scratch,
    pub topology: Topology,
    pub db: PgPool,
    pub base: String,
    pub http: Client,
    stop: Option<oneshot::Sender<()>>,
}

pub async fn setup() -> Env2 {
    setup_with(&[]).await
}

/// [`setup`] with extra API settings (give workers the shared ones too).
pub async fn setup_with(extra: &[(&str, &str)]) -> Env2 {
    let scratch = Scratch::create("hb_wtest").await;
    let (db_name, prefix) = (scratch.db_name.clone(), scratch.prefix.clone());
    let env = Env::from_pairs(
        [
            ("DATABASE_URL".to_owned(), scratch.db_url()),
            ("AMQP_URL".to_owned(), AMQP.to_owned()),
            ("HOOFBEAT_AMQP_PREFIX".to_owned(), prefix.clone()),
            (
                "HOOFBEAT_RETRY_DELAYS_MS".to_owned(),
                RETRY_DELAYS_MS.to_owned(),
            ),
            ("HOOFBEAT_LISTEN_ADDR".to_owned(), "127.0.0.1:0".to_owned()),
            ("HOOFBEAT_OUTBOX_POLL_MS".to_owned(), "200".to_owned()),
            ("HOOFBEAT_LOGIN_PER_MINUTE".to_owned(), "1000".to_owned()),
        ]
        .into_iter()
        .chain(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        ),
    );
    let config = ApiConfig::from_env(&env).expect("config");
    let topology = Topology::from_config(&config.common).expect("topology");
    let app = Application::build(config).await.expect("api");
    let base = format!("http://{}", app.local_addr());
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = app
            .run_until_stopped(async move {
                let _ = stopped.await;
            })
            .await;
    });
    let db = PgPool::connect(&scratch.db_url()).await.expect("pool");
    Env2 {
        db_name,
        prefix,
        _scratch: scratch,
        topology,
        db,
        base,
        http: Client::new(),
        stop: Some(stop),
    }
}

impl Drop for Env2 {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// A worker process; killed when dropped.
pub struct WorkerProc {
    pub child: Child,
    pub http: SocketAddr,
    /// Its stdout: JSON log lines.
    pub log: PathBuf,
}

impl Drop for WorkerProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl WorkerProc {
    /// Sends SIGTERM and waits for the exit code.
    pub async fn terminate(self, within: Duration) -> Option<i32> {
        self.sigterm();
        self.wait_exit(within).await
    }

    /// Sends SIGTERM.
    pub fn sigterm(&self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
    }

    /// `GET` of a probe path: status and body (`None` when refused).
    pub async fn probe(&self, path: &str) -> Option<(u16, String)> {
        let r = reqwest::get(format!("http://{}{path}", self.http))
            .await
            .ok()?;
        let status = r.status().as_u16();
        Some((status, r.text().await.unwrap_or_default()))
    }

    /// Waits for the exit code.
    pub async fn wait_exit(mut self, within: Duration) -> Option<i32> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            if tokio::time::Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// True while the process runs.
    pub fn child_alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// `kill -9`.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub async fn metrics(&self) -> String {
        match reqwest::get(format!("http://{}/metrics", self.http)).await {
            Ok(r) => r.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Waits until `/readyz` says consuming.
    pub async fn ready(&self) {
        let url = format!("http://{}/readyz", self.http);
        let ok = eventually(Duration::from_secs(20), || async {
            let r = reqwest::get(&url).await.ok()?;
            (r.status() == StatusCode::OK).then_some(())
        })
        .await;
        assert!(ok.is_some(), "worker never became ready");
    }
}

fn free_port() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr")
}

impl Env2 {
    /// Starts a worker process with extra environment.
    pub fn worker(&self, extra: &[(&str, &str)]) -> WorkerProc {
        self.worker_via(extra, None, None)
    }

    /// Starts a worker whose database or broker traffic goes through proxies.
    pub fn worker_via(
        &self,
        extra: &[(&str, &str)],
        pg: Option<SocketAddr>,
        broker: Option<SocketAddr>,
    ) -> WorkerProc {
        let http = free_port();
        let pg = pg.map_or_else(|| "127.0.0.1:5432".to_owned(), |a| a.to_string());
        let broker = broker.map_or_else(|| "127.0.0.1:5672".to_owned(), |a| a.to_string());
        let log = std::env::temp_dir().join(format!("{}-worker-{}.log", self.prefix, http.port()));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hoofbeat-worker"));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env(
                "DATABASE_URL",
                format!("postgres://postgres@{pg}/{}", self.db_name),
            )
            .env("AMQP_URL", format!("amqp://guest:guest@{broker}/%2f"))
            .env("HOOFBEAT_AMQP_PREFIX", &self.prefix)
            .env("HOOFBEAT_RETRY_DELAYS_MS", RETRY_DELAYS_MS)
            .env("HOOFBEAT_WORKER_HTTP_ADDR", http.to_string())
            .env("HOOFBEAT_DB_TIMEOUT_MS", "1000")
            .env("HOOFBEAT_AMQP_TIMEOUT_MS", "2000")
            .env("HOOFBEAT_ANALYSIS_THREADS", "1")
            .env("LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(
                std::fs::File::create(&log)
                    .map(Stdio::from)
                    .unwrap_or_else(|_| Stdio::null()),
            )
            .stderr(Stdio::inherit());
        for (k, v) in extra {
            cmd.env(k, v);
        }
        WorkerProc {
            child: cmd.spawn().expect("spawn hoofbeat-worker"),
            http,
            log,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Registers, logs in, creates a horse: (token, horse id).
    pub async fn rider(&self) -> (String, Uuid) {
        let email = format!("{}@example.com", Uuid::new_v4().simple());
        let (token, _) = sign_up(&self.http, &self.base, &email).await;
        let horse = create_horse(&self.http, &self.base, &token, "Comet").await;
        (token, horse)
    }

    /// Uploads a CSV body; returns (session id, job id).
    pub async fn upload(&self, token: &str, horse: Uuid, csv: Vec<u8>) -> (Uuid, Uuid) {
        self.upload_at(token, horse, csv, "2026-11-26T09:00:00Z")
            .await
    }

    /// Uploads a CSV body of a session that started at `started_at` (RFC
    /// 3339); returns (session id, job id).
    pub async fn upload_at(
        &self,
        token: &str,
        horse: Uuid,
        csv: Vec<u8>,
        started_at: &str,
    ) -> (Uuid, Uuid) {
        let r = self
            .http
            .post(self.url(&format!(
                "/v1/horses/{horse}/sessions?started_at={started_at}"
            )))
            .bearer_auth(token)
            .header("content-type", "text/csv")
            .body(csv)
            .send()
            .await
            .expect("upload");
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        let v: Value = r.json().await.expect("json");
        (
            v["session"]["id"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .expect("session"),
            v["job"]["id"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .expect("job"),
        )
    }

    pub async fn job_status(&self, job: Uuid) -> (String, i32, Option<String>) {
        sqlx::query_as("SELECT status, attempts, last_error FROM jobs WHERE id = $1")
            .bind(job)
            .fetch_one(&self.db)
            .await
            .expect("job")
    }

    /// Waits until the job has the status.
    pub async fn wait_status(&self, job: Uuid, status: &str, within: Duration) -> bool {
        eventually(within, || async {
            (self.job_status(job).await.0 == status).then_some(())
        })
        .await
        .is_some()
    }

    /// Asserts that every job succeeded, waiting up to `within` for each.
    pub async fn assert_all_succeeded(&self, jobs: &[Uuid], within: Duration) {
        for job in jobs {
            assert!(
                self.wait_status(*job, "succeeded", within).await,
                "{job}: {:?}",
                self.job_status(*job).await
            );
        }
    }

    /// Asserts that every job succeeded, then that exactly `results`
    /// analyses are stored: none lost, none stored twice by a redelivery.
    pub async fn assert_all_succeeded_once(&self, jobs: &[Uuid], results: i64, within: Duration) {
        self.assert_all_succeeded(jobs, within).await;
        assert_eq!(
            self.count("SELECT count(*) FROM analysis_results").await,
            results,
            "none lost, none duplicated"
        );
    }

    pub async fn count(&self, sql: &'static str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.db)
            .await
            .expect("count")
    }
}

/// A short but realistic session: generated by the analysis crate's physics model.
pub fn session_csv(seed: u64, minutes: f64) -> Vec<u8> {
    let s = analysis::synth::generate(&analysis::synth::SynthConfig {
        seed,
        minutes,
        rate_hz: 50.0,
    });
    shared::sensor::encode_csv(&s.recording)
}

/// A short recording (for tests that only need some job to run).
pub fn tiny_csv() -> Vec<u8> {
    shared::sensor::encode_csv(&recording(10.0, 50.0))
}

/// The `hoofbeat` CLI binary (built on demand when only this package is tested).
pub fn cli_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test exe");
    let dir: &Path = exe.parent().and_then(Path::parent).expect("target dir");
    let bin = dir.join("hoofbeat");
    if !bin.exists() {
        let status = Command::new(env!("CARGO"))
            .args(["build", "-p", "analysis", "--bin", "hoofbeat"])
            .status()
            .expect("cargo build");
        assert!(status.success());
    }
    bin
}

/// `GET /v1/horses/{horse}/trends{query}`: the answer, and its `trend` member
/// exactly as sent (`None` when null).
pub async fn get_trend(
    env: &Env2,
    token: &str,
    horse: Uuid,
    query: &str,
) -> (Value, Option<String>) {
    #[derive(serde::Deserialize)]
    struct Raw {
        trend: Option<Box<serde_json::value::RawValue>>,
    }
    let r = env
        .http
        .get(env.url(&format!("/v1/horses/{horse}/trends{query}")))
        .bearer_auth(token)
        .send()
        .await
        .expect("trends");
    assert_eq!(r.status(), StatusCode::OK);
    let body = r.text().await.expect("body");
    let raw: Raw = serde_json::from_str(&body).expect("trend answer");
    let v: Value = serde_json::from_str(&body).expect("trend answer");
    (v, raw.trend.map(|t| t.get().to_owned()))
}

/// Waits until the stored trend covers `sessions` sessions; returns the
/// answer and the raw document.
pub async fn wait_trend(
    env: &Env2,
    token: &str,
    horse: Uuid,
    sessions: u64,
    within: Duration,
) -> (Value, String) {
    let found = eventually(within, || async {
        let (v, raw) = get_trend(env, token, horse, "").await;
        (v["status"] == "ready" && v["trend"]["sessions"].as_u64() == Some(sessions))
            .then(|| (v, raw.unwrap_or_default()))
    })
    .await;
    match found {
        Some(f) => f,
        None => panic!(
            "no trend over {sessions} sessions: {:?}",
            get_trend(env, token, horse, "").await.0
        ),
    }
}

/// What `hoofbeat trend` prints for these files: each decoded and analysed
/// offline, its features derived with its start in Unix milliseconds.
pub fn offline_trend(files: &[(&[u8], i64)]) -> String {
    let features: Vec<trend::SessionFeatures> = files
        .iter()
        .map(|(csv, ms)| {
            let recording = shared::sensor::decode(shared::sensor::Format::Csv, csv)
                .expect("valid CSV")
                .recording;
            let a = analysis::analyze(&recording).expect("analysis");
            analysis::features::from_analysis(&a, *ms)
        })
        .collect();
    let doc = trend::compute(&features, &trend::TrendConfig::default());
    String::from_utf8(trend::to_json(&doc)).expect("UTF-8")
}

/// Unix milliseconds of an RFC 3339 time, truncated (as the server keeps it).
pub fn unix_ms(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .expect("RFC 3339")
        .timestamp_millis()
}

/// What the real `hoofbeat trend --format json [ARGS] DIR` prints for these
/// CSV files, each with its start in a `FILE.meta.json` sidecar.
pub fn cli_trend(dir_name: &str, files: &[(&[u8], &str)], args: &[&str]) -> String {
    let dir = std::env::temp_dir().join(dir_name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    for (i, (csv, at)) in files.iter().enumerate() {
        std::fs::write(dir.join(format!("ride-{i}.csv")), csv).expect("write");
        let meta = serde_json::json!({ "started_at": at }).to_string();
        std::fs::write(dir.join(format!("ride-{i}.csv.meta.json")), meta).expect("write");
    }
    let out = Command::new(cli_binary())
        .args(["trend", "--format", "json"])
        .args(args)
        .arg(&dir)
        .output()
        .expect("hoofbeat trend");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "hoofbeat trend failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8")
        .trim_end()
        .to_owned()
}
