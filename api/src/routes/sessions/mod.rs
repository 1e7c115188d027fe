//! Riding sessions: upload to a horse, list, get, raw download, analysis,
//! delete. Every query is scoped to the caller (another user's session is 404).
//!
//! - this module: the router, the session types, list, get, delete, raw download;
//! - [`ingest`]: the upload (limits, validation, storage, the job through the outbox);
//! - [`analysis`]: a session's analysis (ready, pending or failed);
//! - [`chart`]: that analysis drawn as SVG.

mod analysis;
mod chart;
mod ingest;
mod store;

pub use analysis::{AnalysisPending, AnalysisReady};
pub use ingest::{ImuBinary, JsonSample, JsonSamples, Links, UploadAccepted, UploadParams};
pub(crate) use store::warm_up;

use sqlx::AssertSqlSafe;
use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use shared::jobs::AnalyzeSession;
use shared::outbox;
use shared::sensor::Format;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::auth::{AuthUser, hex};
use crate::error::{ApiError, ApiResult, ErrorCode, Problem};
use crate::extract::{Json, Path, Query};
use crate::routes::horses::ensure_owned;
use crate::routes::jobs::{JOB_COLUMNS, JobView};
use crate::state::AppState;
use crate::upload::{self, Encoding, Prepared};

/// Routes of this module; the upload route gets its own body limit and a
/// cap on concurrent uploads.
pub fn router(state: &AppState) -> OpenApiRouter<AppState> {
    // The upload shares its path with the listing (which reads no body), so
    // the larger body limit is set on that path's method router.
    let (schemas, paths, methods) = routes!(ingest::upload_session, list_sessions);
    let methods = methods
        .layer::<_, std::convert::Infallible>(axum::middleware::from_fn_with_state(
            state.clone(),
            ingest::limit_uploads,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(
            state.config.max_upload_bytes,
        ));
    OpenApiRouter::new()
        .routes((schemas, paths, methods))
        .routes(routes!(get_session, delete_session))
        .routes(routes!(get_raw))
        .routes(routes!(analysis::get_analysis))
        .routes(routes!(chart::get_chart))
}

/// Riding discipline of a session.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type, Default,
)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum Discipline {
    /// Flatwork / dressage.
    #[default]
    Flat,
    /// Show jumping.
    Jumping,
    /// Cross-country.
    CrossCountry,
}

/// How the samples are stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct RawInfo {
    /// `csv`, `json` or `binary`.
    pub format: String,
    /// Size of the samples as uploaded (after transport decoding).
    pub byte_len: i64,
    /// SHA-256 (hex) of the samples as uploaded.
    pub sha256: String,
}

/// A session with its analysis status.
#[derive(Debug, Serialize, ToSchema)]
pub struct Session {
    /// Id.
    pub id: Uuid,
    /// The horse ridden.
    pub horse_id: Uuid,
    /// Start time.
    pub started_at: DateTime<Utc>,
    /// Nominal sample rate (Hz).
    pub sample_rate_hz: f64,
    /// Number of samples.
    pub sample_count: i32,
    /// Seconds from first to last sample.
    pub duration_s: f64,
    /// Sensor device id.
    pub device_id: Option<String>,
    /// Discipline.
    pub discipline: Discipline,
    /// Notes.
    pub notes: Option<String>,
    /// Upload time.
    pub created_at: DateTime<Utc>,
    /// The stored samples.
    pub raw: RawInfo,
    /// The latest analysis job.
    pub analysis_job: Option<JobView>,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: Uuid,
    horse_id: Uuid,
    started_at: DateTime<Utc>,
    sample_rate_hz: f64,
    sample_count: i32,
    duration_s: f64,
    device_id: Option<String>,
    discipline: Discipline,
    notes: Option<String>,
    created_at: DateTime<Utc>,
    format: String,
    byte_len: i64,
    sha256: Vec<u8>,
    job_id: Option<Uuid>,
}

const SESSION_SELECT: &str = "SELECT s.id, s.horse_id, s.started_at, s.sample_rate_hz, s.sample_count, s.duration_s,
        s.device_id, s.discipline, s.notes, s.created_at, d.format, d.byte_len, d.sha256, j.id AS job_id
    FROM sessions s JOIN session_data d ON d.session_id = s.id
    LEFT JOIN LATERAL (SELECT id FROM jobs WHERE session_id = s.id AND kind = 'analyze_session'
                       ORDER BY created_at DESC LIMIT 1) j ON true";

