//! `POST /v1/admin/reanalysis`: after an algorithm upgrade, enqueue fresh
//! analyses for sessions whose stored results were all made by an older
//! version (or fresh trends for horses whose trend is older). The new result
//! is stored beside the old one (results are keyed by session and version)
//! and the rider's API serves the newest.
//!
//! Idempotent: a session (horse) that already has an analysis (trend) job
//! waiting or running is not enqueued again, so the same request sent twice
//! enqueues each session once.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared::jobs::AnalyzeSession;
use shared::outbox::JobRefs;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::audit;
use crate::auth::AdminUser;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::Json;
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(reanalyse))
}

/// What to recompute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// Session analyses (`analyze_session`).
    #[default]
    Analysis,
    /// Horse trends (`compute_trend`).
    Trend,
}

impl Target {
    /// The version this build's worker produces.
    fn current_version(self) -> &'static str {
        match self {
            Self::Analysis => analysis::ALGORITHM_VERSION,
            Self::Trend => trend::TREND_VERSION,
        }
    }
}

/// A re-analysis request.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reanalysis {
    /// `analysis` (default) or `trend`.
    #[serde(default)]
    pub target: Target,
    /// Recompute what was made by versions older than this one, e.g.
    /// `aggregation/1.1.0` (default: the current version, i.e. everything
    /// older than what the worker runs). Must not be newer than the current version.
    #[schema(pattern = r"^[a-z_]+/[0-9]+\.[0-9]+\.[0-9]+$")]
    pub older_than: Option<String>,
    /// Only this horse's sessions (or trend).
    pub horse_id: Option<Uuid>,
    /// Only sessions that started at or after.
    pub since: Option<DateTime<Utc>>,
    /// Only sessions that started before.
    pub until: Option<DateTime<Utc>>,
    /// Only count (default `true`).
    pub dry_run: Option<bool>,
    /// Most jobs enqueued by this call, 1–1000 (default 100).
    #[schema(minimum = 1, maximum = 1000)]
    #[serde(default, deserialize_with = "crate::extract::optional_integer")]
    pub max: Option<i64>,
}

/// What a re-analysis did (or would do).
#[derive(Debug, Serialize, ToSchema)]
pub struct ReanalysisResult {
    /// Whether this was only a count.
    pub dry_run: bool,
    /// The version the new results will carry.
    pub target_version: String,
    /// Sessions (horses) whose results are older (all of them, not only the first `max`).
    pub matched: i64,
    /// Jobs enqueued.
    pub enqueued: i64,
    /// The new jobs.
    pub job_ids: Vec<Uuid>,
}

/// `name/x.y.z` → `[x, y, z]`.
fn version_numbers(version: &str) -> Option<[i32; 3]> {
    let (_, numbers) = version.split_once('/')?;
    let mut parts = numbers.split('.').map(|p| p.parse::<i32>().ok());
    let v = [parts.next()??, parts.next()??, parts.next()??];
    parts.next().is_none().then_some(v)
}

/// The version bound of a request, checked against the current version.
fn bound(request: &Reanalysis) -> ApiResult<[i32; 3]> {
    let current = request.target.current_version();
    let current_numbers = version_numbers(current).ok_or_else(|| {
        ApiError::internal(format!(
            "this build's version {current:?} is not name/x.y.z"
        ))
    })?;
    let Some(older_than) = &request.older_than else {
        return Ok(current_numbers);
    };
    let prefix = current.split('/').next().unwrap_or_default();
    let numbers = version_numbers(older_than)
        .filter(|_| older_than.split('/').next() == Some(prefix))
        .ok_or_else(|| {
            ApiError::invalid_field("older_than", format!("must look like {prefix}/1.2.3"))
        })?;
    if numbers > current_numbers {
        return Err(ApiError::invalid_field(
            "older_than",
            format!("the worker runs {current}: it cannot produce a newer version"),
        ));
    }
    Ok(numbers)
}

/// SQL: `$1` is the version bound as `int[]`; a stored version is "at least
/// the bound" when its numbers compare greater or equal.
const AT_LEAST: &str =
    "(string_to_array(split_part(r.algorithm_version, '/', 2), '.')::int[] >= $1::int[])";

/// Sessions (id, horse, owner) whose results are all older than the bound.
fn stale_sessions_sql(select: &str) -> String {
    format!(
        "SELECT {select} FROM sessions s
         WHERE ($2::uuid IS NULL OR s.horse_id = $2)
           AND ($3::timestamptz IS NULL OR s.started_at >= $3)
           AND ($4::timestamptz IS NULL OR s.started_at < $4)
           AND EXISTS (SELECT 1 FROM analysis_results r WHERE r.session_id = s.id)
           AND NOT EXISTS (SELECT 1 FROM analysis_results r WHERE r.session_id = s.id
                           AND r.algorithm_version ~ '^[a-z_]+/[0-9]+[.][0-9]+[.][0-9]+$' AND {AT_LEAST})
           AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.session_id = s.id AND j.kind = 'analyze_session'
                           AND j.status IN ('queued', 'running', 'failed'))"
    )
}

