//! A horse's trend drawn as SVG (`analysis::chart::trend_svg`, the CLI's
//! renderer) from the document the worker stored, whole or over a window.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use trend::{Granularity, TrendConfig, TrendDocument, Window};
use uuid::Uuid;

use super::{blocking, current_trend, trend_window};
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorCode, Problem};
use crate::extract::{Path, Query};
use crate::state::AppState;

/// A horse's trend as SVG: alerts, minutes per ISO week by gait, the rein
/// split, the acute:chronic workload ratio against its band, and trot
/// symmetry per session against the baseline band. The same window
/// parameters as the trend document. Send the `ETag` back in
/// `If-None-Match` to get 304 while nothing changed.
#[utoipa::path(get, path = "/v1/horses/{horse_id}/trends/chart.svg", tag = "horses", security(("bearer" = [])),
    params(("horse_id" = Uuid, Path),
           ("from" = Option<chrono::NaiveDate>, Query, description = "First day of the window (YYYY-MM-DD, UTC), inclusive"),
           ("to" = Option<chrono::NaiveDate>, Query, description = "Last day of the window (YYYY-MM-DD, UTC), inclusive"),
           ("granularity" = Option<super::GranularityName>, Query, description = "`day` or `week` (the chart draws weeks)"),
           ("If-None-Match" = Option<String>, Header, description = "an `ETag` of an earlier answer")),
    responses((status = 200, description = "The chart (an empty one before the first analysed session)",
                 content_type = "image/svg+xml", body = String,
                 headers(("ETag" = String, description = "changes when the drawing does"))),
              (status = 304, description = "unchanged since the `If-None-Match` tag"),
              (status = 404, body = Problem, description = "`not_found`"),
              (status = 409, body = Problem, description = "`analysis_not_ready`: the first trend is being computed (see `Retry-After`)"),
              (status = 422, body = Problem, description = "validation_failed: bad date, from after to, unknown parameter")))]
pub(super) async fn get_trend_chart(
    State(state): State<AppState>,
    user: AuthUser,
    Path(horse_id): Path<Uuid>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let window = trend_window(query)?;
    let name: Option<String> =
        sqlx::query_scalar("SELECT name FROM horses WHERE id = $1 AND owner_id = $2")
            .bind(horse_id)
            .bind(user.id)
            .fetch_optional(&state.db)
            .await?;
    let name = name.ok_or_else(|| ApiError::not_found("horse"))?;
    let current = current_trend(&state, horse_id).await?;
    let stored = match current.stored {
        Some((_, _, stored)) => Some(stored),
        None if current.updating => {
            return Err(ApiError::new(
                ErrorCode::AnalysisNotReady,
                "the horse's first trend is being computed",
            )
            .with_retry_after(2));
        }
        None => None,
    };
    let svg = blocking(move || {
        let doc: TrendDocument = match stored {
            Some(json) => serde_json::from_str(&json).map_err(ApiError::internal)?,
            None => trend::compute(&[], &TrendConfig::default()),
        };
        let doc = if window.is_whole() {
            doc
        } else {
            doc.window(
                Window {
                    from: window.from,
                    to: window.to,
                },
                window.granularity.map(Granularity::from),
            )
        };
        Ok(analysis::chart::trend_svg(&doc, &name))
    })
    .await?;
    Ok(crate::svg::chart_response(svg, &headers))
}
