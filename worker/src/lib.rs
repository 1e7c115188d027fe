//! Hoofbeat worker: the independently scaled half of the system.
//!
//! - [`Worker`]: `build(config)` / `run_until_stopped(shutdown)`.
//! - [`consumer`]: broker connection with reconnects, manual acks, retries
//!   through the delay queues, dead-lettering, graceful drain on shutdown.
//! - [`dead_letters`]: reconciles every dead-lettered message with its job.
//! - [`jobs`]: one file per job kind, and the job status transitions.
//! - [`in_hand`]: two copies of one job never run at once in a worker.
//! - [`reconnect`]: the reconnect loop of both consumers.
//! - [`runner`]: CPU-heavy analysis on a rayon pool, panics caught.
//! - [`http`], [`metrics`], [`config`]: probes, Prometheus, settings.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use shared::amqp::Topology;
use shared::jobs::AnyJob;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub mod config;
pub mod consumer;
pub mod dead_letters;
pub mod http;
pub mod in_hand;
pub mod jobs;
pub mod metrics;
pub mod reconnect;
pub mod runner;

pub use config::WorkerConfig;

/// What every job handler shares.
pub struct Ctx {
    /// Postgres pool (lazy, bounded waits).
    pub db: PgPool,
    /// Pool for the CPU-heavy analysis.
    pub pool: rayon::ThreadPool,
    /// Slots for sessions loaded in memory at once (see
    /// [`WorkerConfig::max_loaded`]).
    pub loaded: tokio::sync::Semaphore,
    /// Jobs being handled here, so two copies of one never run at once.
    pub in_hand: in_hand::InHand,
    /// Settings.
    pub config: WorkerConfig,
    /// Instruments.
    pub metrics: metrics::Metrics,
    /// Exchange and queue names.
    pub topology: Topology,
    /// Who runs the attempts (`job_attempts.worker_id`): the pod name
    /// (`HOSTNAME` in Kubernetes) and the process id.
    pub worker_id: String,
    consuming: AtomicBool,
    /// Cancelled once the database warm-up has ended (done or given up):
    /// the consumer takes no delivery before, so the first job finds its
    /// connections open and its statements prepared.
    warmed: CancellationToken,
    /// Set on SIGTERM: the probe port stays up and says so until exit.
    draining: AtomicBool,
}

impl Ctx {
    fn set_consuming(&self, up: bool) {
        self.consuming.store(up, Ordering::Relaxed);
        self.metrics.consuming.set(i64::from(up));
    }

    /// True once shutdown has begun (jobs in hand are being finished).
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }

    /// True while consuming from the broker.
    pub fn is_consuming(&self) -> bool {
        self.consuming.load(Ordering::Relaxed)
    }

    /// Fault injection (tests only, [`WorkerConfig::fault_delay`]): holds a
    /// job mid-attempt — marked running, its result not yet stored. The
    /// analysis job holds after its memory slot is given back, so held jobs
    /// do not queue behind each other's slots.
    pub async fn hold_mid_attempt(&self) {
        if !self.config.fault_delay.is_zero() {
            tokio::time::sleep(self.config.fault_delay).await;
        }
    }

    /// The version of the algorithms this build runs for `job`.
    pub fn algorithm_version(&self, job: &AnyJob) -> &'static str {
        match job {
            AnyJob::AnalyzeSession(_) => analysis::ALGORITHM_VERSION,
            AnyJob::ComputeTrend(_) => trend::TREND_VERSION,
        }
    }

    /// A kind label bounded to the known kinds (garbage must not create series).
    fn metrics_kind(&self, kind: &str) -> String {
        match kind {
            "analyze_session" | "compute_trend" => kind.to_owned(),
            _ => "unknown".to_owned(),
        }
    }
}

