//! Replaying failed jobs: one by id (`POST /v1/admin/jobs/{id}/replay`), or
//! in bulk by filter (`POST /v1/admin/jobs/replay`, dry run by default, a
//! cap per call).
//!
//! A replay publishes the job again through the outbox, resets its attempt
//! budget and keeps its history (attempts, last error). It has the effect of
//! one run even if sent twice: only `dead` or `failed` jobs are replayed and
//! a replayed job is `queued`, so a second identical request finds nothing
//! (rows are claimed with `FOR UPDATE SKIP LOCKED`, so two concurrent ones
//! never replay the same job); and results are keyed by session and
//! algorithm version, so even a duplicate delivery stores nothing twice.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use shared::outbox::StoredJob;
use sqlx::{AssertSqlSafe, PgConnection, Postgres, QueryBuilder};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::filter::JobFilter;
use super::{ADMIN_COLUMNS, AdminJob, JobStatus, audit};
use crate::auth::AdminUser;
use crate::error::{ApiError, ApiResult, ErrorCode, Problem};
use crate::extract::{Json, Path};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(replay_job))
        .routes(routes!(bulk_replay))
}

/// What a replay needs of a job.
#[derive(Debug, sqlx::FromRow)]
struct ReplayRow {
    id: Uuid,
    kind: String,
    version: i32,
    payload: serde_json::Value,
    horse_id: Option<Uuid>,
}

impl ReplayRow {
    fn stored(&self) -> StoredJob<'_> {
        StoredJob {
            id: self.id,
            kind: &self.kind,
            version: self.version,
            payload: &self.payload,
        }
    }
}

/// Publishes `job` again with a fresh attempt budget; `false` when it is a
/// trend job and another trend job of the horse is already queued (that one
/// covers it; at most one may be queued).
async fn requeue(
    tx: &mut PgConnection,
    job: &ReplayRow,
    replay_id: Option<i64>,
) -> Result<bool, sqlx::Error> {
    if job.kind == "compute_trend" {
        let queued: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM jobs WHERE kind = 'compute_trend' AND status = 'queued'
                            AND horse_id = $1 AND id <> $2)",
        )
        .bind(job.horse_id)
        .bind(job.id)
        .fetch_one(&mut *tx)
        .await?;
        if queued {
            return Ok(false);
        }
    }
    sqlx::query(
        "WITH closed AS (
             UPDATE job_attempts SET finished_at = now(), outcome = 'interrupted'
             WHERE job_id = $1 AND finished_at IS NULL)
         UPDATE jobs SET status = 'queued', attempts = 0, updated_at = now(), requeued_at = now(),
                         finished_at = NULL, dead_reason = NULL, replay_id = $2
         WHERE id = $1",
    )
    .bind(job.id)
    .bind(replay_id)
    .execute(&mut *tx)
    .await?;
    let trace = shared::telemetry::inject_context(&tracing::Span::current());
    shared::outbox::republish(tx, job.stored(), 1, trace).await?;
    Ok(true)
}

/// Replay a `dead` or `failed` job: it is queued again with its attempts
/// reset and published through the outbox; its history is kept.
#[utoipa::path(post, path = "/v1/admin/jobs/{job_id}/replay", tag = "admin", security(("bearer" = [])),
    params(("job_id" = Uuid, Path)),
    responses((status = 202, body = AdminJob), (status = 403, body = Problem, description = "`forbidden`: not an admin"),
              (status = 404, body = Problem, description = "`not_found`"),
              (status = 409, body = Problem, description = "`conflict`: the job is not dead or failed, or a trend job for the same horse is already queued")))]
async fn replay_job(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(job_id): Path<Uuid>,
) -> ApiResult<(StatusCode, Json<AdminJob>)> {
    let job = replay_one(&state, admin.id, job_id).await?;
    Ok((StatusCode::ACCEPTED, Json(job)))
}

/// Replays one dead or failed job for the admin `admin_id`, recorded in the
/// audit log (the console's replay button does the same).
pub async fn replay_one(state: &AppState, admin_id: Uuid, job_id: Uuid) -> ApiResult<AdminJob> {
    let mut tx = state.db.begin().await?;
    let row: Option<(ReplayRow, String)> = sqlx::query_as::<
        _,
        (Uuid, String, i32, serde_json::Value, Option<Uuid>, String),
    >(
        "SELECT id, kind, version, payload, horse_id, status FROM jobs WHERE id = $1 FOR UPDATE",
    )
    .bind(job_id)
    .fetch_optional(&mut *tx)
    .await?
    .map(|(id, kind, version, payload, horse_id, status)| {
        (
            ReplayRow {
                id,
                kind,
                version,
                payload,
                horse_id,
            },
            status,
        )
    });
    let (job, status) = row.ok_or_else(|| ApiError::not_found("job"))?;
    if status != "dead" && status != "failed" {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!("only dead or failed jobs can be replayed; this one is {status}"),
        ));
    }
    if !requeue(&mut tx, &job, None).await? {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "a trend job for this horse is already queued; it will cover this one",
        ));
    }
    let detail = serde_json::json!({ "job_id": job_id, "previous_status": status });
    audit::record(&mut tx, Some(admin_id), "replay", None, 1, Some(detail)).await?;
    let job: AdminJob = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {ADMIN_COLUMNS} FROM jobs WHERE id = $1"
    )))
    .bind(job_id)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(%job_id, admin = %admin_id, "job replayed by an admin");
    Ok(job)
}

