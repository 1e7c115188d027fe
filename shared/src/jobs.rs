//! The job contract between the API (producer, through the transactional
//! outbox) and the worker (consumer).
//!
//! - [`Job`]: the trait every job kind implements (its wire `KIND` and the
//!   `VERSION` of its payload schema).
//! - [`AnalyzeSession`], [`ComputeTrend`]: the job kinds.
//! - [`JobMessage`]: the JSON envelope that is the body of every AMQP message
//!   (the AMQP `message_id` is [`JobMessage::job_id`]).
//! - [`AnyJob`]: a decoded payload of any known kind, for dispatching in the worker.
//! - [`ContractError`]: why a body could not be turned into a job.
//!
//! This module only depends on serde: the broker side (topology, publishing)
//! lives in `crate::amqp` behind the `amqp` feature.
//!
//! # Compatibility rules
//!
//! Unknown fields are **ignored**, both in the envelope and in the payloads
//! (no `deny_unknown_fields`). During a rolling deploy the API can be newer
//! than the worker (or the reverse), and the outbox can hold messages written
//! by an older build: rejecting an extra, optional field would dead-letter
//! every job until all replicas run the same code. Instead:
//!
//! - adding an *optional* envelope or payload field that older readers may
//!   safely ignore is allowed without a version bump;
//! - any change a reader must understand (new required field, changed meaning
//!   or type) bumps the job's [`Job::VERSION`]; a worker refuses versions it
//!   does not know with [`ContractError::UnsupportedVersion`], so the message
//!   goes to the dead-letter queue instead of being silently misread.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A job kind that can travel in a [`JobMessage`].
///
/// `KIND` is the stable wire name (never rename it: messages already queued or
/// sitting in the outbox carry it), `VERSION` the version of the payload
/// schema, bumped on any change a reader must understand.
pub trait Job: Serialize + DeserializeOwned {
    /// Wire name of the job kind, stored in [`JobMessage::kind`].
    const KIND: &'static str;
    /// Payload schema version, stored in [`JobMessage::version`].
    const VERSION: u32;
}

/// Analyse one uploaded riding session (gait classification, metrics).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalyzeSession {
    /// The session to analyse.
    pub session_id: Uuid,
}

impl Job for AnalyzeSession {
    const KIND: &'static str = "analyze_session";
    const VERSION: u32 = 1;
}

/// Recompute the long-term trend of one horse from its analysed sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComputeTrend {
    /// The horse whose trend is recomputed.
    pub horse_id: Uuid,
}

impl Job for ComputeTrend {
    const KIND: &'static str = "compute_trend";
    const VERSION: u32 = 1;
}

/// A decoded payload of any job kind this build knows.
///
/// Lets the worker decode once and `match`, instead of comparing kind strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnyJob {
    /// See [`AnalyzeSession`].
    AnalyzeSession(AnalyzeSession),
    /// See [`ComputeTrend`].
    ComputeTrend(ComputeTrend),
}

/// Kinds listed in [`ContractError::UnknownKind`] when a kind is not known at all.
const KNOWN_KINDS: &str = "analyze_session, compute_trend";

/// Why a message body could not be turned into a job.
///
/// None of these get better by retrying the same bytes: the worker should
/// dead-letter the message (e.g. `nack` without requeue) rather than retry.
#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    /// The bytes are not a valid envelope, or the payload does not match the
    /// schema of its kind and version. The serde error is part of the message
    /// (not a `source`) so that a single log line says what was wrong.
    #[error("malformed {what}: {error}")]
    Malformed {
        /// What was being (de)serialized, e.g. "job envelope".
        what: String,
        /// The underlying JSON error.
        error: serde_json::Error,
    },
    /// The kind is not the one expected (or not known to this build).
    #[error("unknown job kind {found:?} (expected {expected})")]
    UnknownKind {
        /// The kind found in the envelope.
        found: String,
        /// The kind(s) the caller could handle.
        expected: String,
    },
    /// The kind is known but its payload version is not supported by this build.
    #[error(
        "unsupported version {found} of job kind {kind:?} (this build supports version {supported})"
    )]
    UnsupportedVersion {
        /// The job kind.
        kind: String,
        /// The version found in the envelope.
        found: u32,
        /// The version this build reads.
        supported: u32,
    },
}