/// Horses (id, owner) whose trends are all older than the bound.
fn stale_trends_sql(select: &str) -> String {
    format!(
        "SELECT {select} FROM horses h
         WHERE ($2::uuid IS NULL OR h.id = $2)
           AND $3::timestamptz IS NULL AND $4::timestamptz IS NULL
           AND EXISTS (SELECT 1 FROM horse_trends r WHERE r.horse_id = h.id)
           AND NOT EXISTS (SELECT 1 FROM horse_trends r WHERE r.horse_id = h.id
                           AND r.algorithm_version ~ '^[a-z_]+/[0-9]+[.][0-9]+[.][0-9]+$' AND {AT_LEAST})
           AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.horse_id = h.id AND j.kind = 'compute_trend'
                           AND j.status IN ('queued', 'running', 'failed'))"
    )
}

/// Enqueue fresh analyses (or trends) for results made by older algorithms.
#[utoipa::path(post, path = "/v1/admin/reanalysis", tag = "admin", security(("bearer" = [])),
    request_body = Reanalysis,
    responses((status = 200, body = ReanalysisResult, description = "dry run"),
              (status = 202, body = ReanalysisResult, description = "enqueued"),
              (status = 403, body = Problem, description = "`forbidden`: not an admin"),
              (status = 422, body = Problem, description = "`validation_failed`")))]
async fn reanalyse(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Json(request): Json<Reanalysis>,
) -> ApiResult<Response> {
    let numbers = bound(&request)?;
    let max = request.max.unwrap_or(100);
    if !(1..=1000).contains(&max) {
        return Err(ApiError::invalid_field("max", "must be between 1 and 1000"));
    }
    if request.target == Target::Trend && (request.since.is_some() || request.until.is_some()) {
        return Err(ApiError::invalid_field("since", "only for target analysis"));
    }
    let dry_run = request.dry_run.unwrap_or(true);
    let stale = match request.target {
        Target::Analysis => stale_sessions_sql,
        Target::Trend => stale_trends_sql,
    };
    let mut tx = state.db.begin().await?;
    let matched: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(stale("count(*)")))
        .bind(numbers.to_vec())
        .bind(request.horse_id)
        .bind(request.since)
        .bind(request.until)
        .fetch_one(&mut *tx)
        .await?;
    let mut result = ReanalysisResult {
        dry_run,
        target_version: request.target.current_version().to_owned(),
        matched,
        enqueued: 0,
        job_ids: Vec::new(),
    };
    if !dry_run {
        result.job_ids = enqueue(&mut tx, &request, numbers, max).await?;
        result.enqueued = result.job_ids.len() as i64;
    }
    let action = if dry_run {
        "reanalysis_dry_run"
    } else {
        "reanalysis"
    };
    let affected = if dry_run { matched } else { result.enqueued };
    let filter = serde_json::to_value(&request).map_err(ApiError::internal)?;
    let detail = serde_json::json!({ "target_version": result.target_version });
    audit::record(
        &mut tx,
        Some(admin.id),
        action,
        Some(filter),
        affected,
        Some(detail),
    )
    .await?;
    tx.commit().await?;
    let status = if dry_run {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    Ok((status, Json(result)).into_response())
}

/// Enqueues up to `max` jobs for the stale sessions (horses); their ids.
async fn enqueue(
    tx: &mut sqlx::PgConnection,
    request: &Reanalysis,
    numbers: [i32; 3],
    max: i64,
) -> Result<Vec<Uuid>, sqlx::Error> {
    let trace = shared::telemetry::inject_context(&tracing::Span::current());
    let mut ids = Vec::new();
    match request.target {
        Target::Analysis => {
            let sql = stale_sessions_sql("s.id, s.horse_id, s.owner_id")
                + " ORDER BY s.started_at LIMIT $5";
            let rows: Vec<(Uuid, Uuid, Uuid)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(numbers.to_vec())
                .bind(request.horse_id)
                .bind(request.since)
                .bind(request.until)
                .bind(max)
                .fetch_all(&mut *tx)
                .await?;
            for (session_id, horse_id, owner_id) in rows {
                let refs = JobRefs {
                    owner_id: Some(owner_id),
                    horse_id: Some(horse_id),
                    session_id: Some(session_id),
                };
                let id = Uuid::now_v7();
                let job = AnalyzeSession { session_id };
                shared::outbox::enqueue(&mut *tx, id, &job, refs, trace.clone()).await?;
                ids.push(id);
            }
        }
        Target::Trend => {
            let sql = stale_trends_sql("h.id, h.owner_id") + " ORDER BY h.id LIMIT $5";
            let rows: Vec<(Uuid, Uuid)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(numbers.to_vec())
                .bind(request.horse_id)
                .bind(None::<DateTime<Utc>>)
                .bind(None::<DateTime<Utc>>)
                .bind(max)
                .fetch_all(&mut *tx)
                .await?;
            for (horse_id, owner_id) in rows {
                // An admin's explicit request: due at once, not debounced.
                let queued = shared::outbox::enqueue_trend_once(
                    &mut *tx,
                    horse_id,
                    owner_id,
                    trace.clone(),
                    std::time::Duration::ZERO,
                )
                .await?;
                ids.extend(queued);
            }
        }
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse() {
        assert_eq!(version_numbers("aggregation/1.10.2"), Some([1, 10, 2]));
        assert_eq!(version_numbers("aggregation/1.2"), None);
        assert_eq!(version_numbers("aggregation/1.2.3.4"), None);
        assert_eq!(version_numbers("1.2.3"), None);
        assert!([1, 10, 0] > [1, 9, 9]);
    }
}
