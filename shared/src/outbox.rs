//! Enqueueing a job through the transactional outbox.
//!
//! A job row and its outbox row are written in the caller's transaction, so a
//! job exists exactly when the change that caused it is committed; the API's
//! relay then publishes the outbox row to RabbitMQ with publisher confirms.
//! Both the API (uploads, replays, sweeps, session deletions) and the worker
//! (trend jobs after an analysis) enqueue here; [`republish`] sends an
//! existing job again.

use std::collections::BTreeMap;

use sqlx::PgConnection;
use uuid::Uuid;

use crate::jobs::{ComputeTrend, Job, JobMessage};

/// What a job is about, for ownership checks and cascading deletes.
#[derive(Debug, Clone, Copy, Default)]
pub struct JobRefs {
    /// The user who owns the object the job works on.
    pub owner_id: Option<Uuid>,
    /// The horse concerned.
    pub horse_id: Option<Uuid>,
    /// The session concerned.
    pub session_id: Option<Uuid>,
}

/// Inserts a `queued` job and its outbox message in the caller's transaction.
pub async fn enqueue<J: Job>(
    conn: &mut PgConnection,
    job_id: Uuid,
    job: &J,
    refs: JobRefs,
    trace_context: BTreeMap<String, String>,
) -> Result<JobMessage, sqlx::Error> {
    let message = JobMessage::new(job_id, job, trace_context)
        .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let payload = serde_json::to_value(job).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query(
        "INSERT INTO jobs (id, kind, version, owner_id, horse_id, session_id, payload, trace_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(job_id)
    .bind(J::KIND)
    .bind(i32::try_from(J::VERSION).unwrap_or(i32::MAX))
    .bind(refs.owner_id)
    .bind(refs.horse_id)
    .bind(refs.session_id)
    .bind(&payload)
    .bind(crate::jobs::trace_id(&message.trace_context))
    .execute(&mut *conn)
    .await?;
    publish_later(conn, &message).await?;
    Ok(message)
}

/// Adds an outbox row for an existing job (first publish or an admin replay).
pub async fn publish_later(
    conn: &mut PgConnection,
    message: &JobMessage,
) -> Result<(), sqlx::Error> {
    let body = serde_json::to_value(message).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query("INSERT INTO outbox (job_id, message) VALUES ($1, $2)")
        .bind(message.job_id)
        .bind(body)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// What [`republish`] needs of an existing job row.
#[derive(Debug, Clone, Copy)]
pub struct StoredJob<'a> {
    /// The job's id (kept: results and deduplication are keyed by it).
    pub id: Uuid,
    /// Its wire kind.
    pub kind: &'a str,
    /// Its payload schema version (as stored, an `integer` column).
    pub version: i32,
    /// Its payload.
    pub payload: &'a serde_json::Value,
}

/// Publishes an existing job again through the outbox (an admin replay, a
/// sweep of a stuck job): a fresh envelope for `attempt`, enqueued now.
pub async fn republish(
    conn: &mut PgConnection,
    job: StoredJob<'_>,
    attempt: u32,
    trace_context: BTreeMap<String, String>,
) -> Result<(), sqlx::Error> {
    let message = JobMessage {
        job_id: job.id,
        kind: job.kind.to_owned(),
        version: u32::try_from(job.version).unwrap_or_default(),
        attempt,
        enqueued_at: chrono::Utc::now(),
        trace_context,
        payload: job.payload.clone(),
    };
    publish_later(conn, &message).await
}

/// Queues a `compute_trend` job for the horse in the caller's transaction,
/// unless one is already queued: the partial unique index
/// `jobs_one_queued_trend` allows at most one, so that many sessions
/// finishing (or being deleted) together cause one trend run, not a pile of
/// them. A trend job that is already running does not count: it may have
/// read the horse's sessions before the caller's change, so a new one is
/// queued behind it. Returns the new job's message, or `None` when one was
/// already queued (it will see the caller's change).
///
/// `trace_context` is the W3C context to carry (see `telemetry::inject_context`).
pub async fn enqueue_trend_once(
    conn: &mut PgConnection,
    horse_id: Uuid,
    owner_id: Uuid,
    trace_context: BTreeMap<String, String>,
) -> Result<Option<JobMessage>, sqlx::Error> {
    let job_id = Uuid::now_v7();
    let job = ComputeTrend { horse_id };
    let message = JobMessage::new(job_id, &job, trace_context)
        .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let inserted = sqlx::query(
        "INSERT INTO jobs (id, kind, version, owner_id, horse_id, payload, trace_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (horse_id) WHERE kind = 'compute_trend' AND status = 'queued' DO NOTHING",
    )
    .bind(job_id)
    .bind(ComputeTrend::KIND)
    .bind(i32::try_from(ComputeTrend::VERSION).unwrap_or(i32::MAX))
    .bind(owner_id)
    .bind(horse_id)
    .bind(&message.payload)
    .bind(crate::jobs::trace_id(&message.trace_context))
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() == 0 {
        return Ok(None);
    }
    publish_later(conn, &message).await?;
    Ok(Some(message))
}
