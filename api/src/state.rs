//! The state every handler shares: the pool, settings, metrics, the broker's
//! health as seen by the outbox relay, and the login rate limiter.

use std::num::NonZeroU32;
use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sqlx::PgPool;

use crate::config::ApiConfig;
use crate::metrics::Metrics;

/// Cheap to clone: one `Arc`.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// What [`AppState`] holds.
pub struct Inner {
    /// The Postgres pool (lazy, bounded waits).
    pub db: PgPool,
    /// Settings.
    pub config: ApiConfig,
    /// Prometheus registry and instruments.
    pub metrics: Metrics,
    /// Whether the relay currently holds a working broker connection.
    pub broker: BrokerStatus,
    /// Login attempts per email and per client address.
    pub login_limiter: LoginLimiter,
    /// Registrations per client address.
    pub register_limiter: LoginLimiter,
    /// Password hashes in progress (bounds their memory).
    pub hashing: Arc<tokio::sync::Semaphore>,
    /// Permits for uploads in progress (bounds buffered bytes).
    pub uploads: Arc<tokio::sync::Semaphore>,
    /// Uploads in progress per account.
    pub user_uploads: Arc<UserUploads>,
    /// Bytes all uploads in flight may hold together.
    pub upload_memory: crate::upload::MemoryBudget,
    /// Recently verified bearer tokens.
    pub tokens: crate::auth::TokenCache,
    /// Whether Postgres is known to be down (fail fast).
    pub db_health: Arc<crate::db_health::DbHealth>,
    /// Cancelled once the start-up warm-up of the database connections has
    /// ended (done, or given up while the database is down): until then
    /// the API reports not ready, so that no request meets a cold connection.
    pub warmed: tokio_util::sync::CancellationToken,
    /// Upload handlers hand their committed jobs to this process's relay
    /// here (direct publishing).
    pub direct: crate::outbox::DirectLane,
}

impl AppState {
    /// Wraps the parts.
    pub fn new(db: PgPool, config: ApiConfig, metrics: Metrics) -> Self {
        let login_limiter = LoginLimiter::new(config.login_per_minute);
        let register_limiter = LoginLimiter::new(config.register_per_minute);
        let hashing = Arc::new(tokio::sync::Semaphore::new(config.max_concurrent_hashes));
        let uploads = Arc::new(tokio::sync::Semaphore::new(config.max_concurrent_uploads));
        let user_uploads = Arc::new(UserUploads::new(config.max_uploads_per_user));
        let upload_memory = crate::upload::MemoryBudget::new(
            config.upload_memory_bytes,
            std::time::Duration::from_secs(5),
        );
        let tokens = crate::auth::TokenCache::new(config.token_cache);
        let config_direct_lease = config.outbox_direct_lease;
        let db_health = crate::db_health::DbHealth::new((*db.connect_options()).clone());
        Self(Arc::new(Inner {
            db,
            config,
            metrics,
            broker: BrokerStatus::default(),
            login_limiter,
            register_limiter,
            hashing,
            uploads,
            user_uploads,
            upload_memory,
            tokens,
            db_health,
            warmed: tokio_util::sync::CancellationToken::new(),
            direct: crate::outbox::DirectLane::new(config_direct_lease),
        }))
    }
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// The broker's state, written by the outbox relay, read by `/readyz`.
#[derive(Debug, Default)]
pub struct BrokerStatus {
    connected: AtomicBool,
}

impl BrokerStatus {
    /// Records whether the relay is connected.
    pub fn set_connected(&self, up: bool) {
        self.connected.store(up, Ordering::Relaxed);
    }

    /// True while the relay holds a working connection.
    pub fn is_connected(&self) -> bool {
        self.connected.load(Ordering::Relaxed)
    }
}

/// Uploads in progress per account, so that one rider cannot hold every
/// upload slot (e.g. with stalled connections).
#[derive(Debug)]
pub struct UserUploads {
    max: usize,
    counts: std::sync::Mutex<std::collections::HashMap<uuid::Uuid, usize>>,
}

/// One upload in progress; the count goes down when it is dropped.
#[derive(Debug)]
pub struct UserUploadSlot {
    owner: Arc<UserUploads>,
    user: uuid::Uuid,
}

impl UserUploads {
    fn new(max: usize) -> Self {
        Self {
            max,
            counts: Default::default(),
        }
    }

    /// A slot for `user`, or `None` when the account already has `max` in progress.
    pub fn enter(self: &Arc<Self>, user: uuid::Uuid) -> Option<UserUploadSlot> {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let n = counts.entry(user).or_default();
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(UserUploadSlot {
            owner: self.clone(),
            user,
        })
    }
}

impl Drop for UserUploadSlot {
    fn drop(&mut self) {
        let mut counts = self.owner.counts.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = counts.get_mut(&self.user) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.user);
            }
        }
    }
}

/// Keyed rate limiter (login attempts, registrations): a key is an email or a client address.
pub struct LoginLimiter {
    limiter: DefaultKeyedRateLimiter<String>,
}

impl LoginLimiter {
    fn new(per_minute: u32) -> Self {
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        Self {
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute)),
        }
    }

    /// `Err(wait)` when the key has no attempt left.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        self.limiter
            .check_key(&key.to_owned())
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// Forgets keys whose quota is full again, so memory stays bounded.
    pub fn shrink(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}
