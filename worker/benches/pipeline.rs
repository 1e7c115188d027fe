//! End-to-end pipeline benchmark (not a criterion bench: it drives real
//! processes). Run with `cargo bench -p worker --bench pipeline`.
//!
//! 1. Queue overhead on an idle system: time from the upload's commit (the
//!    job message's `enqueued_at`, stamped inside the upload transaction just
//!    before it commits) to the worker starting the job (`jobs.started_at`),
//!    p50 and p99 over sequential uploads.
//! 2. Throughput of short sessions end to end (upload → stored result) with
//!    one and with two worker processes, and the same workload with the
//!    analysis skipped (`HOOFBEAT_BENCH_SKIP_ANALYSIS`), to show where the
//!    time goes.
//!
//! 3. With the argument `burst` (`cargo bench -p worker --bench pipeline --
//!    burst`), only issue 11's workload: 2,000 sessions of 1 s at 100 Hz from
//!    16 concurrent uploaders with one worker running (live), and the same
//!    2,000 queued first, then drained by one and by two workers.
//!
//! 4. With the argument `cold`, only issue 11's cold-start latency: 10
//!    rounds of a freshly started API and worker, the first upload as soon
//!    as both are ready, 20 sequential uploads a round; commit -> start from
//!    the exact commit time when Postgres has `track_commit_timestamp = on`,
//!    and between two bounds in any case.
//!
//! `HOOFBEAT_BENCH_API_LOG` / `HOOFBEAT_BENCH_WORKER_LOG` set the children's
//! log filters (e.g. `warn,sqlx::query=debug`: every statement, timed); their
//! JSON lines then go to this bench's stdout.
//!
//! The API runs in a child process (this bench binary with `--serve-api`);
//! workers are the release `hoofbeat-worker` binary (or the one
//! `HOOFBEAT_BENCH_WORKER_BIN` names, for an A/B comparison); Postgres and RabbitMQ
//! are the local servers. Each part has its own
//! database and queue names, removed at the end.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[path = "support/accounting.rs"]
mod accounting;
#[path = "support/burst.rs"]
mod burst;
#[path = "support/cold.rs"]
mod cold;

use burst::burst;
use cold::cold_start;

use api::{ApiConfig, Application};
use reqwest::Client;
use serde_json::Value;
use shared::config::Env;
use shared::testkit::{AMQP, Scratch, create_horse, eventually, sign_up};
use sqlx::PgPool;
use uuid::Uuid;

const QUEUE_SAMPLES: usize = 200;
const THROUGHPUT_SESSIONS: usize = 60;
const SESSION_MINUTES: f64 = 5.0;
const UPLOADERS: usize = 4;
const BURST_SESSIONS: usize = 2000;
const BURST_UPLOADERS: usize = 16;
const COLD_ROUNDS: usize = 10;
const COLD_JOBS: usize = 20;

struct Stack {
    base: String,
    db: PgPool,
    http: Client,
    token: String,
    horse: Uuid,
    api: Child,
    workers: Vec<Child>,
    /// The workers' probe ports.
    worker_ports: Vec<u16>,
    // Last field, dropped last: the database and queues outlive their users.
    _scratch: Scratch,
}

impl Stack {
    /// Kills the API and the workers.
    fn stop_processes(&mut self) {
        for w in self
            .workers
            .iter_mut()
            .chain(std::iter::once(&mut self.api))
        {
            let _ = w.kill();
            let _ = w.wait();
        }
    }

