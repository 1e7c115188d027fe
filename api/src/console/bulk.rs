//! The console's bulk replay, in three steps: a form with the job list's
//! filters; a dry run that counts the jobs it would replay (the admin API's
//! bulk replay with `dry_run`, audited like any dry run) and asks for
//! confirmation; the replay itself (a CSRF-protected post, then
//! post/redirect/get to a page that follows the replayed jobs by their
//! `replay_id`). The filter travels between the steps as form fields.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::filter_form::{FilterFields, urlencode};
use super::pages::{html, message_page};
use super::session::{self, ConsoleAdmin};
use crate::error::ErrorCode;
use crate::extract::{Path, Query};
use crate::routes::admin::JobStatus;
use crate::routes::admin::audit::{self, AuditEntry};
use crate::routes::admin::filter::JobFilter;
use crate::routes::admin::jobs::{self, JobPage, ListQuery};
use crate::routes::admin::replay::{self as admin_replay, BulkReplay, BulkReplayResult};
use crate::state::AppState;

/// Jobs replayed by one confirmation when the form leaves `max` empty.
const DEFAULT_MAX: i64 = 100;

/// The form's fields as the browser sends them (an empty field is no
/// filter); the same names as the admin API's filter.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct BulkForm {
    pub csrf: String,
    pub status: String,
    #[serde(flatten)]
    pub filter: FilterFields,
    pub max: String,
}

impl BulkForm {
    /// The bulk replay request these fields describe, or what is wrong with
    /// them (said for a person).
    pub fn request(&self, dry_run: bool) -> Result<BulkReplay, String> {
        let status = match self.status.trim() {
            "" | "dead" => JobStatus::Dead,
            "failed" => JobStatus::Failed,
            _ => return Err("Status: only dead or retrying jobs can be replayed".into()),
        };
        let f = self.filter.read()?;
        let max = match self.max.trim() {
            "" => DEFAULT_MAX,
            m => m
                .parse::<i64>()
                .ok()
                .filter(|m| (1..=1000).contains(m))
                .ok_or("At most: a number from 1 to 1000")?,
        };
        Ok(BulkReplay {
            filter: f.job_filter(Some(status), None),
            dry_run: Some(dry_run),
            max: Some(max),
        })
    }

    /// The fields as a query string (the "change the filter" link).
    fn query(&self) -> String {
        let status = [("status", self.status.as_str())];
        let max = [("max", self.max.as_str())];
        let pairs: Vec<(&str, &str)> = status
            .into_iter()
            .chain(self.filter.pairs())
            .chain(max)
            .collect();
        pairs
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| format!("{k}={}", urlencode(v.trim())))
            .collect::<Vec<_>>()
            .join("&")
    }
}

#[derive(Template)]
#[template(path = "console/replay.html")]
struct FormPage<'a> {
    admin: &'a ConsoleAdmin,
    f: &'a BulkForm,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "console/replay_confirm.html")]
struct ConfirmPage<'a> {
    admin: &'a ConsoleAdmin,
    f: &'a BulkForm,
    r: &'a BulkReplayResult,
    /// How many the confirmation replays: the matches, up to `max`.
    will_replay: i64,
    /// The link back to the form with these fields.
    change: String,
}

#[derive(Template)]
#[template(path = "console/replay_done.html")]
struct DonePage<'a> {
    admin: &'a ConsoleAdmin,
    entry: &'a AuditEntry,
    page: &'a JobPage,
    filter: String,
}

fn form_page(admin: &ConsoleAdmin, f: &BulkForm, error: Option<&str>) -> Response {
    let page = html(&FormPage { admin, f, error });
    match error {
        Some(_) => (StatusCode::UNPROCESSABLE_ENTITY, page).into_response(),
        None => page,
    }
}

/// The form, filled from the query string (the job list links here with its
/// filters).
pub async fn form(admin: ConsoleAdmin, Query(f): Query<BulkForm>) -> Response {
    form_page(&admin, &f, None)
}

