//! Admin routes (`/v1/admin`, admin role: 401 without a token, 403 for a
//! rider). Every failed job is visible and replayable:
//!
//! - [`jobs`]: the job list with filters, cursor pagination and counts per
//!   status; a job's detail with its attempt history.
//! - [`replay`]: replay one job, or in bulk by filter (dry run first).
//! - [`reanalysis`]: enqueue fresh analyses (or trends) for results made by
//!   older algorithms.
//! - [`overview`]: queues, outbox, jobs of the last hour, stuck jobs.
//! - [`audit`]: every admin action, and the log that records them.
//! - [`filter`]: the job filter shared by the list and the bulk replay.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

use crate::state::AppState;

pub mod audit;
pub mod filter;
pub mod jobs;
pub mod overview;
pub mod reanalysis;
pub mod replay;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(jobs::router())
        .merge(replay::router())
        .merge(reanalysis::router())
        .merge(overview::router())
        .merge(audit::router())
}

/// A job with everything an admin needs to decide on a replay.
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct AdminJob {
    /// Id.
    pub id: Uuid,
    /// Kind.
    pub kind: String,
    /// Contract version.
    pub version: i32,
    /// Status.
    #[schema(value_type = JobStatus)]
    pub status: String,
    /// Attempts made (a sweep of a stuck job counts as one).
    pub attempts: i32,
    /// The last error recorded.
    pub last_error: Option<String>,
    /// Why the job is dead.
    #[schema(value_type = Option<DeadReasonDoc>)]
    pub dead_reason: Option<String>,
    /// Owner.
    pub owner_id: Option<Uuid>,
    /// Session concerned.
    pub session_id: Option<Uuid>,
    /// Horse concerned.
    pub horse_id: Option<Uuid>,
    /// The job's payload.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// Version of the worker's algorithms that last started it.
    pub algorithm_version: Option<String>,
    /// W3C trace id of the request that created it.
    pub trace_id: Option<String>,
    /// The bulk replay (audit entry) that last requeued it.
    pub replay_id: Option<i64>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Start of the latest attempt.
    pub started_at: Option<DateTime<Utc>>,
    /// End of the job.
    pub finished_at: Option<DateTime<Utc>>,
}

/// Columns of [`AdminJob`].
pub const ADMIN_COLUMNS: &str =
    "id, kind, version, status, attempts, last_error, dead_reason, owner_id,
    session_id, horse_id, payload, algorithm_version, trace_id, replay_id, created_at, updated_at,
    started_at, finished_at";

/// A job's status (for the documentation: the job list's filter and
/// the jobs' `status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Waiting in the queue.
    Queued,
    /// A worker holds it.
    Running,
    /// Done.
    Succeeded,
    /// An attempt failed; a retry is scheduled.
    Failed,
    /// Gave up; an admin can replay it.
    Dead,
}

impl JobStatus {
    /// Every status, in the order of the counts.
    pub const ALL: [JobStatus; 5] = [
        Self::Queued,
        Self::Running,
        Self::Succeeded,
        Self::Failed,
        Self::Dead,
    ];

    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Dead => "dead",
        }
    }
}

/// A job kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// Analyse one session.
    AnalyzeSession,
    /// Recompute a horse's trend.
    ComputeTrend,
}

impl JobKind {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AnalyzeSession => "analyze_session",
            Self::ComputeTrend => "compute_trend",
        }
    }
}

/// Why a job is dead (documentation of `dead_reason`).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeadReasonDoc {
    /// Every attempt failed.
    AttemptsExhausted,
    /// The worker could not read the job.
    Undecodable,
    /// Workers crashed or lost their connection while holding it, too many times.
    DeliveryLimit,
    /// The message was rejected without requeue.
    Rejected,
    /// The message's time to live ran out.
    Expired,
    /// A queue length limit dropped it.
    QueueFull,
    /// No progress, and the sweeper's attempt budget is spent.
    Stuck,
}

/// Jobs per status.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct StatusCounts {
    /// Queued.
    pub queued: i64,
    /// Running.
    pub running: i64,
    /// Succeeded.
    pub succeeded: i64,
    /// Failed (a retry is scheduled).
    pub failed: i64,
    /// Dead.
    pub dead: i64,
}

impl StatusCounts {
    /// From `(status, count)` rows.
    pub fn from_rows(rows: Vec<(String, i64)>) -> Self {
        let mut counts = Self::default();
        for (status, n) in rows {
            match status.as_str() {
                "queued" => counts.queued = n,
                "running" => counts.running = n,
                "succeeded" => counts.succeeded = n,
                "failed" => counts.failed = n,
                "dead" => counts.dead = n,
                _ => {}
            }
        }
        counts
    }
}