/// Why the worker could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// Bad database URL.
    #[error("DATABASE_URL is not a valid Postgres URL: {0}")]
    DatabaseUrl(sqlx::Error),
    /// Bad topology settings.
    #[error("invalid broker topology: {0}")]
    Topology(shared::amqp::AmqpError),
    /// The rayon pool could not start.
    #[error("cannot start the analysis threads: {0}")]
    Threads(rayon::ThreadPoolBuildError),
    /// The HTTP port is taken.
    #[error("cannot listen on {addr}: {cause}")]
    Bind {
        /// Address.
        addr: SocketAddr,
        /// What failed.
        cause: std::io::Error,
    },
}

/// A ready-to-run worker.
pub struct Worker {
    ctx: Arc<Ctx>,
    listener: TcpListener,
}

impl Worker {
    /// Prepares the pools and binds the HTTP port. Connections to Postgres
    /// and RabbitMQ are made lazily and retried, so the worker starts (and
    /// reports not-ready) while they are down, instead of crash-looping.
    pub async fn build(config: WorkerConfig) -> Result<Self, StartupError> {
        let db = shared::db::lazy_pool(&config.common, Some(jobs::prepare))
            .map_err(StartupError::DatabaseUrl)?;
        let topology = Topology::from_config(&config.common).map_err(StartupError::Topology)?;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(config.analysis_threads)
            .thread_name(|i| format!("analysis-{i}"))
            .build()
            .map_err(StartupError::Threads)?;
        let listener =
            TcpListener::bind(config.http_addr)
                .await
                .map_err(|cause| StartupError::Bind {
                    addr: config.http_addr,
                    cause,
                })?;
        let loaded = match config.max_loaded {
            0 => pool.current_num_threads() + 1,
            n => n,
        };
        let ctx = Arc::new(Ctx {
            db,
            pool,
            loaded: tokio::sync::Semaphore::new(loaded),
            in_hand: in_hand::InHand::default(),
            config,
            metrics: metrics::Metrics::default(),
            topology,
            worker_id: worker_id(),
            consuming: AtomicBool::new(false),
            warmed: CancellationToken::new(),
            draining: AtomicBool::new(false),
        });
        Ok(Self { ctx, listener })
    }

    /// The bound HTTP address.
    pub fn http_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or(self.ctx.config.http_addr)
    }

    /// Consumes until `shutdown` completes, then finishes or requeues the jobs in hand.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let stop = CancellationToken::new();
        // The probe port outlives the drain: /livez stays 200 and /readyz
        // answers 503 "draining" until the process exits, instead of
        // "connection refused" the moment SIGTERM arrives.
        let http_stop = CancellationToken::new();
        let http_done = http_stop.clone();
        let http = axum::serve(self.listener, http::router(self.ctx.clone()))
            .with_graceful_shutdown(async move { http_done.cancelled().await });
        let http = tokio::spawn(async move { http.await });
        let on_signal = stop.clone();
        let ctx = self.ctx.clone();
        tokio::spawn(async move {
            shutdown.await;
            ctx.draining.store(true, Ordering::Relaxed);
            on_signal.cancel();
        });
        // While the broker connection opens; the consumer waits for it
        // (bounded: a database that is down delays the first delivery by at
        // most twice the acquire timeout, and such a job could not run
        // anyway).
        tokio::spawn({
            let ctx = self.ctx.clone();
            async move {
                shared::db::warm(&ctx.db).await;
                ctx.warmed.cancel();
            }
        });
        let dead_letters = tokio::spawn(dead_letters::run(self.ctx.clone(), stop.clone()));
        consumer::run(self.ctx.clone(), stop.clone()).await;
        stop.cancel();
        let _ = dead_letters.await;
        http_stop.cancel();
        match http.await {
            Ok(r) => r,
            Err(e) => Err(std::io::Error::other(e)),
        }
    }
}

/// `HOSTNAME/pid` (the pod name in Kubernetes), else `pid`.
fn worker_id() -> String {
    let pid = std::process::id();
    match std::env::var("HOSTNAME") {
        Ok(host) if !host.is_empty() => {
            format!("{}/{pid}", host.chars().take(150).collect::<String>())
        }
        _ => format!("pid {pid}"),
    }
}
