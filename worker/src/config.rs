//! Worker settings from environment variables.

use std::net::SocketAddr;
use std::time::Duration;

use shared::config::{CommonConfig, ConfigError, Env};

/// Everything the worker needs to run.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Database and broker settings shared with the API.
    pub common: CommonConfig,
    /// `HOOFBEAT_WORKER_HTTP_ADDR` (default `127.0.0.1:9090`): `/livez`, `/readyz`, `/metrics`.
    pub http_addr: SocketAddr,
    /// `HOOFBEAT_WORKER_PREFETCH` (default 16): deliveries in hand at once.
    /// Deep enough that short jobs overlap their database round trips (a
    /// 1-s session is mostly waiting on Postgres); memory is bounded by
    /// [`Self::max_loaded`], not by this.
    pub prefetch: u16,
    /// `HOOFBEAT_WORKER_MAX_LOADED` (default 0 = analysis threads + 1):
    /// sessions whose samples are loaded and analysed at once. Long
    /// sessions (a 4-hour ride is ~100 MB decoded) wait for a slot here
    /// instead of all loading at once.
    pub max_loaded: usize,
    /// `HOOFBEAT_SHUTDOWN_GRACE_MS` (default 25 s, under Kubernetes' 30 s):
    /// time to finish jobs in hand after SIGTERM; the rest is requeued.
    pub shutdown_grace: Duration,
    /// `HOOFBEAT_ANALYSIS_THREADS` (default 0 = one per core): the rayon pool.
    pub analysis_threads: usize,
    /// `HOOFBEAT_FAULT_DELAY_MS` (default 0): fault injection for crash and
    /// shutdown tests — every job waits this long once started, before its
    /// result is stored (`Ctx::hold_mid_attempt`). Never set it in
    /// production.
    pub fault_delay: Duration,
    /// `HOOFBEAT_BENCH_SKIP_ANALYSIS` (default false): benchmarking only —
    /// jobs load and decode their samples and are marked succeeded without
    /// running or storing the analysis, to show where the time goes. Never
    /// set it in production (sessions would never get a result).
    pub bench_skip_analysis: bool,
}

impl WorkerConfig {
    /// Reads and validates the settings.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            common: CommonConfig::from_env(env)?,
            http_addr: env.parse(
                "HOOFBEAT_WORKER_HTTP_ADDR",
                SocketAddr::from(([127, 0, 0, 1], 9090)),
            )?,
            prefetch: env.bounded("HOOFBEAT_WORKER_PREFETCH", 16, 1, 1000)? as u16,
            max_loaded: env.bounded("HOOFBEAT_WORKER_MAX_LOADED", 0, 0, 1024)? as usize,
            shutdown_grace: env.millis("HOOFBEAT_SHUTDOWN_GRACE_MS", 25_000, 0, 3_600_000)?,
            analysis_threads: env.bounded("HOOFBEAT_ANALYSIS_THREADS", 0, 0, 1024)? as usize,
            fault_delay: env.millis("HOOFBEAT_FAULT_DELAY_MS", 0, 0, 3_600_000)?,
            bench_skip_analysis: env.flag("HOOFBEAT_BENCH_SKIP_ANALYSIS", false)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_errors() {
        let c = WorkerConfig::from_env(&Env::from_pairs::<_, String, String>([])).unwrap();
        assert_eq!(c.prefetch, 16);
        assert_eq!(c.max_loaded, 0);
        assert_eq!(c.common.max_attempts, 5);
        let e = WorkerConfig::from_env(&Env::from_pairs([("HOOFBEAT_WORKER_PREFETCH", "0")]))
            .unwrap_err();
        assert_eq!(e.name, "HOOFBEAT_WORKER_PREFETCH");
    }
}
