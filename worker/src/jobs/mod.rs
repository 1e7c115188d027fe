//! Job handlers, one file per kind, and the status transitions they share.
//!
//! Effects are idempotent: a result is keyed by session and algorithm
//! version, a job's final status is written in the same transaction as its
//! result, and a delivery of a job that already succeeded is acknowledged
//! without running it again.

use shared::jobs::DeadReason;
use sqlx::PgPool;
use uuid::Uuid;

pub mod analyze_session;
pub mod compute_trend;

/// Why a job did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The database is unreachable: try again later, not counted as an attempt.
    #[error("database unavailable: {0}")]
    Unavailable(sqlx::Error),
    /// The job's object was deleted meanwhile: nothing to do.
    #[error("the job's object no longer exists")]
    Gone,
    /// The attempt failed (bad data, analysis error, panic, database error).
    #[error("{0}")]
    Failed(String),
}

impl From<sqlx::Error> for JobError {
    fn from(e: sqlx::Error) -> Self {
        if shared::db::is_unavailable(&e) {
            JobError::Unavailable(e)
        } else {
            JobError::Failed(format!("database error: {e}"))
        }
    }
}

/// What the job row says before an attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum Start {
    /// Marked running: go ahead.
    Run,
    /// Already succeeded or dead: acknowledge without running.
    Finished(String),
    /// No such job (deleted with its session, horse or user).
    Gone,
}

/// Marks a job running (counting the attempt and recording it in
/// `job_attempts` with the worker's id and algorithm version), unless it
/// already ended. Attempts left open by an earlier holder (a crash, a lost
/// connection) are closed as `interrupted`.
pub async fn start(
    db: &PgPool,
    job_id: Uuid,
    worker_id: &str,
    algorithm_version: &str,
) -> Result<Start, JobError> {
    let started: Option<i64> = sqlx::query_scalar(
        "WITH j AS (
             UPDATE jobs SET status = 'running', attempts = attempts + 1, started_at = now(),
                             updated_at = now(), algorithm_version = $3
             WHERE id = $1 AND status IN ('queued', 'running', 'failed')
             RETURNING id, attempts),
         closed AS (
             UPDATE job_attempts SET finished_at = now(), outcome = 'interrupted'
             WHERE job_id = $1 AND finished_at IS NULL AND EXISTS (SELECT 1 FROM j))
         INSERT INTO job_attempts (job_id, attempt, worker_id)
         SELECT id, attempts, $2 FROM j RETURNING id",
    )
    .bind(job_id)
    .bind(worker_id)
    .bind(algorithm_version)
    .fetch_optional(db)
    .await?;
    if started.is_some() {
        return Ok(Start::Run);
    }
    let status: Option<String> = sqlx::query_scalar("SELECT status FROM jobs WHERE id = $1")
        .bind(job_id)
        .fetch_optional(db)
        .await?;
    Ok(status.map_or(Start::Gone, Start::Finished))
}

/// Records a failed attempt that will be retried.
pub async fn mark_failed(db: &PgPool, job_id: Uuid, error: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "WITH a AS (
             UPDATE job_attempts SET finished_at = now(), outcome = 'failed', error = $2
             WHERE job_id = $1 AND finished_at IS NULL)
         UPDATE jobs SET status = 'failed', last_error = $2, updated_at = now()
         WHERE id = $1 AND status <> 'succeeded'",
    )
    .bind(job_id)
    .bind(truncate(error))
    .execute(db)
    .await
    .map(|_| ())
}

/// Records that the job gave up, and why.
pub async fn mark_dead(
    db: &PgPool,
    job_id: Uuid,
    reason: DeadReason,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "WITH a AS (
             UPDATE job_attempts SET finished_at = now(), outcome = 'dead', error = $3
             WHERE job_id = $1 AND finished_at IS NULL)
         UPDATE jobs SET status = 'dead', dead_reason = $2, last_error = $3, updated_at = now(),
                         finished_at = now()
         WHERE id = $1 AND status <> 'succeeded'",
    )
    .bind(job_id)
    .bind(reason.code())
    .bind(truncate(error))
    .execute(db)
    .await
    .map(|_| ())
}

/// Closes the open attempt of a job whose object was deleted meanwhile.
pub async fn mark_gone(db: &PgPool, job_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE job_attempts SET finished_at = now(), outcome = 'gone'
         WHERE job_id = $1 AND finished_at IS NULL",
    )
    .bind(job_id)
    .execute(db)
    .await
    .map(|_| ())
}

/// The CTEs that close a job's open attempt and mark the job `succeeded`,
/// for the job id in the given parameter; a job handler puts them in front of
/// the statement that stores its result, so both happen in one round trip.
macro_rules! succeeded_ctes {
    ($job:literal) => {
        concat!(
            "attempt_done AS (
                 UPDATE job_attempts SET finished_at = now(), outcome = 'succeeded'
                 WHERE job_id = ",
            $job,
            " AND finished_at IS NULL),
             job_done AS (
                 UPDATE jobs SET status = 'succeeded', last_error = NULL, dead_reason = NULL,
                                 updated_at = now(), finished_at = now()
                 WHERE id = ",
            $job,
            ")"
        )
    };
}
pub(crate) use succeeded_ctes;

/// Marks the job succeeded inside the transaction that stores its result.
pub async fn mark_succeeded(tx: &mut sqlx::PgConnection, job_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query(concat!("WITH ", succeeded_ctes!("$1"), " SELECT 1"))
        .bind(job_id)
        .execute(tx)
        .await
        .map(|_| ())
}

/// Errors are stored for admins; keep them to a readable size.
fn truncate(error: &str) -> String {
    error.chars().take(2000).collect()
}
