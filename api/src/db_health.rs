//! Failing fast while Postgres is known to be down.
//!
//! With Postgres stopped, every query would wait for a pool connection until
//! `HOOFBEAT_DB_TIMEOUT_MS` and only then answer 503. After the first such
//! answer a probe opens one direct connection: if Postgres refuses it (or
//! answers with an error), the database is *known down* and every request
//! that needs it gets 503 `database_unavailable` at once, while the probe
//! retries every 200 ms and lifts the state as soon as a connection
//! succeeds. If the probe's connection is merely slow, the database is
//! alive but slow: nothing changes, requests keep their normal timeout.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// Between probes while down.
const PROBE_EVERY: Duration = Duration::from_millis(200);
/// A probe connection slower than this means "alive but slow".
const PROBE_TIMEOUT: Duration = Duration::from_millis(500);

/// Whether Postgres is known to be down, and the probe that finds out.
#[derive(Debug)]
pub struct DbHealth {
    down: AtomicBool,
    probing: AtomicBool,
    options: PgConnectOptions,
}

impl DbHealth {
    /// Health of the database the pool connects to.
    pub fn new(options: PgConnectOptions) -> Arc<Self> {
        Arc::new(DbHealth {
            down: AtomicBool::new(false),
            probing: AtomicBool::new(false),
            options,
        })
    }

    /// True while Postgres is known to refuse connections.
    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::Relaxed)
    }

    /// A query could not reach the database: start a probe (one at a time).
    pub fn suspect(self: &Arc<Self>) {
        if self.probing.swap(true, Ordering::AcqRel) {
            return;
        }
        let me = self.clone();
        tokio::spawn(async move { me.probe().await });
    }

    async fn probe(self: Arc<Self>) {
        loop {
            match tokio::time::timeout(PROBE_TIMEOUT, PgConnection::connect_with(&self.options))
                .await
            {
                Ok(Ok(conn)) => {
                    let _ = conn.close().await;
                    if self.down.swap(false, Ordering::AcqRel) {
                        tracing::info!("database reachable again");
                    }
                    break;
                }
                Ok(Err(e)) => {
                    if !self.down.swap(true, Ordering::AcqRel) {
                        tracing::warn!(error = %e, "database refuses connections: failing fast until it is back");
                    }
                }
                // Alive but slow: keep the normal timeouts.
                Err(_) if !self.is_down() => break,
                Err(_) => {}
            }
            tokio::time::sleep(PROBE_EVERY).await;
        }
        self.probing.store(false, Ordering::Release);
    }
}

/// Routes that never touch the database.
fn needs_database(path: &str) -> bool {
    !matches!(path, "/livez" | "/metrics" | "/openapi.json" | "/readyz")
        && !path.starts_with("/docs")
}

/// Middleware: 503 at once while the database is known down; a probe after
/// any answer that found it unreachable.
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if state.db_health.is_down() && needs_database(request.uri().path()) {
        return ApiError::new(
            ErrorCode::DatabaseUnavailable,
            "the database is unreachable; try again shortly",
        )
        .with_retry_after(1)
        .into_response();
    }
    let response = next.run(request).await;
    if response.extensions().get::<ErrorCode>() == Some(&ErrorCode::DatabaseUnavailable) {
        state.db_health.suspect();
    }
    response
}
