//! Admin routes (admin role, else 403): inspect failed jobs and replay them.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared::jobs::JobMessage;
use sqlx::AssertSqlSafe;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::auth::AdminUser;
use crate::error::{ApiError, ApiResult, ErrorCode, Problem};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_jobs))
        .routes(routes!(replay_job))
}

/// A job with everything an admin needs to decide on a replay.
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct AdminJob {
    /// Id.
    pub id: Uuid,
    /// Kind.
    pub kind: String,
    /// Contract version.
    pub version: i32,
    /// Status.
    #[schema(value_type = JobStatus)]
    pub status: String,
    /// Attempts made.
    pub attempts: i32,
    /// The last error the worker recorded.
    pub last_error: Option<String>,
    /// Owner.
    pub owner_id: Option<Uuid>,
    /// Session concerned.
    pub session_id: Option<Uuid>,
    /// Horse concerned.
    pub horse_id: Option<Uuid>,
    /// The job's payload.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Start of the latest attempt.
    pub started_at: Option<DateTime<Utc>>,
    /// End of the job.
    pub finished_at: Option<DateTime<Utc>>,
}

const ADMIN_COLUMNS: &str =
    "id, kind, version, status, attempts, last_error, owner_id, session_id, horse_id, payload,
    created_at, updated_at, started_at, finished_at";

/// A job's status (for the documentation: the job list's filter and
/// the jobs' `status`).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Waiting in the queue.
    Queued,
    /// A worker holds it.
    Running,
    /// Done.
    Succeeded,
    /// An attempt failed; a retry is scheduled.
    Failed,
    /// Gave up; an admin can replay it.
    Dead,
}

/// Filter for the job list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct JobFilter {
    /// Jobs of this status (default `dead`).
    #[param(value_type = Option<JobStatus>)]
    pub status: Option<String>,
    /// How many, 1–500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// Jobs by status, most recently changed first.
#[utoipa::path(get, path = "/v1/admin/jobs", tag = "admin", security(("bearer" = [])), params(JobFilter),
    responses((status = 200, body = Vec<AdminJob>), (status = 403, body = Problem, description = "`forbidden`: not an admin")))]
async fn list_jobs(
    State(state): State<AppState>,
    _admin: AdminUser,
    Query(filter): Query<JobFilter>,
) -> ApiResult<Json<Vec<AdminJob>>> {
    let status = filter.status.unwrap_or_else(|| "dead".into());
    if !["queued", "running", "succeeded", "failed", "dead"].contains(&status.as_str()) {
        return Err(ApiError::invalid_field(
            "status",
            "must be queued, running, succeeded, failed or dead",
        ));
    }
    let limit = filter.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid_field(
            "limit",
            "must be between 1 and 500",
        ));
    }
    let jobs = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {ADMIN_COLUMNS} FROM jobs WHERE status = $1 ORDER BY updated_at DESC LIMIT $2"
    )))
    .bind(status)
    .bind(limit)
    .fetch_all(&state.db)
    .await?;
    Ok(Json(jobs))
}

/// Replay a `dead` or `failed` job: it is queued again with its attempts
/// reset and published through the outbox. Replaying is idempotent in effect:
/// results are keyed by session and algorithm version.
#[utoipa::path(post, path = "/v1/admin/jobs/{job_id}/replay", tag = "admin", security(("bearer" = [])),
    params(("job_id" = Uuid, Path)),
    responses((status = 202, body = AdminJob), (status = 403, body = Problem, description = "`forbidden`: not an admin"),
              (status = 404, body = Problem, description = "`not_found`"),
              (status = 409, body = Problem, description = "`conflict`: the job is not dead or failed, or a trend job for the same horse is already queued")))]
async fn replay_job(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(job_id): Path<Uuid>,
) -> ApiResult<(StatusCode, Json<AdminJob>)> {
    let mut tx = state.db.begin().await?;
    let job: Option<AdminJob> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {ADMIN_COLUMNS} FROM jobs WHERE id = $1 FOR UPDATE"
    )))
    .bind(job_id)
    .fetch_optional(&mut *tx)
    .await?;
    let job = job.ok_or_else(|| ApiError::not_found("job"))?;
    if job.status != "dead" && job.status != "failed" {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!(
                "only dead or failed jobs can be replayed; this one is {}",
                job.status
            ),
        ));
    }
    let version = u32::try_from(job.version).map_err(ApiError::internal)?;
    let trace = shared::telemetry::inject_context(&tracing::Span::current());
    let message = JobMessage {
        job_id,
        kind: job.kind.clone(),
        version,
        attempt: 1,
        enqueued_at: Utc::now(),
        trace_context: trace,
        payload: job.payload.clone(),
    };
    shared::outbox::publish_later(&mut tx, &message).await?;
    let job: AdminJob = sqlx::query_as(AssertSqlSafe(format!(
        "UPDATE jobs SET status = 'queued', attempts = 0, updated_at = now(), finished_at = NULL
         WHERE id = $1 RETURNING {ADMIN_COLUMNS}"
    )))
    .bind(job_id)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        // At most one trend job per horse may be queued (it covers every session).
        if matches!(&e, sqlx::Error::Database(db) if db.is_unique_violation()) {
            ApiError::new(
                ErrorCode::Conflict,
                "a trend job for this horse is already queued; it will cover this one",
            )
        } else {
            e.into()
        }
    })?;
    tx.commit().await?;
    tracing::info!(%job_id, "job replayed by an admin");
    Ok((StatusCode::ACCEPTED, Json(job)))
}