/// The envelope that is the body (JSON) of every job message.
///
/// Field order and names are the wire format: see the module docs for the
/// compatibility rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobMessage {
    /// Unique id of the job, also the AMQP `message_id`; stays the same across
    /// retries so the worker can deduplicate (delivery is at-least-once).
    pub job_id: Uuid,
    /// [`Job::KIND`] of the payload.
    pub kind: String,
    /// [`Job::VERSION`] of the payload.
    pub version: u32,
    /// 1-based attempt number, incremented on each retry republish
    /// (see [`JobMessage::next_attempt`]).
    pub attempt: u32,
    /// When the job was first enqueued (kept across retries, for queue-latency metrics).
    pub enqueued_at: DateTime<Utc>,
    /// W3C trace context (`traceparent`, `tracestate`) of the request that
    /// created the job (in the outbox), or of the span that published it
    /// (on the wire, see `amqp::publish_jobs`), so the worker's spans join
    /// the same trace.
    #[serde(default)]
    pub trace_context: BTreeMap<String, String>,
    /// The job itself, decoded with [`JobMessage::decode_payload`] or [`JobMessage::decode`].
    pub payload: serde_json::Value,
}

impl JobMessage {
    /// Wraps `job` in a first-attempt envelope enqueued now.
    ///
    /// Fails only if `J`'s `Serialize` implementation fails (never for the
    /// job kinds of this module), reported as [`ContractError::Malformed`].
    pub fn new<J: Job>(
        job_id: Uuid,
        job: &J,
        trace_context: BTreeMap<String, String>,
    ) -> Result<Self, ContractError> {
        let payload = serde_json::to_value(job).map_err(|error| ContractError::Malformed {
            what: format!("payload of job kind {:?}", J::KIND),
            error,
        })?;
        Ok(Self {
            job_id,
            kind: J::KIND.to_owned(),
            version: J::VERSION,
            attempt: 1,
            enqueued_at: Utc::now(),
            trace_context,
            payload,
        })
    }

    /// The same job for its next attempt (attempt + 1, everything else kept),
    /// to be published with `amqp::publish_retry`.
    #[must_use]
    pub fn next_attempt(&self) -> Self {
        Self {
            attempt: self.attempt.saturating_add(1),
            ..self.clone()
        }
    }

    /// The JSON body of the AMQP message.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serializing cannot fail: every field is a string, an integer, a
        // timestamp, a string-keyed map or a `serde_json::Value` (whose maps
        // have string keys and whose numbers are always finite).
        serde_json::to_vec(self).expect("a JobMessage always serializes to JSON")
    }

    /// Parses an AMQP message body. Unknown envelope fields are ignored (see
    /// the module docs); the payload is only checked by [`Self::decode_payload`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ContractError> {
        serde_json::from_slice(bytes).map_err(|error| ContractError::Malformed {
            what: "job envelope".to_owned(),
            error,
        })
    }

    /// Decodes the payload as `J`, refusing another kind or a version other
    /// than `J::VERSION`.
    pub fn decode_payload<J: Job>(&self) -> Result<J, ContractError> {
        if self.kind != J::KIND {
            return Err(ContractError::UnknownKind {
                found: self.kind.clone(),
                expected: J::KIND.to_owned(),
            });
        }
        if self.version != J::VERSION {
            return Err(ContractError::UnsupportedVersion {
                kind: self.kind.clone(),
                found: self.version,
                supported: J::VERSION,
            });
        }
        J::deserialize(&self.payload).map_err(|error| ContractError::Malformed {
            what: format!("payload of job kind {:?} version {}", J::KIND, J::VERSION),
            error,
        })
    }

    /// Decodes the payload as whichever known kind [`Self::kind`] names.
    pub fn decode(&self) -> Result<AnyJob, ContractError> {
        match self.kind.as_str() {
            AnalyzeSession::KIND => self.decode_payload().map(AnyJob::AnalyzeSession),
            ComputeTrend::KIND => self.decode_payload().map(AnyJob::ComputeTrend),
            _ => Err(ContractError::UnknownKind {
                found: self.kind.clone(),
                expected: KNOWN_KINDS.to_owned(),
            }),
        }
    }
}

