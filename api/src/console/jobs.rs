//! The console's job pages: a filtered list (a GET form with the admin
//! API's filters, and its cursor), one job (error, attempt history, payload,
//! trace id) and its replay button, which posts the session's CSRF token.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::filter_form::FilterFields;
use super::pages::{CsrfForm, html, message_page};
use super::session::{self, ConsoleAdmin};
use crate::error::ErrorCode;
use crate::extract::{Path, Query};
use crate::routes::admin::JobStatus;
use crate::routes::admin::jobs::{self, JobDetail, JobPage, ListQuery};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "console/jobs.html")]
struct JobsPage<'a> {
    admin: &'a ConsoleAdmin,
    /// The filter form, as sent.
    f: &'a ListForm,
    /// What is wrong with the filter (then no page is shown).
    error: Option<&'a str>,
    page: Option<&'a JobPage>,
    /// The next page's link, with the same filters.
    next: Option<String>,
}

/// The list's filter form as the browser sends it: an empty field is no
/// filter (the admin API's strict query would refuse an empty value), and a
/// bad one is named on the page rather than answered with JSON.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct ListForm {
    pub status: String,
    #[serde(flatten)]
    pub filter: FilterFields,
    pub replay_id: String,
    pub cursor: String,
}

impl ListForm {
    /// The admin API's query these fields describe, or what is wrong with
    /// them (said for a person).
    fn query(&self) -> Result<ListQuery, String> {
        let status = match self.status.trim() {
            "" => None,
            "queued" => Some(JobStatus::Queued),
            "running" => Some(JobStatus::Running),
            "succeeded" => Some(JobStatus::Succeeded),
            "failed" => Some(JobStatus::Failed),
            "dead" => Some(JobStatus::Dead),
            _ => return Err("Status: queued, running, succeeded, failed or dead".into()),
        };
        let f = self.filter.read()?;
        let replay_id = match self.replay_id.trim() {
            "" => None,
            r => Some(r.parse::<i64>().map_err(|_| "Bulk replay: not a number")?),
        };
        let cursor = self.cursor.trim();
        Ok(ListQuery::of(
            f.job_filter(status, replay_id),
            None,
            (!cursor.is_empty()).then(|| cursor.to_owned()),
        ))
    }
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
    Query(f): Query<ListForm>,
    uri: axum::http::Uri,
) -> Response {
    let page = match f.query() {
        Ok(query) => jobs::list(&state, &query).await,
        Err(message) => return list_refused(&admin, &f, &message),
    };
    let page = match page {
        Ok(page) => page,
        // A bad cursor or a filter the API refuses: named on the page.
        Err(e) if e.code() == ErrorCode::ValidationFailed => {
            return list_refused(&admin, &f, e.detail());
        }
        Err(e) => return e.into_response(),
    };
    let next = page
        .next_cursor
        .as_ref()
        .map(|c| next_link(uri.query().unwrap_or(""), c));
    html(&JobsPage {
        admin: &admin,
        f: &f,
        error: None,
        page: Some(&page),
        next,
    })
}

/// The list's form again, with what is wrong (422).
fn list_refused(admin: &ConsoleAdmin, f: &ListForm, message: &str) -> Response {
    let page = html(&JobsPage {
        admin,
        f,
        error: Some(message),
        page: None,
        next: None,
    });
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
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
            StatusCode::NOT_FOUND,
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
            (StatusCode::CONFLICT, page).into_response()
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
