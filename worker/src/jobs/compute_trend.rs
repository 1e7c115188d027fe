//! `compute_trend`: a horse's track record over its analysed sessions.
//!
//! Until the trend algorithms land, the document is a plain summary (session
//! count, dates, riding time) under a placeholder algorithm version — but the
//! job is real: queued through the outbox, with a status, retries and
//! dead-lettering like any other.

use chrono::{DateTime, Utc};
use shared::jobs::{ComputeTrend, JobMessage};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{JobError, mark_succeeded};
use crate::Ctx;

/// Version of the trend document.
pub const TREND_VERSION: &str = "trend/0.1.0-summary";

/// Queues a trend job for the horse unless one is already queued
/// (`shared::outbox::enqueue_trend_once`), carrying the current trace.
pub async fn enqueue(
    tx: &mut PgConnection,
    horse_id: Uuid,
    owner_id: Uuid,
) -> Result<(), sqlx::Error> {
    let trace = shared::telemetry::inject_context(&tracing::Span::current());
    shared::outbox::enqueue_trend_once(tx, horse_id, owner_id, trace)
        .await
        .map(|_| ())
}

/// Analysed sessions, first and last start, total seconds.
type Summary = (
    i64,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<f64>,
);

/// Runs one attempt.
pub async fn run(ctx: &Ctx, msg: &JobMessage, job: ComputeTrend) -> Result<(), JobError> {
    let horse_id = job.horse_id;
    let summary: Option<Summary> = sqlx::query_as(
        "SELECT count(*), min(s.started_at), max(s.started_at), sum(s.duration_s)
         FROM horses h LEFT JOIN sessions s ON s.horse_id = h.id
              AND EXISTS (SELECT 1 FROM analysis_results r WHERE r.session_id = s.id)
         WHERE h.id = $1 GROUP BY h.id",
    )
    .bind(horse_id)
    .fetch_optional(&ctx.db)
    .await?;
    let (sessions, first, last, seconds) = summary.ok_or(JobError::Gone)?;
    let document = serde_json::json!({
        "algorithm_version": TREND_VERSION,
        "horse_id": horse_id,
        "analysed_sessions": sessions,
        "first_session_at": first,
        "last_session_at": last,
        "total_riding_s": seconds.unwrap_or(0.0),
    });
    let mut tx = ctx.db.begin().await?;
    sqlx::query(
        "INSERT INTO horse_trends (horse_id, algorithm_version, job_id, session_count, result) VALUES ($1, $2, $3, $4, $5::json)
         ON CONFLICT (horse_id, algorithm_version)
         DO UPDATE SET job_id = excluded.job_id, session_count = excluded.session_count, result = excluded.result, computed_at = now()",
    )
    .bind(horse_id)
    .bind(TREND_VERSION)
    .bind(msg.job_id)
    .bind(i32::try_from(sessions).unwrap_or(i32::MAX))
    .bind(document.to_string())
    .execute(&mut *tx)
    .await?;
    mark_succeeded(&mut tx, msg.job_id).await?;
    tx.commit().await?;
    Ok(())
}
