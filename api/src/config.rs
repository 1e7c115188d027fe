//! API settings, read once at start-up from environment variables.

use std::net::SocketAddr;
use std::time::Duration;

use shared::config::{CommonConfig, ConfigError, Env};

/// Everything the API needs to run.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Database and broker settings shared with the worker.
    pub common: CommonConfig,
    /// `HOOFBEAT_LISTEN_ADDR` (default `127.0.0.1:8080`; port 0 picks one).
    pub listen_addr: SocketAddr,
    /// `HOOFBEAT_MIGRATE_ON_START` (default true): apply migrations before serving.
    pub migrate_on_start: bool,
    /// `HOOFBEAT_REQUEST_TIMEOUT_MS` (default 30 s): answer 503 rather than hang.
    pub request_timeout: Duration,
    /// `HOOFBEAT_UPLOAD_TIMEOUT_MS` (default 300 s): uploads from phones on
    /// slow networks get longer to send their body.
    pub upload_timeout: Duration,
    /// `HOOFBEAT_MAX_BODY_BYTES` (default 64 KiB): limit for JSON requests.
    pub max_body_bytes: usize,
    /// `HOOFBEAT_MAX_UPLOAD_BYTES` (default 64 MiB): limit of an upload as sent.
    pub max_upload_bytes: usize,
    /// `HOOFBEAT_MAX_DECOMPRESSED_BYTES` (default 128 MiB): limit of an upload
    /// after gzip decoding, so that a gzip bomb is refused with 413.
    pub max_decompressed_bytes: usize,
    /// `HOOFBEAT_MAX_CONCURRENT_UPLOADS` (default 16): uploads buffered at
    /// once; more get 503 `server_busy`, which bounds the API's memory.
    pub max_concurrent_uploads: usize,
    /// `HOOFBEAT_TOKEN_CACHE_SECS` (default 30; 0 disables): how long a
    /// verified token is trusted without asking the database. A logout, a
    /// role change or an account deletion reaches every replica at once
    /// through NOTIFY (see `auth_events`).
    pub token_cache: Duration,
    /// `HOOFBEAT_TOKEN_TTL_HOURS` (default 720 = 30 days).
    pub token_ttl: Duration,
    /// `HOOFBEAT_LOGIN_PER_MINUTE` (default 10): login attempts per email and per client address.
    pub login_per_minute: u32,
    /// `HOOFBEAT_UPLOAD_MEMORY_BYTES` (default 320 MiB): upload bodies and
    /// decompressed samples held in memory by all uploads together; past it
    /// an upload waits up to 5 s, then 503 `server_busy`. At least the
    /// largest upload plus its decompressed form.
    pub upload_memory_bytes: usize,
    /// `HOOFBEAT_MAX_UPLOADS_PER_USER` (default 4): one account's uploads in
    /// progress; more get 429, so one rider cannot hold every upload slot.
    pub max_uploads_per_user: usize,
    /// `HOOFBEAT_UPLOAD_MIN_BYTES_PER_SEC` (default 1024) after
    /// `HOOFBEAT_UPLOAD_GRACE_MS` (default 10000): an upload body arriving
    /// more slowly on average is dropped with 408 (mobile networks are slow,
    /// but not 10 B/s).
    pub upload_min_rate: u64,
    pub upload_grace: Duration,
    /// `HOOFBEAT_HEADER_READ_TIMEOUT_MS` (default 15000): longest wait for a
    /// request's headers, on a new connection or an idle keep-alive one;
    /// slow-header and idle connections are closed past it.
    pub header_read_timeout: Duration,
    /// `HOOFBEAT_MAX_CONNECTIONS` (default 1024): open connections at once;
    /// past it a new connection is closed at once.
    pub max_connections: usize,
    /// `HOOFBEAT_TRUSTED_PROXIES` (default none): addresses or CIDR blocks of
    /// reverse proxies whose `X-Forwarded-For`/`Forwarded` is believed for
    /// the client's address (rate limits); nobody else's is.
    pub trusted_proxies: Vec<crate::client_addr::Net>,
    /// `HOOFBEAT_REGISTER_PER_MINUTE` (default 5): registrations per client address.
    pub register_per_minute: u32,
    /// `HOOFBEAT_MAX_CONCURRENT_HASHES` (default: the number of cores):
    /// password hashes computed at once. Each Argon2id hash holds ~19 MiB,
    /// so this bounds the memory a burst of registrations or logins takes.
    pub max_concurrent_hashes: usize,
    /// `HOOFBEAT_HASH_WAIT_MS` (default 2000): how long a request waits for
    /// a hashing slot before 503 `server_busy`.
    pub hash_wait: Duration,
    /// `HOOFBEAT_OUTBOX_POLL_MS` (default 5000): the relay's polling fallback when no NOTIFY arrives.
    pub outbox_poll: Duration,
    /// `HOOFBEAT_OUTBOX_DIRECT_LEASE_MS` (default 10000; 0 turns direct
    /// publishing off): the API publishes an upload's job itself right after
    /// the commit, and relays leave the row alone this long (if the API dies
    /// first, a relay publishes it once the lease has run out). Keep it above
    /// `HOOFBEAT_AMQP_TIMEOUT_MS`, so that a slow confirm is not overtaken by
    /// a relay publishing the same message again.
    pub outbox_direct_lease: Duration,
    /// `HOOFBEAT_STUCK_AFTER_MS` (default 15 min): a job `queued` or
    /// `running` this long without any change is stuck (its message was lost
    /// or its worker vanished); the sweeper requeues it. A `failed` job gets
    /// this plus the longest retry delay.
    pub stuck_after: Duration,
    /// `HOOFBEAT_SWEEP_INTERVAL_MS` (default 60 s): how often the sweeper looks.
    pub sweep_interval: Duration,
    /// `HOOFBEAT_RABBITMQ_MANAGEMENT_URL` (default none), e.g.
    /// `http://user:pass@rabbitmq:15672`: the admin overview reads queue
    /// figures (ready and unacknowledged, consumers) from the management
    /// HTTP API, as KEDA does; without it, from passive declares (ready only).
    pub rabbitmq_management_url: Option<String>,
}

