//! The audit log: every admin action (who, when, what, with which filter,
//! how many jobs) is recorded in the transaction that performs it
//! ([`record`]), and `GET /v1/admin/audit` reads it back, newest first.

use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::auth::AdminUser;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Json, Query};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

/// Records an admin action in the caller's transaction; returns its id.
/// `admin_id` `None` is the operator's command line.
pub async fn record(
    conn: &mut PgConnection,
    admin_id: Option<Uuid>,
    action: &str,
    filter: Option<serde_json::Value>,
    affected: i64,
    detail: Option<serde_json::Value>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO admin_audit (admin_id, admin_email, action, filter, affected, detail)
         VALUES ($1, coalesce((SELECT email FROM users WHERE id = $1), 'operator (command line)'),
                 $2, $3, $4, $5)
         RETURNING id",
    )
    .bind(admin_id)
    .bind(action)
    .bind(filter)
    .bind(i32::try_from(affected).unwrap_or(i32::MAX))
    .bind(detail)
    .fetch_one(conn)
    .await
}

/// Sets the number of jobs an action touched, once it is known.
pub async fn set_affected(
    conn: &mut PgConnection,
    id: i64,
    affected: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE admin_audit SET affected = $2 WHERE id = $1")
        .bind(id)
        .bind(i32::try_from(affected).unwrap_or(i32::MAX))
        .execute(conn)
        .await
        .map(|_| ())
}

/// One admin action.
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct AuditEntry {
    /// Id (also the `replay_id` of a bulk replay).
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who (`null` for the operator's command line or a deleted account).
    pub admin_id: Option<Uuid>,
    /// Their email at the time.
    pub admin_email: String,
    /// `replay`, `bulk_replay`, `bulk_replay_dry_run`, `reanalysis`,
    /// `reanalysis_dry_run`, `grant_admin`, `revoke_admin`.
    pub action: String,
    /// The filter or target of the action.
    #[schema(value_type = Option<Object>)]
    pub filter: Option<serde_json::Value>,
    /// Jobs (or accounts) affected; for a dry run, how many would be.
    pub affected: i32,
    /// Anything else worth keeping (job ids, versions).
    #[schema(value_type = Option<Object>)]
    pub detail: Option<serde_json::Value>,
}

/// The audit log's query.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Entries per page, 1–500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = r"^[1-9][0-9]{0,17}$")]
    pub cursor: Option<String>,
}

/// A page of the audit log.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    /// Newest first.
    pub entries: Vec<AuditEntry>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// The admin actions, newest first.
#[utoipa::path(get, path = "/v1/admin/audit", tag = "admin", security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 403, body = Problem, description = "`forbidden`: not an admin")))]
async fn list_audit(
    State(state): State<AppState>,
    _admin: AdminUser,
    Query(query): Query<AuditQuery>,
) -> ApiResult<Json<AuditPage>> {
    page(&state, &query).await.map(Json)
}

/// One page of the audit log, newest first (the console's audit page reads
/// it too).
pub async fn page(state: &AppState, query: &AuditQuery) -> ApiResult<AuditPage> {
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid_field(
            "limit",
            "must be between 1 and 500",
        ));
    }
    let before =
        match query.cursor.as_deref() {
            None => i64::MAX,
            Some(c) => c.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
                ApiError::invalid_field("cursor", "not a cursor this API returned")
            })?,
        };
    let mut entries: Vec<AuditEntry> = sqlx::query_as(
        "SELECT id, at, admin_id, admin_email, action, filter, affected, detail
         FROM admin_audit WHERE id < $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(before)
    .bind(limit + 1)
    .fetch_all(&state.db)
    .await?;
    let next_cursor = if entries.len() as i64 > limit {
        entries.truncate(limit as usize);
        entries.last().map(|e| e.id.to_string())
    } else {
        None
    };
    Ok(AuditPage {
        entries,
        next_cursor,
    })
}

/// The entry `id` (the console's bulk replay result page names its replay
/// by it).
pub async fn entry(state: &AppState, id: i64) -> ApiResult<Option<AuditEntry>> {
    Ok(sqlx::query_as(
        "SELECT id, at, admin_id, admin_email, action, filter, affected, detail
         FROM admin_audit WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&state.db)
    .await?)
}
