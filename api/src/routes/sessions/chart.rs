//! A session's chart: the stored analysis drawn as SVG by the one renderer
//! (`analysis::chart`), with an `ETag` so the app redraws only on change.

use super::*;

/// The newest stored analysis of one of the caller's sessions, with what the
/// chart's title needs: algorithm version, result, horse name, start.
type ChartRow = (String, String, String, Option<DateTime<Utc>>);

/// The session's analysis drawn as SVG: gait timeline, rein segments, canter
/// lead, jumps with flight time, cadence and elevation per bout, trot
/// symmetry with its interval. Send the `ETag` back in `If-None-Match` to get
/// 304 while the analysis is unchanged.
#[utoipa::path(get, path = "/v1/sessions/{session_id}/chart.svg", tag = "sessions", security(("bearer" = [])),
    params(("session_id" = Uuid, Path),
           ("If-None-Match" = Option<String>, Header, description = "an `ETag` of an earlier answer")),
    responses((status = 200, description = "The chart", content_type = "image/svg+xml", body = String,
                 headers(("ETag" = String, description = "changes when the drawing does"))),
              (status = 304, description = "unchanged since the `If-None-Match` tag"),
              (status = 404, body = Problem, description = "`not_found`"),
              (status = 409, body = Problem, description = "`analysis_not_ready`: pending (see `Retry-After`), failed, or unreadable")))]
pub(super) async fn get_chart(
    State(state): State<AppState>,
    user: AuthUser,
    Path(session_id): Path<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let row: Option<ChartRow> = sqlx::query_as(
        "SELECT r.algorithm_version, r.result::text, h.name, s.started_at FROM analysis_results r
         JOIN sessions s ON s.id = r.session_id JOIN horses h ON h.id = s.horse_id
         WHERE r.session_id = $1 AND s.owner_id = $2 ORDER BY r.created_at DESC LIMIT 1",
    )
    .bind(session_id)
    .bind(user.id)
    .fetch_optional(&state.db)
    .await?;
    let Some((version, result, horse, started_at)) = row else {
        return Err(not_ready(&state, &user, session_id).await);
    };
    let svg = crate::svg::session_chart(&result, horse, started_at).map_err(|e| {
        tracing::warn!(%session_id, %version, error = %e, "stored analysis does not parse for the chart");
        ApiError::new(
            ErrorCode::AnalysisNotReady,
            format!("the stored analysis ({version}) predates the chart; it is redrawn once re-analysed"),
        )
    })?;
    Ok(crate::svg::chart_response(svg, &headers))
}

/// Why there is nothing to draw: the session is not the caller's (404), its
/// analysis is still pending (409, retry) or failed (409).
async fn not_ready(state: &AppState, user: &AuthUser, session_id: Uuid) -> ApiError {
    let session = match load_session(state, user, session_id).await {
        Ok(session) => session,
        Err(e) => return e,
    };
    match session.analysis_job {
        Some(job) if job.status == "dead" => ApiError::new(
            ErrorCode::AnalysisNotReady,
            "the analysis failed; GET the session's analysis for the reason",
        ),
        _ => ApiError::new(ErrorCode::AnalysisNotReady, "the analysis is not ready yet")
            .with_retry_after(2),
    }
}
