//! Postgres helpers shared by the API and the worker: a pool whose every wait
//! is bounded, and the embedded migrations.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use sqlx::PgConnection;
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

/// Statements to prepare on a fresh connection: run harmlessly (they match
/// no row, or run in a transaction that is rolled back), so that the
/// connection's statement cache holds them before the first real job.
pub type Prepare = for<'c> fn(
    &'c mut PgConnection,
)
    -> Pin<Box<dyn Future<Output = Result<(), sqlx::Error>> + Send + 'c>>;

/// Opens the pool's minimum number of connections now, at start-up, so the
/// first requests and jobs find them ready (a new Postgres connection costs
/// several milliseconds: TCP, start-up, authentication), and runs `prepare`
/// on each, so that the hot statements are parsed and planned before the
/// first job rather than on it (a first use costs an extra round trip and a
/// parse). Bounded: while the database is down this gives up after the
/// pool's acquire timeout (and `prepare` after twice that); the lazy pool
/// connects later by itself.
pub async fn warm(pool: &PgPool, prepare: Option<Prepare>) {
    let limit = pool.options().get_acquire_timeout() * 2;
    if tokio::time::timeout(limit, warm_unbounded(pool, prepare))
        .await
        .is_err()
    {
        tracing::warn!("database warm-up timed out; connecting on demand");
    }
}

async fn warm_unbounded(pool: &PgPool, prepare: Option<Prepare>) {
    let n = pool.options().get_min_connections();
    let mut opening = tokio::task::JoinSet::new();
    for _ in 0..n {
        let pool = pool.clone();
        opening.spawn(async move { pool.acquire().await });
    }
    // Held together until all are open, so that each acquire opens its own.
    let mut opened = Vec::new();
    let mut failure = None;
    for result in opening.join_all().await {
        match result {
            Ok(conn) => opened.push(conn),
            Err(e) => failure = Some(e),
        }
    }
    let mut prepared = 0;
    if let Some(prepare) = prepare {
        for conn in &mut opened {
            match prepare(&mut *conn).await {
                Ok(()) => prepared += 1,
                Err(e) => {
                    failure.get_or_insert(e);
                }
            }
        }
    }
    match failure {
        Some(e) => tracing::warn!(
            opened = opened.len(),
            prepared,
            error = %e,
            "database not fully warmed; connecting and preparing on demand"
        ),
        None => tracing::debug!(
            opened = opened.len(),
            prepared,
            "database connections warmed"
        ),
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
