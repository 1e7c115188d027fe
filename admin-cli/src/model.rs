//! The admin API's answers, as far as the CLI reads them (unknown fields
//! are ignored; `--json` prints the answers as received).

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

/// `POST /v1/auth/login`.
#[derive(Debug, Clone, Deserialize)]
pub struct Login {
    /// Bearer token.
    pub token: String,
    /// Its end.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    /// Whose.
    pub user: User,
}

/// `GET /v1/me`, and the login's `user`.
#[derive(Debug, Clone, Deserialize)]
pub struct User {
    /// Email.
    pub email: String,
    /// `rider` or `admin`.
    pub role: String,
}

/// A job as admins see it.
#[derive(Debug, Clone, Deserialize)]
pub struct AdminJob {
    /// Id.
    pub id: Uuid,
    /// `analyze_session`, `compute_trend`.
    pub kind: String,
    /// `queued`, `running`, `succeeded`, `failed`, `dead`.
    pub status: String,
    /// Attempts made.
    pub attempts: i64,
    /// The last error.
    #[serde(default)]
    pub last_error: Option<String>,
    /// Why it is dead.
    #[serde(default)]
    pub dead_reason: Option<String>,
    /// Session.
    #[serde(default)]
    pub session_id: Option<Uuid>,
    /// Horse.
    #[serde(default)]
    pub horse_id: Option<Uuid>,
    /// Owner.
    #[serde(default)]
    pub owner_id: Option<Uuid>,
    /// The worker version that last ran it.
    #[serde(default)]
    pub algorithm_version: Option<String>,
    /// Trace id.
    #[serde(default)]
    pub trace_id: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Start of the latest attempt.
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    /// End.
    #[serde(default)]
    pub finished_at: Option<DateTime<Utc>>,
}

impl AdminJob {
    /// `succeeded` or `dead`: nothing more will happen without a replay.
    pub fn is_final(&self) -> bool {
        matches!(self.status.as_str(), "succeeded" | "dead")
    }
}

/// Jobs per status.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
pub struct Counts {
    /// Waiting.
    #[serde(default)]
    pub queued: u64,
    /// In a worker's hands.
    #[serde(default)]
    pub running: u64,
    /// Done.
    #[serde(default)]
    pub succeeded: u64,
    /// Failed, retry scheduled.
    #[serde(default)]
    pub failed: u64,
    /// Given up.
    #[serde(default)]
    pub dead: u64,
}

impl Counts {
    /// Not finished yet: queued, running, or failed with a retry scheduled.
    pub fn pending(&self) -> u64 {
        self.queued + self.running + self.failed
    }

    /// `queued 1 · running 0 · …`.
    pub fn line(&self) -> String {
        format!(
            "queued {} · running {} · failed {} · dead {} · succeeded {}",
            self.queued, self.running, self.failed, self.dead, self.succeeded
        )
    }
}

/// `GET /v1/admin/jobs`.
#[derive(Debug, Clone, Deserialize)]
pub struct JobPage {
    /// This page.
    pub jobs: Vec<AdminJob>,
    /// The next page's cursor.
    #[serde(default)]
    pub next_cursor: Option<String>,
    /// Per status, for the filter without its status.
    #[serde(default)]
    pub counts: Option<Counts>,
}

/// One attempt of a job.
#[derive(Debug, Clone, Deserialize)]
pub struct Attempt {
    /// 1-based.
    pub attempt: i64,
    /// Start.
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    /// End.
    #[serde(default)]
    pub finished_at: Option<DateTime<Utc>>,
    /// `succeeded`, `failed`, `dead`, `deferred`, `interrupted`, `swept`, `running`.
    pub outcome: String,
    /// Its error.
    #[serde(default)]
    pub error: Option<String>,
    /// Which worker.
    #[serde(default)]
    pub worker_id: Option<String>,
}

/// `GET /v1/admin/jobs/{id}`.
#[derive(Debug, Clone, Deserialize)]
pub struct JobDetail {
    /// The job.
    #[serde(flatten)]
    pub job: AdminJob,
    /// Its attempts, oldest first.
    #[serde(default)]
    pub history: Vec<Attempt>,
}

/// `POST /v1/admin/jobs/replay`.
#[derive(Debug, Clone, Deserialize)]
pub struct BulkReplay {
    /// Jobs matching the filter.
    pub matched: u64,
    /// Jobs replayed by this call.
    #[serde(default)]
    pub replayed: u64,
    /// Its audit id: `replay_id` in the job filter.
    #[serde(default)]
    pub replay_id: Option<i64>,
    /// The replayed jobs.
    #[serde(default)]
    pub job_ids: Vec<Uuid>,
}

/// `POST /v1/admin/reanalysis`.
#[derive(Debug, Clone, Deserialize)]
pub struct Reanalysis {
    /// The version the new results will have.
    #[serde(default)]
    pub target_version: Option<String>,
    /// Sessions or horses matching.
    pub matched: u64,
    /// Jobs enqueued by this call.
    #[serde(default)]
    pub enqueued: u64,
    /// Those jobs.
    #[serde(default)]
    pub job_ids: Vec<Uuid>,
}

/// `GET /v1/admin/overview`.
#[derive(Debug, Clone, Deserialize)]
pub struct Overview {
    /// The broker's queues.
    pub queues: QueueReport,
    /// The outbox.
    pub outbox: Outbox,
    /// Jobs changed in the last hour, per status.
    #[serde(default)]
    pub jobs_last_hour: Counts,
    /// Jobs queued or running for too long.
    #[serde(default)]
    pub stuck_jobs: u64,
    /// Messages kept without a readable job id.
    #[serde(default)]
    pub dead_letters: u64,
    /// When.
    #[serde(default)]
    pub generated_at: Option<DateTime<Utc>>,
}

/// The queues and where their figures come from.
#[derive(Debug, Clone, Deserialize)]
pub struct QueueReport {
    /// `management_api` or `passive_declare`.
    pub source: String,
    /// False when the broker could not be asked.
    #[serde(default = "yes")]
    pub available: bool,
    /// Per queue.
    #[serde(default)]
    pub queues: Vec<Queue>,
}

fn yes() -> bool {
    true
}

/// One queue.
#[derive(Debug, Clone, Deserialize)]
pub struct Queue {
    /// Name.
    pub name: String,
    /// `work`, `retry`, `dead`.
    #[serde(default)]
    pub role: Option<String>,
    /// Ready messages.
    #[serde(default)]
    pub ready: Option<u64>,
    /// Unacknowledged (management API only).
    #[serde(default)]
    pub unacked: Option<u64>,
    /// Consumers.
    #[serde(default)]
    pub consumers: Option<u64>,
}

/// The outbox.
#[derive(Debug, Clone, Deserialize)]
pub struct Outbox {
    /// Rows not yet published.
    pub backlog: u64,
    /// Age of the oldest, seconds.
    #[serde(default)]
    pub oldest_age_s: Option<f64>,
}

/// `GET /v1/admin/audit`.
#[derive(Debug, Clone, Deserialize)]
pub struct AuditPage {
    /// Newest first.
    pub entries: Vec<AuditEntry>,
    /// The next page.
    #[serde(default)]
    pub next_cursor: Option<String>,
}

/// One admin action.
#[derive(Debug, Clone, Deserialize)]
pub struct AuditEntry {
    /// Id (a bulk replay's `replay_id`).
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    #[serde(default)]
    pub admin_email: Option<String>,
    /// What.
    pub action: String,
    /// With which filter.
    #[serde(default)]
    pub filter: Option<Value>,
    /// Jobs affected.
    #[serde(default)]
    pub affected: Option<i64>,
}
