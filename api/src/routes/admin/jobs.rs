//! `GET /v1/admin/jobs` (filters, keyset pagination, counts per status) and
//! `GET /v1/admin/jobs/{id}` (a job with its attempt history).

use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{AssertSqlSafe, Postgres, QueryBuilder};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::filter::JobFilter;
use super::{ADMIN_COLUMNS, AdminJob, JobKind, JobStatus, StatusCounts};
use crate::auth::AdminUser;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_jobs))
        .routes(routes!(job_detail))
}

/// The job list's query: the filter, a page size and a cursor.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Status.
    pub status: Option<JobStatus>,
    /// Kind.
    pub kind: Option<JobKind>,
    /// Text contained in the last error (case-insensitive).
    #[param(max_length = 200)]
    pub error: Option<String>,
    /// Last change at or after (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    /// Last change before (RFC 3339).
    pub until: Option<DateTime<Utc>>,
    /// Horse concerned.
    pub horse_id: Option<Uuid>,
    /// Session concerned.
    pub session_id: Option<Uuid>,
    /// Version of the worker's algorithms that last started the job.
    #[param(max_length = 100)]
    pub algorithm_version: Option<String>,
    /// Jobs last requeued by this bulk replay (its audit id).
    pub replay_id: Option<i64>,
    /// Jobs per page, 1–500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(
        pattern = r"^[1-9][0-9]{14,15}\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
    )]
    pub cursor: Option<String>,
}

impl ListQuery {
    /// A query for the jobs a filter matches (the console builds its pages
    /// from the filter its forms read).
    pub fn of(filter: JobFilter, limit: Option<i64>, cursor: Option<String>) -> Self {
        ListQuery {
            status: filter.status,
            kind: filter.kind,
            error: filter.error,
            since: filter.since,
            until: filter.until,
            horse_id: filter.horse_id,
            session_id: filter.session_id,
            algorithm_version: filter.algorithm_version,
            replay_id: filter.replay_id,
            limit,
            cursor,
        }
    }

    fn filter(&self) -> JobFilter {
        JobFilter {
            status: self.status,
            kind: self.kind,
            error: self.error.clone(),
            since: self.since,
            until: self.until,
            horse_id: self.horse_id,
            session_id: self.session_id,
            algorithm_version: self.algorithm_version.clone(),
            replay_id: self.replay_id,
        }
    }
}

/// A page of jobs.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobPage {
    /// Newest change first.
    pub jobs: Vec<AdminJob>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
    /// Jobs per status matching the filter without its `status`.
    pub counts: StatusCounts,
}

/// Position after a job in the list: `{updated_at µs}.{id}`.
fn cursor_of(job: &AdminJob) -> String {
    format!("{}.{}", job.updated_at.timestamp_micros(), job.id)
}

fn parse_cursor(cursor: &str) -> ApiResult<(DateTime<Utc>, Uuid)> {
    let bad = || ApiError::invalid_field("cursor", "not a cursor this API returned");
    let (micros, id) = cursor.split_once('.').ok_or_else(bad)?;
    let at = micros
        .parse::<i64>()
        .ok()
        .and_then(DateTime::from_timestamp_micros)
        .ok_or_else(bad)?;
    Ok((at, Uuid::parse_str(id).map_err(|_| bad())?))
}

/// Jobs matching a filter, newest change first, with counts per status.
#[utoipa::path(get, path = "/v1/admin/jobs", tag = "admin", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = JobPage), (status = 403, body = Problem, description = "`forbidden`: not an admin")))]
async fn list_jobs(
    State(state): State<AppState>,
    _admin: AdminUser,
    Query(query): Query<ListQuery>,
) -> ApiResult<Json<JobPage>> {
    list(&state, &query).await.map(Json)
}

