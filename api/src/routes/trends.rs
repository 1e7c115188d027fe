//! A horse's track record over many sessions: `GET /v1/horses/{id}/trends`.

use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::value::RawValue;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Json, Path};
use crate::routes::horses::ensure_owned;
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_trends))
}

/// One trend document, per algorithm version.
#[derive(Debug, Serialize, ToSchema)]
pub struct Trend {
    /// Version of the trend algorithm.
    pub algorithm_version: String,
    /// Sessions it covers.
    pub session_count: i32,
    /// When it was computed.
    pub computed_at: DateTime<Utc>,
    /// The trend document as the worker stored it.
    #[schema(value_type = Object)]
    pub result: Box<RawValue>,
}

/// A horse's trends.
#[derive(Debug, Serialize, ToSchema)]
pub struct Trends {
    /// The horse.
    pub horse_id: Uuid,
    /// Empty until a trend job has run for the horse.
    pub trends: Vec<Trend>,
}

/// A horse's trends over its sessions (empty until computed).
#[utoipa::path(get, path = "/v1/horses/{horse_id}/trends", tag = "horses", security(("bearer" = [])),
    params(("horse_id" = Uuid, Path)), responses((status = 200, body = Trends), (status = 404, body = Problem)))]
async fn get_trends(
    State(state): State<AppState>,
    user: AuthUser,
    Path(horse_id): Path<Uuid>,
) -> ApiResult<Json<Trends>> {
    ensure_owned(&state, &user, horse_id).await?;
    let rows: Vec<(String, i32, DateTime<Utc>, String)> = sqlx::query_as(
        "SELECT algorithm_version, session_count, computed_at, result::text FROM horse_trends
         WHERE horse_id = $1 ORDER BY computed_at DESC",
    )
    .bind(horse_id)
    .fetch_all(&state.db)
    .await?;
    let trends = rows
        .into_iter()
        .map(|(algorithm_version, session_count, computed_at, result)| {
            Ok(Trend {
                algorithm_version,
                session_count,
                computed_at,
                result: RawValue::from_string(result).map_err(ApiError::internal)?,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(Json(Trends { horse_id, trends }))
}
