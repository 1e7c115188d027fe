//! The console's job pages: a filtered list (the admin API's filters and
//! cursor), one job (error, attempt history, payload, trace id) and its
//! replay button, which posts the session's CSRF token.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use uuid::Uuid;

use super::pages::{CsrfForm, html, message_page};
use super::session::{self, ConsoleAdmin};
use crate::error::ErrorCode;
use crate::extract::{Path, Query};
use crate::routes::admin::jobs::{self, JobDetail, JobPage, ListQuery};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "console/jobs.html")]
struct JobsPage<'a> {
    admin: &'a ConsoleAdmin,
    page: &'a JobPage,
    status: Option<String>,
    /// The next page's link, with the same filters.
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "console/job.html")]
struct JobPageView<'a> {
    admin: &'a ConsoleAdmin,
    d: &'a JobDetail,
    payload: String,
    notice: Option<&'a str>,
}

/// Jobs matching the filters, newest change first.
pub async fn list(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    Query(query): Query<ListQuery>,
    uri: axum::http::Uri,
) -> Response {
    let page = match jobs::list(&state, &query).await {
        Ok(page) => page,
        Err(e) => return e.into_response(),
    };
    let status = query
        .status
        .and_then(|s| serde_json::to_value(s).ok())
        .and_then(|v| v.as_str().map(str::to_owned));
    let next = page
        .next_cursor
        .as_ref()
        .map(|c| next_link(uri.query().unwrap_or(""), c));
    html(&JobsPage {
        admin: &admin,
        page: &page,
        status,
        next,
    })
}

/// The next page's link: the same query (every filter, as sent), with the
/// cursor replaced.
fn next_link(query: &str, cursor: &str) -> String {
    let mut link = format!("/admin/jobs?cursor={cursor}");
    for pair in query.split('&') {
        if !pair.is_empty() && !pair.starts_with("cursor=") {
            link.push('&');
            link.push_str(pair);
        }
    }
    link
}

/// One job.
pub async fn detail(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    Path(job_id): Path<Uuid>,
    uri: axum::http::Uri,
) -> Response {
    let notice = (uri.query() == Some("replayed=1"))
        .then_some("Replayed: the job is queued again and will run shortly.");
    show(&state, &admin, job_id, notice).await
}

async fn show(
    state: &AppState,
    admin: &ConsoleAdmin,
    job_id: Uuid,
    notice: Option<&str>,
) -> Response {
    match jobs::detail(state, job_id).await {
        Ok(d) => html(&JobPageView {
            admin,
            payload: serde_json::to_string_pretty(&d.job.payload).unwrap_or_default(),
            d: &d,
            notice,
        }),
        Err(e) if e.code() == ErrorCode::NotFound => (
            axum::http::StatusCode::NOT_FOUND,
            message_page("No such job", "It may have been deleted with its session."),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

/// Replays the job (the admin API's replay, audited) and shows it again.
pub async fn replay(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    Path(job_id): Path<Uuid>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !session::csrf_ok(&admin, &form.csrf) {
        return session::csrf_refused();
    }
    match crate::routes::admin::replay::replay_one(&state, admin.user_id, job_id).await {
        // Post/redirect/get: a reload does not replay twice.
        Ok(_) => Redirect::to(&format!("/admin/jobs/{job_id}?replayed=1")).into_response(),
        Err(e) if e.code() == ErrorCode::Conflict => {
            let page = show(&state, &admin, job_id, Some("Not replayed: only dead or retrying jobs can be, and a horse has at most one queued trend job.")).await;
            (axum::http::StatusCode::CONFLICT, page).into_response()
        }
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::next_link;

    #[test]
    fn the_next_page_keeps_every_filter_and_one_cursor() {
        assert_eq!(
            next_link("status=dead&error=broker%20down&cursor=1.a", "2.b"),
            "/admin/jobs?cursor=2.b&status=dead&error=broker%20down"
        );
        assert_eq!(next_link("", "2.b"), "/admin/jobs?cursor=2.b");
    }
}
