//! Postgres helpers shared by the API and the worker: a pool whose every wait
//! is bounded, and the embedded migrations.

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use crate::config::CommonConfig;

/// The schema migrations in `migrations/`, embedded in every binary so that a
/// deployment cannot run code against a schema it does not know.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// Builds a pool that connects lazily: the service starts (and answers 503)
/// while the database is down, and recovers by itself when it comes back.
/// Every acquire waits at most `db_timeout`, so no caller ever hangs.
pub fn lazy_pool(config: &CommonConfig) -> Result<PgPool, sqlx::Error> {
    let options: PgConnectOptions = config.database_url.parse()?;
    Ok(pool_options(config.db_max_connections, config.db_timeout)
        .min_connections(config.db_min_connections.min(config.db_max_connections))
        .connect_lazy_with(options))
}

/// Opens the pool's minimum number of connections now, at start-up, so the
/// first requests and jobs find them ready (a new Postgres connection costs
/// several milliseconds: TCP, start-up, authentication). While the database
/// is down this gives up after the pool's acquire timeout; the lazy pool
/// connects later by itself.
pub async fn warm(pool: &PgPool) {
    let n = pool.options().get_min_connections();
    let mut opening = tokio::task::JoinSet::new();
    for _ in 0..n {
        let pool = pool.clone();
        opening.spawn(async move { pool.acquire().await });
    }
    // Held together until all are open, so that each acquire opens its own.
    let opened = opening.join_all().await;
    let ok = opened.iter().filter(|c| c.is_ok()).count();
    match opened.into_iter().find_map(Result::err) {
        Some(e) => {
            tracing::warn!(opened = ok, error = %e, "database not warmed; connecting on demand")
        }
        None => tracing::debug!(opened = ok, "database connections warmed"),
    }
}

/// Pool options with bounded waits.
pub fn pool_options(max_connections: u32, timeout: Duration) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .min_connections(0)
        .acquire_timeout(timeout)
        .idle_timeout(Some(Duration::from_secs(300)))
        // No ping before every query (it doubled the cost of a short
        // request): a connection broken meanwhile fails its query once with
        // an I/O error (503) and is discarded, and the next acquire opens a
        // fresh one.
        .test_before_acquire(false)
}

/// True when the error means "the database could not be reached or did not
/// answer in time" (as opposed to a bad query or a constraint violation).
/// A protocol error counts too: a link cut during the TLS negotiation or a
/// reply shows up as an unexpected (truncated) server message.
pub fn is_unavailable(err: &sqlx::Error) -> bool {
    matches!(
        err,
        sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
    ) || matches!(err, sqlx::Error::Database(db) if db.code().is_some_and(|c| c.starts_with("08") || c == "57P01" || c == "57P03"))
}