async fn load_jobs(state: &AppState, ids: Vec<Uuid>) -> ApiResult<BTreeMap<Uuid, JobView>> {
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let jobs: Vec<JobView> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {JOB_COLUMNS} FROM jobs WHERE id = ANY($1)"
    )))
    .bind(ids)
    .fetch_all(&state.db)
    .await?;
    Ok(jobs.into_iter().map(|j| (j.id, j)).collect())
}

async fn to_sessions(state: &AppState, rows: Vec<SessionRow>) -> ApiResult<Vec<Session>> {
    let mut jobs = load_jobs(state, rows.iter().filter_map(|r| r.job_id).collect()).await?;
    Ok(rows
        .into_iter()
        .map(|r| Session {
            analysis_job: r.job_id.and_then(|id| jobs.remove(&id)),
            id: r.id,
            horse_id: r.horse_id,
            started_at: r.started_at,
            sample_rate_hz: r.sample_rate_hz,
            sample_count: r.sample_count,
            duration_s: r.duration_s,
            device_id: r.device_id,
            discipline: r.discipline,
            notes: r.notes,
            created_at: r.created_at,
            raw: RawInfo {
                format: r.format,
                byte_len: r.byte_len,
                sha256: hex(&r.sha256),
            },
        })
        .collect())
}

async fn load_session(state: &AppState, user: &AuthUser, session_id: Uuid) -> ApiResult<Session> {
    let row: Option<SessionRow> = sqlx::query_as(AssertSqlSafe(format!(
        "{SESSION_SELECT} WHERE s.id = $1 AND s.owner_id = $2"
    )))
    .bind(session_id)
    .bind(user.id)
    .fetch_optional(&state.db)
    .await?;
    let row = row.ok_or_else(|| ApiError::not_found("session"))?;
    to_sessions(state, vec![row])
        .await?
        .pop()
        .ok_or_else(|| ApiError::not_found("session"))
}

/// Cursor pagination of a horse's sessions, newest first.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page (opaque; the pattern is what this
    /// API hands out).
    #[param(
        pattern = r"^(9[5-9][0-9]{13}|[1-3][0-9]{15}|40[0-9]{14})_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
    )]
    pub cursor: Option<String>,
}

/// One page of sessions.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionPage {
    /// Sessions, newest first.
    pub items: Vec<Session>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Session starts the API accepts: a sensor clock outside this range is
/// broken, and Postgres and RFC 3339 both have narrower ranges than chrono.
fn plausible_start(t: DateTime<Utc>) -> bool {
    let lo = Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).single();
    let hi = Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).single();
    lo.is_some_and(|lo| t >= lo) && hi.is_some_and(|hi| t < hi)
}

fn parse_cursor(cursor: &str) -> ApiResult<(DateTime<Utc>, Uuid)> {
    let bad = || ApiError::invalid_field("cursor", "not a cursor returned by this API");
    let (micros, id) = cursor.split_once('_').ok_or_else(bad)?;
    let micros: i64 = micros.parse().map_err(|_| bad())?;
    let at = Utc
        .timestamp_micros(micros)
        .single()
        .filter(|t| plausible_start(*t))
        .ok_or_else(bad)?;
    Ok((at, id.parse().map_err(|_| bad())?))
}

/// A horse's sessions, newest first, with cursor pagination.
#[utoipa::path(get, path = "/v1/horses/{horse_id}/sessions", tag = "sessions", security(("bearer" = [])),
    params(("horse_id" = Uuid, Path), ListParams),
    responses((status = 200, body = SessionPage), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn list_sessions(
    State(state): State<AppState>,
    user: AuthUser,
    Path(horse_id): Path<Uuid>,
    Query(params): Query<ListParams>,
) -> ApiResult<Json<SessionPage>> {
    let limit = params.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::invalid_field(
            "limit",
            "must be between 1 and 200",
        ));
    }
    let cursor = params.cursor.as_deref().map(parse_cursor).transpose()?;
    ensure_owned(&state, &user, horse_id).await?;
    let mut rows: Vec<SessionRow> = sqlx::query_as(AssertSqlSafe(format!(
        "{SESSION_SELECT} WHERE s.horse_id = $1 AND s.owner_id = $2
           AND ($3::timestamptz IS NULL OR (s.started_at, s.id) < ($3, $4))
         ORDER BY s.started_at DESC, s.id DESC LIMIT $5"
    )))
    .bind(horse_id)
    .bind(user.id)
    .bind(cursor.map(|c| c.0))
    .bind(cursor.map(|c| c.1))
    .bind(limit + 1)
    .fetch_all(&state.db)
    .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = match rows.last() {
        Some(last) if more => Some(format!(
            "{}_{}",
            last.started_at.timestamp_micros(),
            last.id
        )),
        _ => None,
    };
    Ok(Json(SessionPage {
        items: to_sessions(&state, rows).await?,
        next_cursor,
    }))
}

