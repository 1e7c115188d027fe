//! The job filter shared by the job list (query string) and the bulk replay
//! (JSON body): one definition, one SQL translation, so that a dry run
//! counts exactly the jobs a replay would touch.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{Postgres, QueryBuilder};
use utoipa::ToSchema;
use uuid::Uuid;

use super::JobStatus;
use crate::error::{ApiError, ApiResult};

/// Which jobs (every field optional; all given fields must match).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JobFilter {
    /// Status.
    pub status: Option<JobStatus>,
    /// Kind: `analyze_session` or `compute_trend`.
    pub kind: Option<String>,
    /// Text contained in the last error (case-insensitive), at most 200 characters.
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
    pub algorithm_version: Option<String>,
    /// Jobs last requeued by this bulk replay (its audit id).
    pub replay_id: Option<i64>,
}

impl JobFilter {
    /// Refuses values no job can match in a way a caller would want to know.
    pub fn validate(&self) -> ApiResult<()> {
        if let Some(kind) = &self.kind
            && !["analyze_session", "compute_trend"].contains(&kind.as_str())
        {
            return Err(ApiError::invalid_field(
                "kind",
                "must be analyze_session or compute_trend",
            ));
        }
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
        if let (Some(since), Some(until)) = (self.since, self.until)
            && since > until
        {
            return Err(ApiError::invalid_field("until", "must not be before since"));
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
        if let Some(kind) = &self.kind {
            q.push(" AND kind = ").push_bind(kind.clone());
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
