//! The console's audit log: every admin action, newest first, a page at a
//! time (the admin API's own reading of `admin_audit`, with its cursor).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::pages::{html, message_page};
use super::session::ConsoleAdmin;
use crate::error::ErrorCode;
use crate::extract::Query;
use crate::routes::admin::audit::{self, AuditPage, AuditQuery};
use crate::state::AppState;

/// Entries per page.
pub const PAGE_SIZE: i64 = 50;

/// The page's query: only the cursor (the page size is the console's).
#[derive(Debug, Deserialize)]
pub struct AuditParams {
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "console/audit.html")]
struct AuditView<'a> {
    admin: &'a ConsoleAdmin,
    page: &'a AuditPage,
    /// Whether this is the first (newest) page.
    first: bool,
}

impl AuditView<'_> {
    /// A JSON value on one line, or "—".
    fn compact(v: Option<&serde_json::Value>) -> String {
        v.map_or_else(|| "—".into(), |v| v.to_string())
    }
}

/// One page of the audit log.
pub async fn page(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    Query(params): Query<AuditParams>,
) -> Response {
    let first = params.cursor.is_none();
    let query = AuditQuery {
        limit: Some(PAGE_SIZE),
        cursor: params.cursor,
    };
    match audit::page(&state, &query).await {
        Ok(page) => html(&AuditView {
            admin: &admin,
            page: &page,
            first,
        }),
        Err(e) if e.code() == ErrorCode::ValidationFailed => (
            StatusCode::BAD_REQUEST,
            message_page("Not a page of the audit log", e.detail()),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}
