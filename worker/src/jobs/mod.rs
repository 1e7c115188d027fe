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
pub enum Start<T = ()> {
    /// Marked running: go ahead, with what the start loaded.
    Run(T),
    /// Already succeeded or dead: acknowledge without running.
    Finished(String),
    /// No such job (deleted with its session, horse or user).
    Gone,
}

/// The common table expressions that mark job `$1` running for worker `$2`
/// and algorithm version `$3`, closing an attempt an earlier holder left
/// open and recording the new one; `attempt` yields its id, empty when the
/// job was not startable (ended, or gone). A statement that starts a job
/// puts them in front of what else it reads, so the start costs no round
/// trip of its own.
///
/// `quick_commit` commits the transaction without waiting for the WAL flush
/// (`synchronous_commit = off` for this transaction only; a flush costs
/// ≈ 4 ms on the development VM): the mark is bookkeeping. A database crash
/// can lose it only together with everything after it, because the result's
/// commit (synchronous) flushes the WAL up to and including it; a lost mark
/// leaves the job queued, and the unacknowledged delivery runs it again.
macro_rules! start_ctes {
    () => {
        "quick_commit AS (SELECT set_config('synchronous_commit', 'off', true)),
         j AS (
             UPDATE jobs SET status = 'running', attempts = attempts + 1, started_at = now(),
                             updated_at = now(), algorithm_version = $3
             WHERE id = $1 AND status IN ('queued', 'running', 'failed')
             RETURNING id, attempts),
         closed AS (
             UPDATE job_attempts SET finished_at = now(), outcome = 'interrupted'
             WHERE job_id = $1 AND finished_at IS NULL AND EXISTS (SELECT 1 FROM j)),
         attempt AS (
             INSERT INTO job_attempts (job_id, attempt, worker_id)
             SELECT id, attempts, $2 FROM j, quick_commit RETURNING id)"
    };
}
pub(crate) use start_ctes;

/// The job's status when [`start_ctes`] did not start it, read in the
/// statement's snapshot (before its own update); null when it did start it
/// (the lookup is then skipped) or when there is no such job.
macro_rules! status_unless_started {
    () => {
        "CASE WHEN EXISTS (SELECT 1 FROM attempt) THEN NULL
              ELSE (SELECT status FROM jobs WHERE id = $1) END"
    };
}
pub(crate) use status_unless_started;

/// What a start statement tells besides its own columns: whether the job
/// was marked running, and otherwise its status (`None`: no such job; see
/// [`status_unless_started`]).
fn outcome<T>(started: bool, status: Option<String>, loaded: impl FnOnce() -> T) -> Start<T> {
    match (started, status) {
        (true, _) => Start::Run(loaded()),
        (false, Some(status)) => Start::Finished(status),
        (false, None) => Start::Gone,
    }
}

/// Marks a job running (counting the attempt and recording it in
/// `job_attempts` with the worker's id and algorithm version), unless it
/// already ended: one statement, see [`start_ctes`]. The analysis job
/// starts with the load of its samples instead
/// ([`analyze_session::start`]).
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
    let (started, status): (bool, Option<String>) = sqlx::query_as(concat!(
        "WITH ",
        start_ctes!(),
        " SELECT EXISTS (SELECT 1 FROM attempt), ",
        status_unless_started!()
    ))
    .bind(job_id)
    .bind(worker_id)
    .bind(algorithm_version)
    .fetch_one(&mut *conn)
    .await?;
    Ok(outcome(started, status, || ()))
}

/// Prepares, on a fresh connection at start-up, the statements between a
/// delivery and the job's start (the trend job's start, the analysis job's
/// start with its load), by running them for a job and a session that do
/// not exist: they match no row and change nothing. The first job then pays
/// no parse and no extra round trip (issue 11's cold-start latency).
pub fn prepare(
    conn: &mut sqlx::PgConnection,
) -> std::pin::Pin<Box<dyn Future<Output = Result<(), sqlx::Error>> + Send + '_>> {
    Box::pin(async move {
        let none = Uuid::nil();
        let trend = start_on(&mut *conn, none, "warm-up", "warm-up").await;
        let analysis = analyze_session::start_on(&mut *conn, none, "warm-up", "warm-up", none)
            .await
            .map(|s| s.map_run(|_| ()));
        for started in [trend, analysis] {
            match started {
                Ok(Start::Gone) | Err(JobError::Gone) => {}
                Ok(other) => {
                    // A job with the nil id cannot come from this code.
                    tracing::warn!(?other, "warm-up found a job with the nil id");
                }
                Err(JobError::Unavailable(e)) => return Err(e),
                Err(JobError::Failed(e)) => return Err(sqlx::Error::Protocol(e)),
            }
        }
        Ok(())
    })
}

impl<T> Start<T> {
    /// The same start with its load transformed.
    pub fn map_run<U>(self, f: impl FnOnce(T) -> U) -> Start<U> {
        match self {
            Start::Run(t) => Start::Run(f(t)),
            Start::Finished(s) => Start::Finished(s),
            Start::Gone => Start::Gone,
        }
    }
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
