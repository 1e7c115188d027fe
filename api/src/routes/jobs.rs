//! Job status for the job's owner: `GET /v1/jobs/{id}`.

use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::AssertSqlSafe;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Json, Path};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_job))
}

/// An analysis job as its owner sees it.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct JobView {
    /// Id (also the AMQP message id).
    pub id: Uuid,
    /// `analyze_session` or `compute_trend`.
    pub kind: String,
    /// `queued`, `running`, `succeeded`, `failed` (a retry is scheduled) or `dead` (gave up).
    #[schema(value_type = crate::routes::admin::JobStatus)]
    pub status: String,
    /// Attempts made so far.
    pub attempts: i32,
    /// The session concerned.
    pub session_id: Option<Uuid>,
    /// The horse concerned.
    pub horse_id: Option<Uuid>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Start of the latest attempt.
    pub started_at: Option<DateTime<Utc>>,
    /// End of the last attempt that ended the job.
    pub finished_at: Option<DateTime<Utc>>,
}

/// Columns of [`JobView`].
pub const JOB_COLUMNS: &str = "id, kind, status, attempts, session_id, horse_id, created_at, updated_at, started_at, finished_at";

/// Status of one of the caller's jobs.
#[utoipa::path(get, path = "/v1/jobs/{job_id}", tag = "jobs", security(("bearer" = [])),
    params(("job_id" = Uuid, Path)), responses((status = 200, body = JobView), (status = 404, body = Problem)))]
async fn get_job(
    State(state): State<AppState>,
    user: AuthUser,
    Path(job_id): Path<Uuid>,
) -> ApiResult<Json<JobView>> {
    let job = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1 AND owner_id = $2"
    )))
    .bind(job_id)
    .bind(user.id)
    .fetch_optional(&state.db)
    .await?;
    job.map(Json).ok_or_else(|| ApiError::not_found("job"))
}
