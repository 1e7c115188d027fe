//! The HTTP routes, one module per resource; this module only merges them.

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

pub mod admin;
pub mod auth;
pub mod horses;
pub mod jobs;
pub mod ops;
pub mod sessions;
pub mod trends;

/// Every route with its OpenAPI description.
pub fn router(state: &AppState) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(auth::router())
        .merge(horses::router())
        .merge(sessions::router(state))
        .merge(jobs::router())
        .merge(trends::router())
        .merge(admin::router())
        .merge(ops::router())
}