/// One page of jobs matching the query (the console's job list reads it too).
pub async fn list(state: &AppState, query: &ListQuery) -> ApiResult<JobPage> {
    let filter = query.filter();
    filter.validate()?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid_field(
            "limit",
            "must be between 1 and 500",
        ));
    }
    let after = query.cursor.as_deref().map(parse_cursor).transpose()?;
    let mut q = QueryBuilder::<Postgres>::new(format!("SELECT {ADMIN_COLUMNS} FROM jobs"));
    filter.push_where(&mut q, true);
    if let Some((at, id)) = after {
        q.push(" AND (updated_at, id) < (")
            .push_bind(at)
            .push(", ")
            .push_bind(id)
            .push(")");
    }
    q.push(" ORDER BY updated_at DESC, id DESC LIMIT ")
        .push_bind(limit + 1);
    let mut jobs: Vec<AdminJob> = q.build_query_as().fetch_all(&state.db).await?;
    let next_cursor = if jobs.len() as i64 > limit {
        jobs.truncate(limit as usize);
        jobs.last().map(cursor_of)
    } else {
        None
    };
    let counts = count_by_status(state, &filter).await?;
    Ok(JobPage {
        jobs,
        next_cursor,
        counts,
    })
}

/// Jobs per status matching `filter` without its status.
pub async fn count_by_status(state: &AppState, filter: &JobFilter) -> ApiResult<StatusCounts> {
    let mut q = QueryBuilder::<Postgres>::new("SELECT status, count(*) FROM jobs");
    filter.push_where(&mut q, false);
    q.push(" GROUP BY status");
    let rows: Vec<(String, i64)> = q.build_query_as().fetch_all(&state.db).await?;
    Ok(StatusCounts::from_rows(rows))
}

/// One attempt of a job.
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct Attempt {
    /// 1-based attempt number.
    pub attempt: i32,
    /// Start.
    pub started_at: DateTime<Utc>,
    /// End (`null` while running, or when interrupted and not yet closed).
    pub finished_at: Option<DateTime<Utc>>,
    /// `succeeded`, `failed`, `dead`, `interrupted` (the worker died or lost
    /// its connection), `swept` (stuck: published again), `gone` (its object
    /// was deleted) or `running`.
    pub outcome: Option<String>,
    /// What went wrong.
    pub error: Option<String>,
    /// `pod/pid` of the worker that ran it.
    pub worker_id: Option<String>,
}

/// A job with its attempt history.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobDetail {
    /// The job.
    #[serde(flatten)]
    pub job: AdminJob,
    /// Every attempt, oldest first (earlier lives of a replayed job included).
    pub history: Vec<Attempt>,
}

/// A job and its attempt history.
#[utoipa::path(get, path = "/v1/admin/jobs/{job_id}", tag = "admin", security(("bearer" = [])),
    params(("job_id" = Uuid, Path)),
    responses((status = 200, body = JobDetail), (status = 403, body = Problem, description = "`forbidden`: not an admin"),
              (status = 404, body = Problem, description = "`not_found`")))]
async fn job_detail(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(job_id): Path<Uuid>,
) -> ApiResult<Json<JobDetail>> {
    detail(&state, job_id).await.map(Json)
}

/// A job and its attempt history (the console's job page reads it too).
pub async fn detail(state: &AppState, job_id: Uuid) -> ApiResult<JobDetail> {
    let job: AdminJob = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {ADMIN_COLUMNS} FROM jobs WHERE id = $1"
    )))
    .bind(job_id)
    .fetch_optional(&state.db)
    .await?
    .ok_or_else(|| ApiError::not_found("job"))?;
    let mut history: Vec<Attempt> = sqlx::query_as(
        "SELECT attempt, started_at, finished_at, outcome, error, worker_id
         FROM job_attempts WHERE job_id = $1 ORDER BY id",
    )
    .bind(job_id)
    .fetch_all(&state.db)
    .await?;
    label_open_attempts(&mut history, &job.status);
    Ok(JobDetail { job, history })
}

/// An attempt without an end is `running` if it is the job's latest and the
/// job is running, else `interrupted`.
fn label_open_attempts(history: &mut [Attempt], status: &str) {
    let last = history.len().saturating_sub(1);
    for (i, a) in history.iter_mut().enumerate() {
        if a.outcome.is_none() {
            let running = i == last && status == "running";
            a.outcome = Some(if running { "running" } else { "interrupted" }.to_owned());
        }
    }
}