/// A session's metadata and analysis status.
#[utoipa::path(get, path = "/v1/sessions/{session_id}", tag = "sessions", security(("bearer" = [])),
    params(("session_id" = Uuid, Path)), responses((status = 200, body = Session), (status = 404, body = Problem)))]
async fn get_session(
    State(state): State<AppState>,
    user: AuthUser,
    Path(session_id): Path<Uuid>,
) -> ApiResult<Json<Session>> {
    load_session(&state, &user, session_id).await.map(Json)
}

/// Delete a session with its samples, jobs, results and trend features. The
/// horse's trend is recomputed without it (a trend job is queued in the same
/// transaction, unless one is already queued).
#[utoipa::path(delete, path = "/v1/sessions/{session_id}", tag = "sessions", security(("bearer" = [])),
    params(("session_id" = Uuid, Path)), responses((status = 204), (status = 404, body = Problem)))]
async fn delete_session(
    State(state): State<AppState>,
    user: AuthUser,
    Path(session_id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    let mut tx = state.db.begin().await?;
    let horse_id: Option<Uuid> = sqlx::query_scalar(
        "DELETE FROM sessions WHERE id = $1 AND owner_id = $2 RETURNING horse_id",
    )
    .bind(session_id)
    .bind(user.id)
    .fetch_optional(&mut *tx)
    .await?;
    let horse_id = horse_id.ok_or_else(|| ApiError::not_found("session"))?;
    let trace = shared::telemetry::inject_context(&tracing::Span::current());
    let debounce = state.config.common.trend_debounce;
    outbox::enqueue_trend_once(&mut tx, horse_id, user.id, trace, debounce).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// format, encoding, byte_len, sha256, data.
type RawRow = (String, String, i64, Vec<u8>, Vec<u8>);

/// The samples exactly as uploaded (after transport decoding), with their
/// media type. Sent gzip-encoded when stored so and the client accepts gzip.
#[utoipa::path(get, path = "/v1/sessions/{session_id}/raw", tag = "sessions", security(("bearer" = [])),
    params(("session_id" = Uuid, Path)),
    responses((status = 200, description = "The samples, in the media type they were uploaded in", content(
        (String = "text/csv"), (JsonSamples = "application/json"), (ImuBinary = "application/vnd.hoofbeat.imu"))),
        (status = 404, body = Problem, description = "`not_found`")))]
async fn get_raw(
    State(state): State<AppState>,
    user: AuthUser,
    Path(session_id): Path<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let row: Option<RawRow> = sqlx::query_as(
        "SELECT d.format, d.encoding, d.byte_len, d.sha256, d.data FROM session_data d
         JOIN sessions s ON s.id = d.session_id WHERE s.id = $1 AND s.owner_id = $2",
    )
    .bind(session_id)
    .bind(user.id)
    .fetch_optional(&state.db)
    .await?;
    let (format, encoding, byte_len, sha, data) =
        row.ok_or_else(|| ApiError::not_found("session"))?;
    let format: Format = format.parse().map_err(ApiError::internal)?;
    let accepts_gzip = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|e| e.trim().split(';').next() == Some("gzip"))
        });
    let mut response = if encoding == "gzip" && accepts_gzip {
        let mut r = Response::new(Body::from(data));
        r.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        r
    } else {
        let len = usize::try_from(byte_len).map_err(ApiError::internal)?;
        let bytes = tokio::task::spawn_blocking(move || upload::restore(&data, &encoding, len))
            .await
            .map_err(ApiError::internal)??;
        Response::new(Body::from(bytes))
    };
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.media_type()),
    );
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", hex(&sha))) {
        h.insert(header::ETAG, etag);
    }
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    Ok(response)
}
