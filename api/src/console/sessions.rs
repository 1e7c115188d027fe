//! The console's session page: who rode which horse when, the analysis job,
//! and the session chart (the same renderer as the riders' `chart.svg`,
//! served here to admins, who own no session).

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::pages::{html, message_page};
use super::session::ConsoleAdmin;
use crate::extract::Path;
use crate::state::AppState;

/// What the page shows of a session.
struct SessionInfo {
    id: Uuid,
    horse: String,
    owner: String,
    started_at: Option<DateTime<Utc>>,
    duration_s: Option<f64>,
    /// `algorithm_version` of the stored analysis, if any.
    analysed_by: Option<String>,
    job_id: Option<Uuid>,
}

#[derive(Template)]
#[template(path = "console/session.html")]
struct SessionPage<'a> {
    admin: &'a ConsoleAdmin,
    s: &'a SessionInfo,
}

impl SessionPage<'_> {
    fn started(&self) -> String {
        self.s.started_at.map_or_else(
            || "—".into(),
            |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
        )
    }

    fn duration(&self) -> String {
        self.s.duration_s.map_or_else(
            || "—".into(),
            |d| format!("{}:{:02}", (d / 60.0) as u64, d as u64 % 60),
        )
    }
}

/// The stored analysis, the horse's name and the start, for the chart.
type ChartRow = (String, String, Option<DateTime<Utc>>);

type Row = (
    Uuid,
    String,
    String,
    Option<DateTime<Utc>>,
    Option<f64>,
    Option<String>,
    Option<Uuid>,
);

async fn load(state: &AppState, id: Uuid) -> Result<Option<SessionInfo>, sqlx::Error> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT s.id, h.name, u.email, s.started_at, s.duration_s::float8,
                (SELECT r.algorithm_version FROM analysis_results r WHERE r.session_id = s.id
                 ORDER BY r.created_at DESC LIMIT 1),
                (SELECT j.id FROM jobs j WHERE j.session_id = s.id AND j.kind = 'analyze_session'
                 ORDER BY j.created_at DESC LIMIT 1)
         FROM sessions s JOIN horses h ON h.id = s.horse_id JOIN users u ON u.id = s.owner_id
         WHERE s.id = $1",
    )
    .bind(id)
    .fetch_optional(&state.db)
    .await?;
    Ok(row.map(
        |(id, horse, owner, started_at, duration_s, analysed_by, job_id)| SessionInfo {
            id,
            horse,
            owner,
            started_at,
            duration_s,
            analysed_by,
            job_id,
        },
    ))
}

fn missing() -> Response {
    (
        StatusCode::NOT_FOUND,
        message_page("No such session", "It may have been deleted by its rider."),
    )
        .into_response()
}

/// One session and its chart.
pub async fn page(
    State(state): State<AppState>,
    admin: ConsoleAdmin,
    Path(id): Path<Uuid>,
) -> Response {
    match load(&state, id).await {
        Ok(Some(s)) => html(&SessionPage {
            admin: &admin,
            s: &s,
        }),
        Ok(None) => missing(),
        Err(e) => crate::error::ApiError::from(e).into_response(),
    }
}

/// The session's chart for the page above (the stored analysis, any owner).
pub async fn chart(
    State(state): State<AppState>,
    _admin: ConsoleAdmin,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
) -> Response {
    let row: Result<Option<ChartRow>, _> = sqlx::query_as(
        "SELECT r.result::text, h.name, s.started_at FROM analysis_results r
         JOIN sessions s ON s.id = r.session_id JOIN horses h ON h.id = s.horse_id
         WHERE r.session_id = $1 ORDER BY r.created_at DESC LIMIT 1",
    )
    .bind(id)
    .fetch_optional(&state.db)
    .await;
    let (result, horse, started_at) = match row {
        Ok(Some(r)) => r,
        Ok(None) => return missing(),
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    let Ok(svg) = crate::svg::session_chart(&result, horse, started_at) else {
        return (
            StatusCode::CONFLICT,
            message_page(
                "Chart unavailable",
                "The stored analysis predates the chart; re-analyse the session.",
            ),
        )
            .into_response();
    };
    crate::svg::chart_response(svg, &headers)
}
