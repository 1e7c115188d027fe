//! Operations: `/livez`, `/readyz`, `/metrics`.

use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(livez))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
}

/// The process is alive (no dependency is checked).
#[utoipa::path(get, path = "/livez", tag = "operations", responses((status = 200, description = "alive")))]
async fn livez() -> &'static str {
    "ok"
}

/// Readiness report.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready`, `warming_up` (the database answers, the start-up warm-up of
    /// its connections has not ended yet: a few milliseconds) or
    /// `not_ready`.
    pub status: &'static str,
    /// `up` or `down`; down makes the service not ready.
    pub database: &'static str,
    /// `up` or `down`; reported only: uploads are still accepted while the
    /// broker is down (the outbox keeps them).
    pub broker: &'static str,
    /// Jobs waiting in the outbox, when the database answered.
    pub outbox_backlog: Option<i64>,
}

/// The outbox's due, unpublished rows: how many, and the age in seconds of
/// the oldest (from when it became due; 0 when there is none).
async fn backlog(state: &AppState) -> Option<(i64, f64)> {
    let q = sqlx::query_as::<_, (i64, f64)>(
        "SELECT count(*),
                coalesce(greatest(extract(epoch FROM now()
                    - min(least(available_at, CASE WHEN direct THEN created_at END))), 0), 0)::float8
         FROM outbox WHERE published_at IS NULL AND (available_at <= now() OR direct)",
    )
    .fetch_one(&state.db);
    match tokio::time::timeout(
        state.config.common.db_timeout + Duration::from_millis(100),
        q,
    )
    .await
    {
        Ok(Ok(row)) => Some(row),
        _ => None,
    }
}

/// Ready when Postgres answers and the connections are warm; the broker's
/// state is reported without failing.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, body = Readiness), (status = 503, body = Readiness)))]
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    // Known down: say so at once rather than wait for the pool.
    let backlog = if state.db_health.is_down() {
        None
    } else {
        backlog(&state).await.map(|(n, _)| n)
    };
    let broker = if state.broker.is_connected() {
        "up"
    } else {
        "down"
    };
    let (code, status, database) = match backlog {
        Some(_) if !state.warmed.is_cancelled() => {
            (StatusCode::SERVICE_UNAVAILABLE, "warming_up", "up")
        }
        Some(_) => (StatusCode::OK, "ready", "up"),
        None => (StatusCode::SERVICE_UNAVAILABLE, "not_ready", "down"),
    };
    (
        code,
        axum::Json(Readiness {
            status,
            database,
            broker,
            outbox_backlog: backlog,
        }),
    )
}

/// Prometheus metrics (text exposition format).
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, content_type = "text/plain")))]
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    if let Some((n, oldest_age)) = backlog(&state).await {
        state.metrics.outbox_backlog.set(n);
        state.metrics.outbox_oldest_age.set(oldest_age);
    }
    state
        .metrics
        .broker_connected
        .set(i64::from(state.broker.is_connected()));
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
}