/// What both posts share: the CSRF check, the request the fields describe
/// and the admin API's bulk replay (audited there). A refusal comes back as
/// the page to answer with: the form naming what is wrong, or the problem.
/// Also gives the request's `max` (the form's, or the default).
async fn bulk(
    state: &AppState,
    admin: &ConsoleAdmin,
    f: &BulkForm,
    dry_run: bool,
) -> Result<(BulkReplayResult, i64), Response> {
    if !session::csrf_ok(admin, &f.csrf) {
        return Err(session::csrf_refused());
    }
    let request = f
        .request(dry_run)
        .map_err(|e| form_page(admin, f, Some(&e)))?;
    let max = request.max.unwrap_or(DEFAULT_MAX);
    admin_replay::bulk(state, admin.user_id, request)
        .await
        .map(|r| (r, max))
        .map_err(|e| match e.code() {
            ErrorCode::ValidationFailed => form_page(admin, f, Some(e.detail())),
            _ => e.into_response(),
        })
}

/// Step two: the dry run's count and the confirmation form.
pub async fn preview(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    Form(f): Form<BulkForm>,
) -> Response {
    let (r, max) = match bulk(&state, &admin, &f, true).await {
        Ok(r) => r,
        Err(page) => return page,
    };
    html(&ConfirmPage {
        admin: &admin,
        f: &f,
        will_replay: r.matched.min(max),
        r: &r,
        change: f.query(),
    })
}

/// Step three: the replay (audited), then to the page that follows it.
pub async fn replay(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    Form(f): Form<BulkForm>,
) -> Response {
    match bulk(&state, &admin, &f, false).await {
        // Post/redirect/get: a reload shows the result, it does not replay again.
        Ok((
            BulkReplayResult {
                replay_id: Some(id),
                ..
            },
            _,
        )) => Redirect::to(&format!("/admin/replay/{id}")).into_response(),
        Ok(_) => form_page(&admin, &f, Some("Nothing was replayed.")),
        Err(page) => page,
    }
}

/// What a bulk replay did, and where its jobs are now.
pub async fn done(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    Path(replay_id): Path<i64>,
) -> Response {
    let entry = match audit::entry(&state, replay_id).await {
        Ok(Some(e)) if e.action == "bulk_replay" => e,
        Ok(_) => {
            return (
                StatusCode::NOT_FOUND,
                message_page("No such bulk replay", "Its number is not in the audit log."),
            )
                .into_response();
        }
        Err(e) => return e.into_response(),
    };
    let replayed = JobFilter {
        replay_id: Some(replay_id),
        ..JobFilter::default()
    };
    let query = ListQuery::of(replayed, Some(100), None);
    let page = match jobs::list(&state, &query).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let filter = entry
        .filter
        .as_ref()
        .map(|f| f.to_string())
        .unwrap_or_default();
    html(&DonePage {
        admin: &admin,
        entry: &entry,
        page: &page,
        filter,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::admin::JobKind;

    #[test]
    fn empty_fields_are_no_filter_and_bad_ones_are_named() {
        let r = BulkForm::default().request(true).unwrap();
        assert_eq!(r.filter.status, Some(JobStatus::Dead));
        assert!(r.filter.kind.is_none() && r.filter.since.is_none());
        assert_eq!((r.dry_run, r.max), (Some(true), Some(DEFAULT_MAX)));

        let f = BulkForm {
            status: "failed".into(),
            filter: FilterFields {
                kind: "compute_trend".into(),
                since: "2026-12-03T09:30".into(),
                until: "2026-12-03T10:00:00Z".into(),
                ..FilterFields::default()
            },
            max: "7".into(),
            ..BulkForm::default()
        };
        let r = f.request(false).unwrap();
        assert_eq!(r.filter.status, Some(JobStatus::Failed));
        assert_eq!(r.filter.kind, Some(JobKind::ComputeTrend));
        assert_eq!(
            r.filter.since.unwrap().to_rfc3339(),
            "2026-12-03T09:30:00+00:00"
        );
        assert_eq!(r.max, Some(7));
        assert_eq!(
            f.query(),
            "status=failed&kind=compute_trend&since=2026-12-03T09%3A30&until=2026-12-03T10%3A00%3A00Z&max=7"
        );

        for (bad, says) in [
            (
                BulkForm {
                    status: "succeeded".into(),
                    ..BulkForm::default()
                },
                "Status",
            ),
            (
                BulkForm {
                    max: "0".into(),
                    ..BulkForm::default()
                },
                "At most",
            ),
            (
                BulkForm {
                    filter: FilterFields {
                        horse_id: "comet".into(),
                        ..FilterFields::default()
                    },
                    ..BulkForm::default()
                },
                "Horse",
            ),
        ] {
            let e = bad.request(true).unwrap_err();
            assert!(e.starts_with(says), "{e}");
        }
    }
}
