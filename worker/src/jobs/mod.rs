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
///
/// Committed without waiting for the WAL flush (`synchronous_commit = off`
/// for this transaction only; a flush costs ≈ 4 ms on the development VM):
/// the mark is bookkeeping. A database crash can lose it only together with
/// everything after it, because the result's commit (synchronous) flushes
/// the WAL up to and including it; a lost mark leaves the job queued, and
/// the unacknowledged delivery runs it again.
pub async fn start(
    db: &PgPool,
    job_id: Uuid,
    worker_id: &str,
    algorithm_version: &str,
) -> Result<Start, JobError> {
    let mut conn = db.acquire().await?;
    start_on(&mut conn, job_id, worker_id, algorithm_version).await
}

/// [`start`] on a given connection.
async fn start_on(
    conn: &mut sqlx::PgConnection,
    job_id: Uuid,
    worker_id: &str,
    algorithm_version: &str,
) -> Result<Start, JobError> {
    let started: Option<i64> = sqlx::query_scalar(
        "WITH quick_commit AS (SELECT set_config('synchronous_commit', 'off', true)),
         j AS (
             UPDATE jobs SET status = 'running', attempts = attempts + 1, started_at = now(),
                             updated_at = now(), algorithm_version = $3
             WHERE id = $1 AND status IN ('queued', 'running', 'failed')
             RETURNING id, attempts),
         closed AS (
             UPDATE job_attempts SET finished_at = now(), outcome = 'interrupted'
             WHERE job_id = $1 AND finished_at IS NULL AND EXISTS (SELECT 1 FROM j))
         INSERT INTO job_attempts (job_id, attempt, worker_id)
         SELECT id, attempts, $2 FROM j, quick_commit RETURNING id",
    )
    .bind(job_id)
    .bind(worker_id)
    .bind(algorithm_version)
    .fetch_optional(&mut *conn)
    .await?;
    if started.is_some() {
        return Ok(Start::Run);
    }
    let status: Option<String> = sqlx::query_scalar("SELECT status FROM jobs WHERE id = $1")
        .bind(job_id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(status.map_or(Start::Gone, Start::Finished))
}

/// Prepares, on a fresh connection at start-up, the statements between a
/// delivery and the job's start (the start itself and a session's load), by
/// running them for a job and a session that do not exist: they match no
/// row and change nothing. The first job then pays no parse and no extra
/// round trip (issue 11's cold-start latency).
pub fn prepare(
    conn: &mut sqlx::PgConnection,
) -> std::pin::Pin<Box<dyn Future<Output = Result<(), sqlx::Error>> + Send + '_>> {
    Box::pin(async move {
        let none = Uuid::nil();
        match start_on(&mut *conn, none, "warm-up", "warm-up").await {
            Ok(Start::Gone) => {}
            Ok(other) => {
                // A job with the nil id cannot come from this code.
                tracing::warn!(?other, "warm-up found a job with the nil id");
            }
            Err(JobError::Unavailable(e)) => return Err(e),
            Err(JobError::Failed(e)) => return Err(sqlx::Error::Protocol(e)),
            Err(JobError::Gone) => {}
        }
        analyze_session::load(&mut *conn, none).await.map(|_| ())
    })
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
