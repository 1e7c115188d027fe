//! `compute_trend`: a horse's track record over its analysed sessions.
//!
//! The trend runs on the per-session features (`session_features`, one small
//! row per session, written with each analysis), never on analysis documents
//! or samples. Sessions analysed before that table existed (or whose
//! features have another layout) are first backfilled from their stored
//! analysis, in bounded batches. Then every features row of the horse is
//! read, `trend::compute` runs on the rayon pool, and the canonical document
//! (`trend::to_json`, the bytes `hoofbeat trend` prints) is stored under
//! `trend::TREND_VERSION` in the transaction that marks the job succeeded.

use chrono::{DateTime, Utc};
use trend::{FEATURES_VERSION, SessionFeatures, TREND_VERSION, TrendConfig};
use uuid::Uuid;

use super::analyze_session::{features_of, started_at_ms, upsert_features};
use super::{JobError, mark_succeeded};
use crate::Ctx;
use shared::jobs::{ComputeTrend, JobMessage};

/// Analysis documents read per backfill batch (each is tens of kB).
const BACKFILL_BATCH: i64 = 64;

/// The horse's trend job, due after `debounce`, carrying the current trace,
/// for a statement that queues it unless one is already queued
/// (`shared::outbox::TrendOnce`).
pub fn trend_job(
    horse_id: Uuid,
    owner_id: Uuid,
    debounce: std::time::Duration,
) -> Result<shared::outbox::TrendOnce, sqlx::Error> {
    let trace = shared::telemetry::inject_context(&tracing::Span::current());
    shared::outbox::TrendOnce::new(horse_id, owner_id, trace, debounce)
}

/// A session to backfill: id, start, stored analysis.
type Missing = (Uuid, DateTime<Utc>, String);

/// Derives the missing (or outdated) features rows of the horse's analysed
/// sessions from their stored analysis documents, in bounded batches; never
/// reads samples. Returns how many rows were written.
async fn backfill(ctx: &Ctx, horse_id: Uuid) -> Result<usize, JobError> {
    let version = i32::try_from(FEATURES_VERSION).unwrap_or(i32::MAX);
    let mut written = 0;
    let mut after = Uuid::nil();
    loop {
        // Keyset pagination on the session id: a batch that changes nothing
        // (a concurrent delete) cannot make the loop spin.
        let batch: Vec<Missing> = sqlx::query_as(
            "SELECT s.id, s.started_at, r.result::text FROM sessions s
             JOIN LATERAL (SELECT result FROM analysis_results WHERE session_id = s.id
                           ORDER BY created_at DESC LIMIT 1) r ON true
             LEFT JOIN session_features f ON f.session_id = s.id
             WHERE s.horse_id = $1 AND s.id > $2 AND (f.session_id IS NULL OR f.features_version <> $3)
             ORDER BY s.id LIMIT $4",
        )
        .bind(horse_id)
        .bind(after)
        .bind(version)
        .bind(BACKFILL_BATCH)
        .fetch_all(&ctx.db)
        .await?;
        let Some(last) = batch.last() else {
            return Ok(written);
        };
        after = last.0;
        let full = batch.len() as i64 == BACKFILL_BATCH;
        let derived = crate::runner::run(&ctx.pool, move || {
            batch
                .into_iter()
                .map(|(session_id, started_at, document)| {
                    let analysis: analysis::SessionAnalysis = serde_json::from_str(&document)
                        .map_err(|e| {
                            format!("stored analysis of session {session_id} is unreadable: {e}")
                        })?;
                    let (features, json) = features_of(&analysis, started_at_ms(started_at))?;
                    Ok((session_id, features, json))
                })
                .collect::<Result<Vec<_>, String>>()
        })
        .await
        .and_then(|r| r)
        .map_err(JobError::Failed)?;
        let mut tx = ctx.db.begin().await?;
        for (session_id, features, json) in &derived {
            upsert_features(&mut tx, *session_id, horse_id, features, json).await?;
        }
        tx.commit().await?;
        written += derived.len();
        tracing::info!(%horse_id, sessions = derived.len(), "trend features backfilled from stored analyses");
        if !full {
            return Ok(written);
        }
    }
}

/// Runs one attempt.
pub async fn run(ctx: &Ctx, msg: &JobMessage, job: ComputeTrend) -> Result<(), JobError> {
    ctx.hold_mid_attempt().await;
    let horse_id = job.horse_id;
    let horse: Option<i32> = sqlx::query_scalar("SELECT 1 FROM horses WHERE id = $1")
        .bind(horse_id)
        .fetch_optional(&ctx.db)
        .await?;
    if horse.is_none() {
        return Err(JobError::Gone);
    }
    backfill(ctx, horse_id).await?;

    let mut tx = ctx.db.begin().await?;
    // One trend run per horse at a time: a run that read the sessions earlier
    // can never overwrite the document of a run that read them later.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('compute_trend'), hashtext($1::text))")
        .bind(horse_id)
        .execute(&mut *tx)
        .await?;
    let rows: Vec<(Uuid, String)> = sqlx::query_as(
        "SELECT session_id, features::text FROM session_features
         WHERE horse_id = $1 ORDER BY started_at, session_id",
    )
    .bind(horse_id)
    .fetch_all(&mut *tx)
    .await?;
    let (document, sessions) = crate::runner::run(&ctx.pool, move || {
        let features = rows
            .iter()
            .map(|(session_id, json)| {
                serde_json::from_str::<SessionFeatures>(json).map_err(|e| {
                    format!("session_features row of session {session_id} is unreadable: {e}")
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let doc = trend::compute(&features, &TrendConfig::default());
        let bytes = trend::to_json(&doc);
        String::from_utf8(bytes)
            .map(|json| (json, doc.sessions))
            .map_err(|e| format!("trend output is not UTF-8: {e}"))
    })
    .await
    .and_then(|r| r)
    .map_err(JobError::Failed)?;

    sqlx::query(
        "INSERT INTO horse_trends (horse_id, algorithm_version, job_id, session_count, result) VALUES ($1, $2, $3, $4, $5::json)
         ON CONFLICT (horse_id, algorithm_version)
         DO UPDATE SET job_id = excluded.job_id, session_count = excluded.session_count, result = excluded.result, computed_at = now()",
    )
    .bind(horse_id)
    .bind(TREND_VERSION)
    .bind(msg.job_id)
    .bind(i32::try_from(sessions).unwrap_or(i32::MAX))
    .bind(&document)
    .execute(&mut *tx)
    .await?;
    mark_succeeded(&mut tx, msg.job_id).await?;
    tx.commit().await?;
    tracing::info!(%horse_id, sessions, algorithm_version = TREND_VERSION, "trend stored");
    Ok(())
}