    /// Replaces the API and the workers with fresh processes on the same
    /// database and queues, as a redeployment does: the data and the queue
    /// stay, the processes start cold. Returns when the API is ready (the
    /// workers: see [`Stack::wait_workers_ready`]).
    async fn restart(&mut self, skip_analysis: bool) {
        self.stop_processes();
        let (api, base) = spawn_api(&self._scratch, &self.http).await;
        (self.api, self.base) = (api, base);
        self.worker_ports = self.worker_ports.iter().map(|_| free_port()).collect();
        self.workers = self
            .worker_ports
            .iter()
            .map(|&port| spawn_worker(&self._scratch, skip_analysis, port))
            .collect();
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.stop_processes();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port()
}

/// The API in a process of its own (this bench binary again, with
/// `--serve-api`), so that its CPU time is told apart from the clients'.
async fn spawn_api(scratch: &Scratch, http: &Client) -> (Child, String) {
    let addr = format!("127.0.0.1:{}", free_port());
    let child = Command::new(std::env::current_exe().expect("bench binary"))
        .arg("--serve-api")
        .env("DATABASE_URL", scratch.db_url())
        .env("AMQP_URL", AMQP)
        .env("HOOFBEAT_AMQP_PREFIX", &scratch.prefix)
        .env("HOOFBEAT_LISTEN_ADDR", &addr)
        .env("HOOFBEAT_LOGIN_PER_MINUTE", "1000")
        .env("HOOFBEAT_REGISTER_PER_MINUTE", "1000")
        // `HOOFBEAT_BENCH_API_LOG`: the API's log filter for a diagnosis,
        // as `HOOFBEAT_BENCH_WORKER_LOG` for the workers (no logs without).
        .env(
            "RUST_LOG",
            std::env::var("HOOFBEAT_BENCH_API_LOG").unwrap_or_else(|_| "off".into()),
        )
        .env("LOG_FORMAT", "json")
        .stdout(log_output("HOOFBEAT_BENCH_API_LOG"))
        .spawn()
        .expect("spawn the API");
    let base = format!("http://{addr}");
    let ready = eventually(Duration::from_secs(60), || async {
        let r = http.get(format!("{base}/readyz")).send().await.ok()?;
        r.status().is_success().then_some(())
    })
    .await;
    assert!(ready.is_some(), "the API did not become ready");
    (child, base)
}

/// `--serve-api`: runs the API from the environment until killed.
fn serve_api() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let _telemetry = shared::telemetry::init("hoofbeat-api").expect("telemetry");
        let config = ApiConfig::from_env(&Env::process()).expect("config");
        let app = Application::build(config).await.expect("api");
        app.run_until_stopped(std::future::pending::<()>())
            .await
            .expect("api stopped");
    });
}

async fn stack(workers: usize, skip_analysis: bool) -> Stack {
    let scratch = Scratch::create("hb_bench").await;
    let http = Client::new();
    let (api, base) = spawn_api(&scratch, &http).await;
    let db = PgPool::connect(&scratch.db_url()).await.expect("pool");
    let email = format!("{}@example.com", Uuid::new_v4().simple());
    let (token, _) = sign_up(&http, &base, &email).await;
    let horse = create_horse(&http, &base, &token, "Bench").await;
    let worker_ports: Vec<u16> = (0..workers).map(|_| free_port()).collect();
    let workers = worker_ports
        .iter()
        .map(|&port| spawn_worker(&scratch, skip_analysis, port))
        .collect();
    Stack {
        worker_ports,
        _scratch: scratch,
        base,
        db,
        http,
        token,
        horse,
        api,
        workers,
    }
}

