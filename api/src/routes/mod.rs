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

/// Every route with its OpenAPI description (error answers completed by
/// [`crate::openapi::document_problems`]).
pub fn router(state: &AppState) -> OpenApiRouter<AppState> {
    let mut router = OpenApiRouter::new()
        .merge(auth::router())
        .merge(horses::router())
        .merge(sessions::router(state))
        .merge(jobs::router())
        .merge(trends::router())
        .merge(admin::router())
        .merge(ops::router());
    crate::openapi::document_problems(router.get_openapi_mut());
    router
}
