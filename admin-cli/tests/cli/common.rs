//! Harness: the real API in-process on a real socket (its own database and
//! queue names), an in-process worker when a test needs jobs to run, and
//! the real `hoofbeat-admin` binary run as a process with a clean environment.

use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use api::{ApiConfig, Application};
use reqwest::{Client, StatusCode};
use serde_json::Value;
use shared::config::Env;
pub use shared::testkit::{AMQP, Scratch, eventually};
use shared::testkit::{create_horse, recording, sign_up};
use sqlx::PgPool;
use tokio::sync::oneshot;
use uuid::Uuid;

/// The password `sign_up` registers with.
pub const PASSWORD: &str = "correct horse battery";
/// Short retry tiers; the API and the worker must declare the same.
const RETRY_DELAYS_MS: &str = "200,400,800";

pub struct TestEnv {
    pub base: String,
    pub http: Client,
    pub db: PgPool,
    /// A directory of this test's own (HOME of the CLI, token files).
    pub dir: PathBuf,
    stops: Vec<oneshot::Sender<()>>,
    // Last: dropped after the API and the worker are told to stop.
    scratch: Scratch,
}

/// What a CLI run gave.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts the exit code, showing both streams when it differs.
    #[track_caller]
    pub fn expect(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code; stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

fn common_env(scratch: &Scratch) -> Vec<(String, String)> {
    vec![
        ("DATABASE_URL".into(), scratch.db_url()),
        ("AMQP_URL".into(), AMQP.into()),
        ("HOOFBEAT_AMQP_PREFIX".into(), scratch.prefix.clone()),
        ("HOOFBEAT_RETRY_DELAYS_MS".into(), RETRY_DELAYS_MS.into()),
    ]
}

pub async fn setup() -> TestEnv {
    let scratch = Scratch::create("hb_ctest").await;
    let mut env = common_env(&scratch);
    env.extend([
        ("HOOFBEAT_LISTEN_ADDR".to_owned(), "127.0.0.1:0".to_owned()),
        ("HOOFBEAT_OUTBOX_POLL_MS".to_owned(), "200".to_owned()),
        ("HOOFBEAT_LOGIN_PER_MINUTE".to_owned(), "1000".to_owned()),
        // A token's expiry changed in SQL is seen at once.
        ("HOOFBEAT_TOKEN_CACHE_SECS".to_owned(), "0".to_owned()),
    ]);
    let config = ApiConfig::from_env(&Env::from_pairs(env)).expect("api config");
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
    let dir = std::env::temp_dir().join(format!("{}-home", scratch.prefix));
    std::fs::create_dir_all(&dir).expect("test dir");
    TestEnv {
        base,
        http: Client::new(),
        db,
        dir,
        stops: vec![stop],
        scratch,
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        for s in self.stops.drain(..) {
            let _ = s.send(());
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A free loopback port with nothing listening on it.
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// The permission bits of a file.
pub fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).expect("metadata").mode() & 0o777
}

impl TestEnv {
    /// Starts a worker in this process on this test's database and queues.
    pub async fn worker(&mut self) {
        self.worker_with(&[]).await;
    }

    /// Starts a worker with extra settings.
    pub async fn worker_with(&mut self, extra: &[(&str, &str)]) {
        let mut env = common_env(&self.scratch);
        env.extend([
            (
                "HOOFBEAT_WORKER_HTTP_ADDR".to_owned(),
                "127.0.0.1:0".to_owned(),
            ),
            ("HOOFBEAT_ANALYSIS_THREADS".to_owned(), "1".to_owned()),
        ]);
        env.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let config = worker::WorkerConfig::from_env(&Env::from_pairs(env)).expect("worker config");
        let w = worker::Worker::build(config).await.expect("worker");
        let ready = format!("http://{}/readyz", w.http_addr());
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = w
                .run_until_stopped(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        self.stops.insert(0, stop);
        let ok = eventually(Duration::from_secs(20), || async {
            let r = reqwest::get(&ready).await.ok()?;
            (r.status() == StatusCode::OK).then_some(())
        })
        .await;
        assert!(ok.is_some(), "the worker never became ready");
    }

    /// Registers a user; returns (email, token).
    pub async fn user(&self) -> (String, String) {
        let email = format!("{}@example.com", Uuid::new_v4().simple());
        let (token, _) = sign_up(&self.http, &self.base, &email).await;
        (email, token)
    }

    /// Registers an admin; returns (email, token).
    pub async fn admin(&self) -> (String, String) {
        let (email, token) = self.user().await;
        sqlx::query("UPDATE users SET role = 'admin' WHERE email = $1")
            .bind(&email)
            .execute(&self.db)
            .await
            .expect("grant admin");
        (email, token)
    }

    /// Uploads a short session for a new rider's horse; returns the job id.
    pub async fn upload(&self) -> Uuid {
        let (_, token) = self.user().await;
        let horse = create_horse(&self.http, &self.base, &token, "Comet").await;
        let body = shared::sensor::encode_csv(&recording(5.0, 100.0));
        let r = self
            .http
            .post(format!(
                "{}/v1/horses/{horse}/sessions?started_at=2026-11-26T09:00:00Z&discipline=flat",
                self.base
            ))
            .bearer_auth(&token)
            .header("content-type", "text/csv")
            .body(body)
            .send()
            .await
            .expect("upload");
        assert_eq!(r.status(), StatusCode::ACCEPTED, "upload");
        let v: Value = r.json().await.expect("upload json");
        v["job"]["id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("job id")
    }

    /// The job's status.
    pub async fn job_status(&self, job: Uuid) -> String {
        sqlx::query_scalar("SELECT status FROM jobs WHERE id = $1")
            .bind(job)
            .fetch_one(&self.db)
            .await
            .expect("job status")
    }

    /// Waits until the job has `status`.
    pub async fn wait_status(&self, job: Uuid, status: &str) {
        let ok = eventually(Duration::from_secs(30), || async {
            (self.job_status(job).await == status).then_some(())
        })
        .await;
        assert!(
            ok.is_some(),
            "job {job} never became {status}: {}",
            self.job_status(job).await
        );
    }

    /// A job that ran (a worker must be running) and was then marked dead,
    /// as the worker leaves one after its last attempt.
    pub async fn dead_job(&self, error: &str) -> Uuid {
        let job = self.upload().await;
        self.wait_status(job, "succeeded").await;
        sqlx::query(
            "UPDATE jobs SET status = 'dead', attempts = 5, last_error = $2, updated_at = now()
             WHERE id = $1",
        )
        .bind(job)
        .bind(error)
        .execute(&self.db)
        .await
        .expect("mark dead");
        job
    }

    /// Replaces the job's stored samples with bytes no decoder accepts: its
    /// next run fails.
    pub async fn corrupt_samples(&self, job: Uuid) {
        sqlx::query(
            "UPDATE session_data SET data = '\\x00010203'::bytea
             WHERE session_id = (SELECT session_id FROM jobs WHERE id = $1)",
        )
        .bind(job)
        .execute(&self.db)
        .await
        .expect("corrupt samples");
    }

    /// A dead job without a worker: marked dead while still queued, as a job
    /// the broker dead-lettered is.
    pub async fn dead_job_unrun(&self, error: &str) -> Uuid {
        let job = self.upload().await;
        sqlx::query(
            "UPDATE jobs SET status = 'dead', attempts = 5, last_error = $2, updated_at = now()
             WHERE id = $1",
        )
        .bind(job)
        .bind(error)
        .execute(&self.db)
        .await
        .expect("mark dead");
        job
    }

    /// The CLI with a clean environment: HOME in this test's directory, the
    /// API's URL, and `env`.
    pub fn cli(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hoofbeat-admin"));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &self.dir)
            .env("HOOFBEAT_API_URL", &self.base)
            .args(args)
            .stdin(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs the CLI to its end (off the runtime's thread: the API and the
    /// worker keep serving meanwhile).
    pub async fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = self.cli(args, env);
        let out = tokio::task::spawn_blocking(move || cmd.output())
            .await
            .expect("join")
            .expect("run hoofbeat-admin");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// The default token file under this test's HOME.
    pub fn token_file(&self) -> PathBuf {
        self.dir.join(".config/hoofbeat/admin-token")
    }

    /// Logs in an admin through the CLI; returns (email, the token as stored).
    pub async fn cli_login(&self) -> (String, String) {
        let (email, _) = self.admin().await;
        self.run(
            &["login", "--email", &email],
            &[("HOOFBEAT_ADMIN_PASSWORD", PASSWORD)],
        )
        .await
        .expect(0);
        let stored: Value =
            serde_json::from_str(&std::fs::read_to_string(self.token_file()).expect("token file"))
                .expect("token json");
        (email, stored["token"].as_str().expect("token").to_owned())
    }
}