/// One release `hoofbeat-worker` on the stack's database and queues, its
/// probe port on `port`. `HOOFBEAT_BENCH_WORKER_BIN` names another worker
/// binary (an A/B comparison: a copy built from the tree before a change).
fn spawn_worker(scratch: &Scratch, skip_analysis: bool, port: u16) -> Child {
    let bin = std::env::var_os("HOOFBEAT_BENCH_WORKER_BIN")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_hoofbeat-worker").into());
    Command::new(bin)
        .env("DATABASE_URL", scratch.db_url())
        .env("AMQP_URL", AMQP)
        .env("HOOFBEAT_AMQP_PREFIX", &scratch.prefix)
        .env("HOOFBEAT_WORKER_HTTP_ADDR", format!("127.0.0.1:{port}"))
        .env("HOOFBEAT_ANALYSIS_THREADS", "1")
        .env("HOOFBEAT_BENCH_SKIP_ANALYSIS", skip_analysis.to_string())
        // `HOOFBEAT_BENCH_WORKER_LOG` overrides the worker's filter for a
        // diagnosis (e.g. `warn,sqlx::query=debug`: every statement, timed);
        // its lines go to the bench's stdout.
        .env(
            "RUST_LOG",
            std::env::var("HOOFBEAT_BENCH_WORKER_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .env("LOG_FORMAT", "json")
        .stdout(log_output("HOOFBEAT_BENCH_WORKER_LOG"))
        .spawn()
        .expect("spawn hoofbeat-worker")
}

/// A child's stdout (its JSON log lines): the bench's own when the filter
/// variable `var` is set, discarded otherwise.
fn log_output(var: &str) -> Stdio {
    if std::env::var_os(var).is_some() {
        Stdio::inherit()
    } else {
        Stdio::null()
    }
}

impl Stack {
    async fn upload(&self, body: Vec<u8>) -> Uuid {
        self.upload_as(&self.token, self.horse, body).await
    }

    /// A rider with a horse of their own (the burst has one per uploader).
    async fn rider(&self) -> (String, Uuid) {
        let email = format!("{}@example.com", Uuid::new_v4().simple());
        let (token, _) = sign_up(&self.http, &self.base, &email).await;
        let horse = create_horse(&self.http, &self.base, &token, "Burst").await;
        (token, horse)
    }

    async fn upload_as(&self, token: &str, horse: Uuid, body: Vec<u8>) -> Uuid {
        let r = self
            .http
            .post(format!(
                "{}/v1/horses/{}/sessions?started_at=2026-11-26T09:00:00Z",
                self.base, horse
            ))
            .bearer_auth(token)
            .header("content-type", "text/csv")
            .body(body)
            .send()
            .await
            .expect("upload");
        assert_eq!(r.status(), 202);
        let v: Value = r.json().await.expect("json");
        v["job"]["id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("job id")
    }

    /// Waits until every worker reports ready (consuming).
    async fn wait_workers_ready(&self) {
        for port in &self.worker_ports {
            let ready = eventually(Duration::from_secs(60), || async {
                let r = self
                    .http
                    .get(format!("http://127.0.0.1:{port}/readyz"))
                    .send()
                    .await
                    .ok()?;
                r.status().is_success().then_some(())
            })
            .await;
            assert!(ready.is_some(), "a worker did not become ready");
        }
    }

    /// Waits until job number `i` (for the message), `job`, has succeeded.
    async fn wait_succeeded(&self, job: Uuid, i: usize) {
        let done = eventually(Duration::from_secs(30), || async {
            let st: Option<String> =
                sqlx::query_scalar("/* bench */ SELECT status FROM jobs WHERE id = $1")
                    .bind(job)
                    .fetch_optional(&self.db)
                    .await
                    .ok()?;
            (st.as_deref() == Some("succeeded")).then_some(())
        })
        .await;
        assert!(done.is_some(), "job {i} did not finish");
    }

    async fn succeeded(&self) -> i64 {
        sqlx::query_scalar(
            "/* bench */ SELECT count(*) FROM jobs WHERE kind = 'analyze_session' AND status = 'succeeded'",
        )
        .fetch_one(&self.db)
        .await
        .unwrap_or(0)
    }

    fn worker_pids(&self) -> Vec<u32> {
        self.workers.iter().map(Child::id).collect()
    }

    /// CPU used so far by this stack's processes (see `accounting`).
    async fn cpu(&self) -> accounting::CpuSnapshot {
        let workers = self.worker_pids();
        let postgres = accounting::postgres_roles(&self.db, self.api.id(), &workers).await;
        accounting::snapshot(self.api.id(), &workers, &postgres)
    }

    /// Waits until no job is queued or running (the trend jobs that the
    /// analyses queued included): the phase's work is all done.
    async fn settle(&self) {
        let done = eventually(Duration::from_secs(120), || async {
            let open: i64 = sqlx::query_scalar(
                "/* bench */ SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')",
            )
            .fetch_one(&self.db)
            .await
            .ok()?;
            (open == 0).then_some(())
        })
        .await;
        assert!(done.is_some(), "jobs still open after 120 s");
    }

    async fn wait_all(&self, n: i64, within: Duration) {
        let done = eventually(within, || async {
            (self.succeeded().await >= n).then_some(())
        })
        .await;
        assert!(done.is_some(), "jobs did not all succeed within {within:?}");
    }
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn csv(seed: u64, minutes: f64) -> Vec<u8> {
    let s = analysis::synth::generate(&analysis::synth::SynthConfig {
        seed,
        minutes,
        rate_hz: 50.0,
    });
    shared::sensor::encode_csv(&s.recording)
}

async fn queue_overhead() {
    let s = stack(1, false).await;
    // Let the worker connect and the relay settle.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let body = csv(1, 0.1);
    for i in 0..QUEUE_SAMPLES {
        let job = s.upload(body.clone()).await;
        s.wait_succeeded(job, i).await;
        // Idle between jobs: the overhead of an idle system, not of a queue.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut ms: Vec<f64> = sqlx::query_scalar(
        "SELECT (EXTRACT(EPOCH FROM (j.started_at - (o.message->>'enqueued_at')::timestamptz)) * 1000)::float8
         FROM jobs j JOIN outbox o ON o.job_id = j.id WHERE j.kind = 'analyze_session'",
    )
    .fetch_all(&s.db)
    .await
    .expect("latencies");
    ms.sort_by(f64::total_cmp);
    println!(
        "queue overhead (commit -> job start), {} sequential uploads on an idle system:",
        ms.len()
    );
    println!(
        "  p50 {:.2} ms   p90 {:.2} ms   p99 {:.2} ms   max {:.2} ms   (targets: p50 <= 5 ms, p99 <= 25 ms)",
        pct(&ms, 0.5),
        pct(&ms, 0.9),
        pct(&ms, 0.99),
        pct(&ms, 1.0)
    );
    drop(s);
}

async fn throughput(workers: usize, skip: bool, bodies: &[Vec<u8>]) -> f64 {
    let s = stack(workers, skip).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let started = Instant::now();
    let chunks: Vec<Vec<Vec<u8>>> = (0..UPLOADERS)
        .map(|u| bodies.iter().skip(u).step_by(UPLOADERS).cloned().collect())
        .collect();
    let s_ref = &s;
    let uploads = chunks.into_iter().map(|chunk| async move {
        for b in chunk {
            s_ref.upload(b).await;
        }
    });
    join_all(uploads.collect()).await;
    s.wait_all(bodies.len() as i64, Duration::from_secs(600))
        .await;
    let secs = started.elapsed().as_secs_f64();
    let rate = bodies.len() as f64 / secs;
    println!(
        "  {} worker(s), analysis {:<7}: {} sessions in {:.2} s = {:.1} sessions/s",
        workers,
        if skip { "skipped" } else { "run" },
        bodies.len(),
        secs,
        rate
    );
    rate
}

async fn join_all<F: std::future::Future<Output = ()>>(futures: Vec<F>) {
    let mut pinned: Vec<_> = futures.into_iter().map(Box::pin).collect();
    std::future::poll_fn(|cx| {
        pinned.retain_mut(|f| f.as_mut().poll(cx).is_pending());
        if pinned.is_empty() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
}

fn main() {
    if std::env::args().any(|a| a == "--serve-api") {
        return serve_api();
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        println!("machine: {} cores, {}", std::thread::available_parallelism().map_or(0, |n| n.get()), cpu_model());
        if std::env::args().any(|a| a == "cold") {
            cold_start().await;
            return;
        }
        if std::env::args().any(|a| a == "burst") {
            println!("burst: {BURST_SESSIONS} sessions of 1 s at 100 Hz (CSV), end to end (upload -> stored result):");
            burst(true, 1).await;
            burst(false, 1).await;
            burst(false, 2).await;
            return;
        }
        queue_overhead().await;
        let bodies: Vec<Vec<u8>> = (0..THROUGHPUT_SESSIONS as u64).map(|i| csv(100 + i, SESSION_MINUTES)).collect();
        let mb = bodies.iter().map(Vec::len).sum::<usize>() as f64 / 1e6;
        println!(
            "throughput: {} sessions of {} min at 50 Hz (CSV, {:.1} MB in all), {} concurrent uploaders, end to end (upload -> stored result):",
            bodies.len(), SESSION_MINUTES, mb, UPLOADERS
        );
        for workers in [1, 2] {
            throughput(workers, false, &bodies).await;
            throughput(workers, true, &bodies).await;
        }
    });
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned())
}
