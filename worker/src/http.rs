//! The worker's small HTTP port: `/livez`, `/readyz` (200 while consuming),
//! `/metrics`, for Kubernetes probes and Prometheus.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

use crate::Ctx;

/// The probe and metrics routes.
pub fn router(ctx: Arc<Ctx>) -> Router {
    Router::new()
        .route("/livez", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(ctx)
}

async fn readyz(State(ctx): State<Arc<Ctx>>) -> impl IntoResponse {
    if ctx.is_draining() {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "draining: finishing the jobs in hand before exit",
        )
    } else if ctx.is_consuming() {
        (StatusCode::OK, "consuming")
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "not consuming (broker unreachable or stopping)",
        )
    }
}

async fn metrics(State(ctx): State<Arc<Ctx>>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        ctx.metrics.render(),
    )
}