impl ApiConfig {
    /// Reads and validates the settings.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        const MIB: u64 = 1024 * 1024;
        let config = Self {
            common: CommonConfig::from_env(env)?,
            listen_addr: env.parse(
                "HOOFBEAT_LISTEN_ADDR",
                SocketAddr::from(([127, 0, 0, 1], 8080)),
            )?,
            migrate_on_start: env.flag("HOOFBEAT_MIGRATE_ON_START", true)?,
            request_timeout: env.millis("HOOFBEAT_REQUEST_TIMEOUT_MS", 30_000, 100, 3_600_000)?,
            upload_timeout: env.millis("HOOFBEAT_UPLOAD_TIMEOUT_MS", 300_000, 100, 3_600_000)?,
            max_body_bytes: env.bounded("HOOFBEAT_MAX_BODY_BYTES", 64 * 1024, 1024, 16 * MIB)?
                as usize,
            max_upload_bytes: env.bounded(
                "HOOFBEAT_MAX_UPLOAD_BYTES",
                64 * MIB,
                1024,
                2048 * MIB,
            )? as usize,
            max_decompressed_bytes: env.bounded(
                "HOOFBEAT_MAX_DECOMPRESSED_BYTES",
                128 * MIB,
                1024,
                4096 * MIB,
            )? as usize,
            max_concurrent_uploads: env.bounded("HOOFBEAT_MAX_CONCURRENT_UPLOADS", 16, 1, 10_000)?
                as usize,
            token_cache: Duration::from_secs(env.bounded(
                "HOOFBEAT_TOKEN_CACHE_SECS",
                30,
                0,
                3600,
            )?),
            token_ttl: Duration::from_secs(
                3600 * env.bounded("HOOFBEAT_TOKEN_TTL_HOURS", 720, 1, 24 * 365)?,
            ),
            login_per_minute: env.bounded("HOOFBEAT_LOGIN_PER_MINUTE", 10, 1, 100_000)? as u32,
            upload_memory_bytes: env.bounded(
                "HOOFBEAT_UPLOAD_MEMORY_BYTES",
                320 * MIB,
                1024 * 1024,
                64 * 1024 * MIB,
            )? as usize,
            max_uploads_per_user: env.bounded("HOOFBEAT_MAX_UPLOADS_PER_USER", 4, 1, 10_000)?
                as usize,
            upload_min_rate: env.bounded("HOOFBEAT_UPLOAD_MIN_BYTES_PER_SEC", 1024, 1, 1 << 40)?,
            upload_grace: env.millis("HOOFBEAT_UPLOAD_GRACE_MS", 10_000, 0, 3_600_000)?,
            header_read_timeout: env.millis(
                "HOOFBEAT_HEADER_READ_TIMEOUT_MS",
                15_000,
                100,
                600_000,
            )?,
            max_connections: env.bounded("HOOFBEAT_MAX_CONNECTIONS", 1024, 1, 1_000_000)? as usize,
            trusted_proxies: {
                let raw = env.string("HOOFBEAT_TRUSTED_PROXIES", "");
                crate::client_addr::parse_list(&raw).map_err(|reason| ConfigError {
                    name: "HOOFBEAT_TRUSTED_PROXIES".into(),
                    value: raw.clone(),
                    reason,
                })?
            },
            register_per_minute: env.bounded("HOOFBEAT_REGISTER_PER_MINUTE", 5, 1, 100_000)? as u32,
            max_concurrent_hashes: env.bounded(
                "HOOFBEAT_MAX_CONCURRENT_HASHES",
                std::thread::available_parallelism().map_or(2, |n| n.get()) as u64,
                1,
                256,
            )? as usize,
            hash_wait: env.millis("HOOFBEAT_HASH_WAIT_MS", 2_000, 0, 60_000)?,
            outbox_poll: env.millis("HOOFBEAT_OUTBOX_POLL_MS", 5_000, 10, 600_000)?,
            outbox_direct_lease: env.millis(
                "HOOFBEAT_OUTBOX_DIRECT_LEASE_MS",
                10_000,
                0,
                3_600_000,
            )?,
            stuck_after: env.millis("HOOFBEAT_STUCK_AFTER_MS", 900_000, 100, 86_400_000)?,
            sweep_interval: env.millis("HOOFBEAT_SWEEP_INTERVAL_MS", 60_000, 50, 3_600_000)?,
            rabbitmq_management_url: match env.raw("HOOFBEAT_RABBITMQ_MANAGEMENT_URL") {
                None => None,
                Some(_) => Some(
                    env.url("HOOFBEAT_RABBITMQ_MANAGEMENT_URL", "", &["http", "https"])?
                        .trim_end_matches('/')
                        .to_owned(),
                ),
            },
        };
        config.check_upload_memory()?;
        Ok(config)
    }
}

impl ApiConfig {
    /// The upload memory budget must hold at least one largest upload and
    /// its decompressed form, or such an upload could never be accepted.
    fn check_upload_memory(&self) -> Result<(), ConfigError> {
        let needed = self.max_upload_bytes + self.max_decompressed_bytes;
        if self.upload_memory_bytes < needed {
            return Err(ConfigError {
                name: "HOOFBEAT_UPLOAD_MEMORY_BYTES".into(),
                value: self.upload_memory_bytes.to_string(),
                reason: format!(
                    "must be at least HOOFBEAT_MAX_UPLOAD_BYTES + HOOFBEAT_MAX_DECOMPRESSED_BYTES = {needed}"
                ),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let c = ApiConfig::from_env(&Env::from_pairs::<_, String, String>([])).unwrap();
        assert_eq!(c.listen_addr.port(), 8080);
        assert!(c.migrate_on_start);
    }

    #[test]
    fn bad_listen_addr_names_the_variable() {
        let e = ApiConfig::from_env(&Env::from_pairs([("HOOFBEAT_LISTEN_ADDR", "localhost")]))
            .unwrap_err();
        assert_eq!(e.name, "HOOFBEAT_LISTEN_ADDR");
    }
}
