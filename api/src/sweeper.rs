//! The stuck-job sweeper: finds jobs that have been `queued`, `running` or
//! `failed` (waiting for a retry) far longer than any job should, with no
//! sign of progress, and publishes them again through the outbox — counting
//! it as an attempt — until the attempt budget is spent, then marks them
//! `dead` (`stuck`).
//!
//! A job whose message was lost (a purged queue, a broker that lost an
//! unreplicated queue, a retry tier deleted) is never delivered again; only
//! this notices. "No sign of progress" is two things together:
//!
//! 1. no change to the job for `HOOFBEAT_STUCK_AFTER_MS` (plus the longest
//!    retry delay for a `failed` job), and no unpublished outbox row for it;
//! 2. the queue has moved past it: a job enqueued *after* this one's last
//!    change has started (the work queue is FIFO), or the work queue has no
//!    ready message at all.
//!
//! (2) keeps the sweeper from burning the attempts of jobs that are simply
//! waiting in a long backlog or for workers that are down: nothing is
//! swept while no job at all can start.
//!
//! It runs in every API replica (the API is always up; workers may scale to
//! zero); rows are claimed with `FOR UPDATE SKIP LOCKED`, so replicas never
//! sweep the same job twice.

use std::time::Duration;

use shared::amqp::Topology;
use shared::jobs::DeadReason;
use shared::outbox::StoredJob;
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::metrics::StuckLabels;
use crate::state::AppState;

/// Jobs handled per sweep (the rest wait for the next one).
const BATCH: i64 = 100;

/// A job the sweeper may publish again.
#[derive(Debug, sqlx::FromRow)]
struct Candidate {
    id: Uuid,
    kind: String,
    version: i32,
    payload: serde_json::Value,
    attempts: i32,
    status: String,
    horse_id: Option<Uuid>,
    /// The queue has moved past it (a later job has started).
    overtaken: bool,
}

/// What one sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    /// Published again.
    pub requeued: u64,
    /// Attempt budget spent: marked dead.
    pub dead: u64,
}

/// Sweeps every `sweep_interval` until `stop`.
pub async fn run(state: AppState, topology: Topology, stop: CancellationToken) {
    let mut tick = tokio::time::interval(state.config.sweep_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        if state.db_health.is_down() {
            continue;
        }
        match sweep(&state, &topology).await {
            Ok(s) if s != Swept::default() => {
                tracing::warn!(requeued = s.requeued, dead = s.dead, "stuck jobs swept");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "stuck-job sweep failed; trying again later"),
        }
    }
}

/// Thresholds of one sweep, in seconds.
fn thresholds(state: &AppState) -> (f64, f64) {
    let stuck = state.config.stuck_after.as_secs_f64();
    let longest_retry = state
        .config
        .common
        .retry_delays
        .iter()
        .max()
        .copied()
        .unwrap_or(Duration::ZERO)
        .as_secs_f64();
    (stuck, stuck + longest_retry)
}

/// One sweep: claims stuck jobs and requeues or buries each.
pub async fn sweep(state: &AppState, topology: &Topology) -> Result<Swept, sqlx::Error> {
    let (stuck, stuck_failed) = thresholds(state);
    let mut tx = state.db.begin().await?;
    let candidates: Vec<Candidate> = sqlx::query_as(
        "SELECT j.id, j.kind, j.version, j.payload, j.attempts, j.status, j.horse_id,
                EXISTS (SELECT 1 FROM jobs l
                        WHERE l.updated_at > j.updated_at AND l.created_at > j.updated_at
                          AND l.started_at > j.updated_at) AS overtaken
         FROM jobs j
         WHERE ((j.status IN ('queued', 'running') AND j.updated_at < now() - make_interval(secs => $1))
             OR (j.status = 'failed' AND j.updated_at < now() - make_interval(secs => $2)))
           AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.job_id = j.id AND o.published_at IS NULL)
         ORDER BY j.updated_at
         LIMIT $3
         FOR UPDATE OF j SKIP LOCKED",
    )
    .bind(stuck)
    .bind(stuck_failed)
    .bind(BATCH)
    .fetch_all(&mut *tx)
    .await?;
    if candidates.is_empty() {
        return Ok(Swept::default());
    }
    // Only asked when some candidate has not been overtaken: a queue with
    // no ready message holds none of them either.
    let queue_empty = if candidates.iter().all(|c| c.overtaken) {
        false
    } else {
        crate::queues::read(state, topology).await.work_ready() == Some(0)
    };
    let mut swept = Swept::default();
    let max_attempts = i32::try_from(state.config.common.max_attempts).unwrap_or(i32::MAX);
    let minutes = state.config.stuck_after.as_secs() / 60;
    for job in candidates.iter().filter(|c| c.overtaken || queue_empty) {
        let idle = format!("no progress for {minutes} min while {}", job.status);
        if job.attempts >= max_attempts {
            bury(&mut tx, job.id, &format!("{idle}; attempt budget spent")).await?;
            swept.dead += 1;
        } else if let Some(other) = queued_trend_of(&mut tx, job).await? {
            let why = format!("{idle}; superseded by queued trend job {other}, which covers it");
            bury(&mut tx, job.id, &why).await?;
            swept.dead += 1;
        } else {
            requeue(&mut tx, job, &idle).await?;
            swept.requeued += 1;
        }
    }
    tx.commit().await?;
    let count = |action, n| {
        state
            .metrics
            .stuck_jobs
            .get_or_create(&StuckLabels { action })
            .inc_by(n);
    };
    count("requeued", swept.requeued);
    count("dead", swept.dead);
    Ok(swept)
}

