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
///
/// With `warm_up`, every connection the pool opens runs it before it is
/// handed out (see [`warmed`]).
pub fn lazy_pool(config: &CommonConfig, warm_up: Option<Prepare>) -> Result<PgPool, sqlx::Error> {
    let options: PgConnectOptions = config.database_url.parse()?;
    let pool = pool_options(config.db_max_connections, config.db_timeout)
        .min_connections(config.db_min_connections.min(config.db_max_connections));
    let pool = match warm_up {
        Some(prepare) => warmed(pool, prepare),
        None => pool,
    };
    Ok(pool.connect_lazy_with(options))
}

/// Statements to prepare on a fresh connection: run harmlessly (they match
/// no row, or run in a transaction that is rolled back), so that the
/// connection's statement cache holds them before the first real job.
pub type Prepare = for<'c> fn(
    &'c mut PgConnection,
)
    -> Pin<Box<dyn Future<Output = Result<(), sqlx::Error>> + Send + 'c>>;

/// Runs `prepare` on every connection the pool opens, before its first use:
/// those opened at start-up ([`warm`]), those opened later under load, and
/// those that replace connections closed when idle. A fresh Postgres backend
/// runs each statement's first execution several milliseconds slower than
/// the next (parse, plan, type look-ups, the tables' descriptions, the
/// foreign-key checks' own plans), and the pool hands out its idle
/// connections in turn, so every cold connection would cost one request or
/// job that much (issue 11's cold start).
///
/// A warm-up that fails (a schema not migrated yet, a statement the warm-up
/// itself got wrong) leaves the connection usable and only colder: logged,
/// not returned, because the pool would close the connection and open
/// another in a loop. Only a connection that broke (I/O, TLS) is refused.
pub fn warmed(options: PgPoolOptions, prepare: Prepare) -> PgPoolOptions {
    options.after_connect(move |conn, _meta| {
        Box::pin(async move {
            match prepare(conn).await {
                Ok(()) => Ok(()),
                Err(e @ (sqlx::Error::Io(_) | sqlx::Error::Tls(_))) => Err(e),
                Err(e) => {
                    tracing::warn!(error = %e, "connection not warmed; its first statements run cold");
                    Ok(())
                }
            }
        })
    })
}

/// Opens the pool's minimum number of connections now, at start-up, so the
/// first requests and jobs find them ready (a new Postgres connection costs
/// several milliseconds: TCP, start-up, authentication) and, with a
/// [`warmed`] pool, already warm. Bounded: while the database is down this
/// gives up after twice the pool's acquire timeout; the lazy pool connects
/// later by itself.
pub async fn warm(pool: &PgPool) {
    let limit = pool.options().get_acquire_timeout() * 2;
    if tokio::time::timeout(limit, warm_unbounded(pool))
        .await
        .is_err()
    {
        tracing::warn!("database warm-up timed out; connecting on demand");
    }
}

async fn warm_unbounded(pool: &PgPool) {
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
    match failure {
        Some(e) => tracing::warn!(
            opened = opened.len(),
            error = %e,
            "database not fully warmed; connecting on demand"
        ),
        None => tracing::debug!(opened = opened.len(), "database connections warmed"),
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
