//! The job filter shared by the job list (query string) and the bulk replay
//! (JSON body): one definition, one SQL translation, so that a dry run
//! counts exactly the jobs a replay would touch.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{Postgres, QueryBuilder};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{JobKind, JobStatus};
use crate::error::{ApiError, ApiResult};

/// Which jobs (every field optional; all given fields must match).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JobFilter {
    /// Status.
    pub status: Option<JobStatus>,
    /// Kind.
    pub kind: Option<JobKind>,
    /// Text contained in the last error (case-insensitive).
    #[schema(max_length = 200)]
    pub error: Option<String>,
    /// Last change at or after.
    pub since: Option<DateTime<Utc>>,
    /// Last change before.
    pub until: Option<DateTime<Utc>>,
    /// Horse concerned.
    pub horse_id: Option<Uuid>,
    /// Session concerned.
    pub session_id: Option<Uuid>,
    /// Version of the worker's algorithms that last started the job.
    #[schema(max_length = 100)]
    pub algorithm_version: Option<String>,
    /// Jobs last requeued by this bulk replay (its audit id).
    #[serde(default, deserialize_with = "crate::extract::optional_integer")]
    pub replay_id: Option<i64>,
}

impl JobFilter {
    /// Refuses texts longer than the documented limits.
    pub fn validate(&self) -> ApiResult<()> {
        if self.error.as_ref().is_some_and(|e| e.chars().count() > 200) {
            return Err(ApiError::invalid_field("error", "at most 200 characters"));
        }
        if self
            .algorithm_version
            .as_ref()
            .is_some_and(|v| v.chars().count() > 100)
        {
            return Err(ApiError::invalid_field(
                "algorithm_version",
                "at most 100 characters",
            ));
        }
        Ok(())
    }

    /// Appends ` WHERE …` (always present: `TRUE` when nothing is given);
    /// the status condition only when `with_status`.
    pub fn push_where(&self, q: &mut QueryBuilder<Postgres>, with_status: bool) {
        q.push(" WHERE TRUE");
        if with_status && let Some(status) = self.status {
            q.push(" AND status = ").push_bind(status.as_str());
        }
        if let Some(kind) = self.kind {
            q.push(" AND kind = ").push_bind(kind.as_str());
        }
        if let Some(error) = &self.error {
            q.push(" AND strpos(lower(coalesce(last_error, '')), lower(")
                .push_bind(error.clone())
                .push(")) > 0");
        }
        if let Some(since) = self.since {
            q.push(" AND updated_at >= ").push_bind(since);
        }
        if let Some(until) = self.until {
            q.push(" AND updated_at < ").push_bind(until);
        }
        if let Some(horse) = self.horse_id {
            q.push(" AND horse_id = ").push_bind(horse);
        }
        if let Some(session) = self.session_id {
            q.push(" AND session_id = ").push_bind(session);
        }
        if let Some(version) = &self.algorithm_version {
            q.push(" AND algorithm_version = ")
                .push_bind(version.clone());
        }
        if let Some(replay) = self.replay_id {
            q.push(" AND replay_id = ").push_bind(replay);
        }
    }
}
