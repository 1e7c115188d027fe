//! Enqueueing a job through the transactional outbox.
//!
//! A job row and its outbox row are written in the caller's transaction, so a
//! job exists exactly when the change that caused it is committed; the API's
//! relay then publishes the outbox row to RabbitMQ with publisher confirms.
//! Both the API (uploads, replays, sweeps, session deletions) and the worker
//! (trend jobs after an analysis) enqueue here; [`republish`] sends an
//! existing job again.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use sqlx::{PgConnection, Row};
use uuid::Uuid;

use crate::jobs::{ComputeTrend, Job, JobMessage};

/// A Postgres query with its parameters.
pub type PgQuery<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

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

/// A job's row values and its outbox message, encoded once: what
/// [`enqueue`] inserts, and what a caller that writes the job in a larger
/// statement of its own (the upload) binds.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// The job's id.
    pub id: Uuid,
    /// Its wire kind.
    pub kind: &'static str,
    /// Its payload schema version (an `integer` column).
    pub version: i32,
    /// The payload as stored in `jobs.payload`.
    pub payload: serde_json::Value,
    /// The trace id carried by the message, for admins.
    pub trace_id: Option<String>,
    /// The whole message as stored in `outbox.message`.
    pub message: serde_json::Value,
}

impl NewJob {
    /// Encodes a job; `trace_context` is the W3C context to carry.
    pub fn new<J: Job>(
        job_id: Uuid,
        job: &J,
        trace_context: BTreeMap<String, String>,
    ) -> Result<Self, sqlx::Error> {
        let message = JobMessage::new(job_id, job, trace_context)
            .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        Ok(Self {
            id: job_id,
            kind: J::KIND,
            version: i32::try_from(J::VERSION).unwrap_or(i32::MAX),
            trace_id: crate::jobs::trace_id(&message.trace_context).map(str::to_owned),
            payload: message.payload.clone(),
            message: serde_json::to_value(&message)
                .map_err(|e| sqlx::Error::Encode(Box::new(e)))?,
        })
    }
}

/// Inserts a `queued` job and its outbox message in the caller's
/// transaction, in one statement.
pub async fn enqueue<J: Job>(
    conn: &mut PgConnection,
    job_id: Uuid,
    job: &J,
    refs: JobRefs,
    trace_context: BTreeMap<String, String>,
) -> Result<(), sqlx::Error> {
    let new = NewJob::new(job_id, job, trace_context)?;
    sqlx::query(
        "WITH j AS (
             INSERT INTO jobs (id, kind, version, owner_id, horse_id, session_id, payload, trace_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id)
         INSERT INTO outbox (job_id, message) SELECT id, $9 FROM j",
    )
    .bind(new.id)
    .bind(new.kind)
    .bind(new.version)
    .bind(refs.owner_id)
    .bind(refs.horse_id)
    .bind(refs.session_id)
    .bind(&new.payload)
    .bind(&new.trace_id)
    .bind(&new.message)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Adds an outbox row for an existing job (an admin replay, a sweep).
async fn publish_later(conn: &mut PgConnection, message: &JobMessage) -> Result<(), sqlx::Error> {
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
/// queued behind it. The new job's message is due after `debounce`
/// (`HOOFBEAT_TREND_DEBOUNCE_MS`): until then it stays the horse's queued
/// trend job and covers every change meanwhile. Returns the new job's id, or
/// `None` when one was already queued (it will see the caller's change).
///
/// `trace_context` is the W3C context to carry (see `telemetry::inject_context`).
/// A caller that writes more in the same statement uses [`TrendOnce`].
pub async fn enqueue_trend_once(
    conn: &mut PgConnection,
    horse_id: Uuid,
    owner_id: Uuid,
    trace_context: BTreeMap<String, String>,
    debounce: std::time::Duration,
) -> Result<Option<Uuid>, sqlx::Error> {
    static SQL: LazyLock<String> =
        LazyLock::new(|| format!("WITH {} SELECT count(*) FROM trend_job", TrendOnce::ctes(1)));
    let trend = TrendOnce::new(horse_id, owner_id, trace_context, debounce)?;
    let queued: i64 = trend
        .bind(sqlx::query(SQL.as_str()))
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    Ok((queued == 1).then_some(trend.job.id))
}

/// What [`enqueue_trend_once`] writes, for a statement of the caller's that
/// writes more (the worker stores a result and queues the horse's trend job
/// in one round trip): [`TrendOnce::ctes`] are its CTEs, [`TrendOnce::bind`]
/// binds their parameters in order.
#[derive(Debug, Clone)]
pub struct TrendOnce {
    /// The job, if it is queued.
    pub job: NewJob,
    horse_id: Uuid,
    owner_id: Uuid,
    debounce_s: f64,
}

impl TrendOnce {
    /// Encodes the trend job of `horse_id` (see [`enqueue_trend_once`]).
    pub fn new(
        horse_id: Uuid,
        owner_id: Uuid,
        trace_context: BTreeMap<String, String>,
        debounce: std::time::Duration,
    ) -> Result<Self, sqlx::Error> {
        Ok(Self {
            job: NewJob::new(Uuid::now_v7(), &ComputeTrend { horse_id }, trace_context)?,
            horse_id,
            owner_id,
            debounce_s: debounce.as_secs_f64(),
        })
    }

    /// The CTEs `trend_job` (the job row, `RETURNING id` when it was
    /// queued) and `trend_outbox` (its message, due after the debounce),
    /// taking parameters `$first` to `$first + 8`.
    pub fn ctes(first: usize) -> String {
        let p = |i: usize| format!("${}", first + i);
        format!(
            "trend_job AS (
                 INSERT INTO jobs (id, kind, version, owner_id, horse_id, payload, trace_id)
                 VALUES ({}, {}, {}, {}, {}, {}, {})
                 ON CONFLICT (horse_id) WHERE kind = 'compute_trend' AND status = 'queued' DO NOTHING
                 RETURNING id),
             trend_outbox AS (
                 INSERT INTO outbox (job_id, message, available_at)
                 SELECT id, {}, now() + make_interval(secs => {}) FROM trend_job)",
            p(0),
            p(1),
            p(2),
            p(3),
            p(4),
            p(5),
            p(6),
            p(7),
            p(8)
        )
    }

    /// Binds the parameters of [`TrendOnce::ctes`], in order, after those
    /// already bound.
    pub fn bind<'q>(&'q self, query: PgQuery<'q>) -> PgQuery<'q> {
        let job = &self.job;
        query
            .bind(job.id)
            .bind(job.kind)
            .bind(job.version)
            .bind(self.owner_id)
            .bind(self.horse_id)
            .bind(&job.payload)
            .bind(&job.trace_id)
            .bind(&job.message)
            .bind(self.debounce_s)
    }
}
