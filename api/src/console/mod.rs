//! The admin console: server-rendered HTML under `/admin` for people at a
//! desk. It adds pages, not logic: every figure and action comes from the
//! admin API's own functions.
//!
//! - this module: the router;
//! - [`session`]: sign-in sessions (HttpOnly, SameSite=Strict cookie; the
//!   row in `console_sessions`), the CSRF token, the admin check;
//! - [`pages`]: sign-in, overview, sign-out, the stylesheet;
//! - [`charts`]: the overview's throughput and failure-rate charts;
//! - [`jobs`]: the job list, a job's page and its replay button;
//! - [`audit`]: the audit log, a page at a time;
//! - [`bulk`]: bulk replay (filter, dry-run count, confirmation, result);
//! - [`filter_form`]: the job filter fields the job list and bulk replay
//!   share;
//! - [`sessions`]: a session's page with its chart.
//!
//! Templates live in `api/templates/console/`.
//!
//! No external asset: the stylesheet is served by the API, no script runs.

pub mod audit;
pub mod bulk;
pub mod charts;
pub mod filter_form;
pub mod jobs;
pub mod pages;
pub mod session;
pub mod sessions;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

/// The console's routes (HTML; not part of the OpenAPI document).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(pages::overview))
        .route("/admin/login", get(pages::login_form).post(pages::login))
        .route("/admin/logout", post(pages::logout))
        .route("/admin/console.css", get(pages::stylesheet))
        .route("/admin/jobs", get(jobs::list))
        .route("/admin/jobs/{job_id}", get(jobs::detail))
        .route("/admin/jobs/{job_id}/replay", post(jobs::replay))
        .route("/admin/replay", get(bulk::form).post(bulk::replay))
        .route("/admin/replay/preview", post(bulk::preview))
        .route("/admin/replay/{replay_id}", get(bulk::done))
        .route("/admin/audit", get(audit::page))
        .route("/admin/sessions/{session_id}", get(sessions::page))
        .route(
            "/admin/sessions/{session_id}/chart.svg",
            get(sessions::chart),
        )
}