/// Another `compute_trend` job already queued for the same horse (at most
/// one may be: it will cover this one's work).
async fn queued_trend_of(
    tx: &mut PgConnection,
    job: &Candidate,
) -> Result<Option<Uuid>, sqlx::Error> {
    if job.kind != "compute_trend" || job.status == "queued" {
        return Ok(None);
    }
    sqlx::query_scalar(
        "SELECT id FROM jobs WHERE kind = 'compute_trend' AND status = 'queued'
         AND horse_id = $1 AND id <> $2 LIMIT 1",
    )
    .bind(job.horse_id)
    .bind(job.id)
    .fetch_optional(&mut *tx)
    .await
}

/// Publishes the job again, counting the sweep as an attempt.
async fn requeue(tx: &mut PgConnection, job: &Candidate, why: &str) -> Result<(), sqlx::Error> {
    let swept_attempt = job.attempts + 1;
    sqlx::query(
        "WITH closed AS (
             UPDATE job_attempts SET finished_at = now(), outcome = 'interrupted'
             WHERE job_id = $1 AND finished_at IS NULL)
         INSERT INTO job_attempts (job_id, attempt, finished_at, outcome, error)
         VALUES ($1, $2, now(), 'swept', $3)",
    )
    .bind(job.id)
    .bind(swept_attempt)
    .bind(format!("{why}; published again"))
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE jobs SET status = 'queued', attempts = $2, requeued_at = now(), updated_at = now(),
                         finished_at = NULL, dead_reason = NULL
         WHERE id = $1",
    )
    .bind(job.id)
    .bind(swept_attempt)
    .execute(&mut *tx)
    .await?;
    let stored = StoredJob {
        id: job.id,
        kind: &job.kind,
        version: job.version,
        payload: &job.payload,
    };
    let attempt = u32::try_from(swept_attempt + 1).unwrap_or(u32::MAX);
    shared::outbox::republish(tx, stored, attempt, Default::default()).await?;
    tracing::warn!(job_id = %job.id, attempt = swept_attempt, "stuck job published again");
    Ok(())
}

/// Marks a stuck job dead.
async fn bury(tx: &mut PgConnection, job_id: Uuid, why: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "WITH closed AS (
             UPDATE job_attempts SET finished_at = now(), outcome = 'interrupted'
             WHERE job_id = $1 AND finished_at IS NULL)
         UPDATE jobs SET status = 'dead', dead_reason = $2, last_error = $3, updated_at = now(),
                         finished_at = now()
         WHERE id = $1",
    )
    .bind(job_id)
    .bind(DeadReason::Stuck.code())
    .bind(why)
    .execute(&mut *tx)
    .await?;
    tracing::error!(%job_id, %why, "stuck job marked dead");
    Ok(())
}

/// Jobs that are stuck right now by the sweeper's rule (1) (shown in the
/// admin overview, whether or not the queue has moved past them yet).
pub async fn count_stuck(state: &AppState, db: &PgPool) -> Result<i64, sqlx::Error> {
    let (stuck, stuck_failed) = thresholds(state);
    sqlx::query_scalar(
        "SELECT count(*) FROM jobs j
         WHERE ((j.status IN ('queued', 'running') AND j.updated_at < now() - make_interval(secs => $1))
             OR (j.status = 'failed' AND j.updated_at < now() - make_interval(secs => $2)))
           AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.job_id = j.id AND o.published_at IS NULL)",
    )
    .bind(stuck)
    .bind(stuck_failed)
    .fetch_one(db)
    .await
}