/// Why a job is `dead`: the stable codes stored in `jobs.dead_reason` and
/// shown to admins. Riders get [`DeadReason::rider_text`], never internals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadReason {
    /// Every attempt failed: the worker gave up.
    AttemptsExhausted,
    /// The worker could not read the job (unknown kind or version).
    Undecodable,
    /// The broker gave up after too many unacknowledged deliveries (workers
    /// crashed or lost their connection while holding it).
    DeliveryLimit,
    /// The message was rejected without requeue.
    Rejected,
    /// The message's time to live ran out.
    Expired,
    /// A queue length limit dropped the message.
    QueueFull,
    /// No progress for too long, and the sweeper's attempt budget is spent.
    Stuck,
}

impl DeadReason {
    /// Every reason, for documentation and tests.
    pub const ALL: [DeadReason; 7] = [
        Self::AttemptsExhausted,
        Self::Undecodable,
        Self::DeliveryLimit,
        Self::Rejected,
        Self::Expired,
        Self::QueueFull,
        Self::Stuck,
    ];

    /// The stored code.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::AttemptsExhausted => "attempts_exhausted",
            Self::Undecodable => "undecodable",
            Self::DeliveryLimit => "delivery_limit",
            Self::Rejected => "rejected",
            Self::Expired => "expired",
            Self::QueueFull => "queue_full",
            Self::Stuck => "stuck",
        }
    }

    /// The reason for a stored code.
    #[must_use]
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    /// The reason for RabbitMQ's dead-letter reason (`x-first-death-reason`
    /// or an `x-death` entry's `reason`).
    #[must_use]
    pub fn from_broker(reason: &str) -> Option<Self> {
        match reason {
            "delivery_limit" => Some(Self::DeliveryLimit),
            "rejected" => Some(Self::Rejected),
            "expired" => Some(Self::Expired),
            "maxlen" => Some(Self::QueueFull),
            _ => None,
        }
    }

    /// What the rider is told: short, and nothing internal.
    #[must_use]
    pub fn rider_text(self) -> &'static str {
        match self {
            Self::AttemptsExhausted => "the analysis failed on every attempt",
            Self::Undecodable | Self::Rejected => "the analysis job could not be processed",
            Self::DeliveryLimit => "the analysis was interrupted too many times",
            Self::Expired | Self::QueueFull | Self::Stuck => {
                "the analysis could not be run in time"
            }
        }
    }
}

/// The W3C trace id (32 hex digits) of a `traceparent`
/// (`version-traceid-spanid-flags`), if the context carries a valid one.
#[must_use]
pub fn trace_id(trace_context: &BTreeMap<String, String>) -> Option<&str> {
    let id = trace_context.get("traceparent")?.split('-').nth(1)?;
    (id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) && id != "0".repeat(32))
        .then_some(id)
}

#[cfg(test)]
mod dead_reason_tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_match_serde() {
        for r in DeadReason::ALL {
            assert_eq!(DeadReason::from_code(r.code()), Some(r));
            assert_eq!(serde_json::to_value(r).unwrap(), r.code());
            assert!(!r.rider_text().is_empty());
        }
        assert_eq!(
            DeadReason::from_broker("maxlen"),
            Some(DeadReason::QueueFull)
        );
        assert_eq!(DeadReason::from_broker("something"), None);
    }

    #[test]
    fn trace_ids_are_validated() {
        let mut ctx = BTreeMap::new();
        assert_eq!(trace_id(&ctx), None);
        ctx.insert(
            "traceparent".into(),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".into(),
        );
        assert_eq!(trace_id(&ctx), Some("4bf92f3577b34da6a3ce929d0e0e4736"));
        ctx.insert("traceparent".into(), "00-zz-00f067aa0ba902b7-01".into());
        assert_eq!(trace_id(&ctx), None);
    }
}