/// Only these jobs can be replayed, whatever the filter's status says.
const REPLAYABLE: &str = " AND status IN ('dead', 'failed')";

/// A bulk replay request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkReplay {
    /// Which jobs; `status` is `dead` by default, or `failed` (no job of
    /// another status is replayable: they match nothing).
    #[serde(default)]
    pub filter: JobFilter,
    /// Only count (default `true`: a replay must be asked for explicitly).
    pub dry_run: Option<bool>,
    /// Most jobs replayed by this call, 1–1000 (default 100); oldest change first.
    #[schema(minimum = 1, maximum = 1000)]
    #[serde(default, deserialize_with = "crate::extract::optional_integer")]
    pub max: Option<i64>,
}

/// What a bulk replay did (or would do).
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkReplayResult {
    /// Whether this was only a count.
    pub dry_run: bool,
    /// Jobs matching the filter (all of them, not only the first `max`).
    pub matched: i64,
    /// Jobs published again.
    pub replayed: i64,
    /// Trend jobs left as they are because another trend job of the horse is queued.
    pub skipped: i64,
    /// The audit entry of this replay; `GET /v1/admin/jobs?replay_id=` follows its jobs.
    pub replay_id: Option<i64>,
    /// The replayed jobs.
    pub job_ids: Vec<Uuid>,
}

/// Replay every `dead` (or `failed`) job matching a filter, up to `max` per
/// call; a dry run (the default) only counts them.
#[utoipa::path(post, path = "/v1/admin/jobs/replay", tag = "admin", security(("bearer" = [])),
    request_body = BulkReplay,
    responses((status = 200, body = BulkReplayResult, description = "dry run"),
              (status = 202, body = BulkReplayResult, description = "replayed"),
              (status = 403, body = Problem, description = "`forbidden`: not an admin"),
              (status = 422, body = Problem, description = "`validation_failed`")))]
async fn bulk_replay(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Json(request): Json<BulkReplay>,
) -> ApiResult<Response> {
    let result = bulk(&state, admin.id, request).await?;
    let status = if result.dry_run {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    Ok((status, Json(result)).into_response())
}

/// Counts (dry run) or replays the jobs a bulk request names, for the admin
/// `admin_id`, recorded in the audit log (the console's bulk replay does the
/// same).
pub async fn bulk(
    state: &AppState,
    admin_id: Uuid,
    request: BulkReplay,
) -> ApiResult<BulkReplayResult> {
    let mut filter = request.filter;
    filter.status.get_or_insert(JobStatus::Dead);
    filter.validate()?;
    let max = request.max.unwrap_or(100);
    if !(1..=1000).contains(&max) {
        return Err(ApiError::invalid_field("max", "must be between 1 and 1000"));
    }
    let dry_run = request.dry_run.unwrap_or(true);
    let filter_json = serde_json::to_value(&filter).map_err(ApiError::internal)?;
    let mut tx = state.db.begin().await?;
    let mut count = QueryBuilder::<Postgres>::new("SELECT count(*) FROM jobs");
    filter.push_where(&mut count, true);
    count.push(REPLAYABLE);
    let matched: i64 = count.build_query_scalar().fetch_one(&mut *tx).await?;
    let mut result = BulkReplayResult {
        dry_run,
        matched,
        replayed: 0,
        skipped: 0,
        replay_id: None,
        job_ids: Vec::new(),
    };
    if dry_run {
        let action = "bulk_replay_dry_run";
        audit::record(
            &mut tx,
            Some(admin_id),
            action,
            Some(filter_json),
            matched,
            None,
        )
        .await?;
        tx.commit().await?;
        return Ok(result);
    }
    let replay_id = audit::record(
        &mut tx,
        Some(admin_id),
        "bulk_replay",
        Some(filter_json),
        0,
        None,
    )
    .await?;
    let mut select =
        QueryBuilder::<Postgres>::new("SELECT id, kind, version, payload, horse_id FROM jobs");
    filter.push_where(&mut select, true);
    select
        .push(REPLAYABLE)
        .push(" ORDER BY updated_at, id LIMIT ")
        .push_bind(max)
        .push(" FOR UPDATE SKIP LOCKED");
    let rows: Vec<ReplayRow> = select.build_query_as().fetch_all(&mut *tx).await?;
    for job in &rows {
        if requeue(&mut tx, job, Some(replay_id)).await? {
            result.job_ids.push(job.id);
        } else {
            result.skipped += 1;
        }
    }
    result.replayed = result.job_ids.len() as i64;
    result.replay_id = Some(replay_id);
    audit::set_affected(&mut tx, replay_id, result.replayed).await?;
    tx.commit().await?;
    tracing::info!(replay_id, replayed = result.replayed, admin = %admin_id, "bulk replay");
    Ok(result)
}
