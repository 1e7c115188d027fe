//! RabbitMQ helpers shared by the API (outbox relay) and the worker
//! (feature `amqp`, built on lapin 4 + tokio). Must work on RabbitMQ 3.10 and 4.x.
//!
//! - [`topology`]: [`Topology`] (names and queue arguments), [`declare`],
//!   [`delete`], [`queue_depth`] / [`depth`]; its docs explain the design.
//! - [`connection`]: [`connect`] / [`connect_named`] with a hard timeout,
//!   [`confirm_channel`].
//! - [`publish`]: confirmed [`publish_job`], [`publish_retry`], [`publish_dead`].
//! - [`consume`]: [`consume_jobs`] / [`consume_dead_letters`] with a per-consumer prefetch.
//! - [`dead_letter`]: why a dead-lettered message died ([`DeathInfo`]).
//! - [`error`]: the error type, [`AmqpError`].
//!
//! The message body is a [`crate::jobs::JobMessage`].
//!
//! # Worker protocol
//!
//! - success → ack;
//! - failure, attempts left → [`publish_retry`] of
//!   [`JobMessage::next_attempt`](crate::jobs::JobMessage::next_attempt) to tier
//!   [`Topology::retry_tier_for_attempt`]`(msg.attempt)`, *then* ack the original
//!   (if the process dies in between, the job is redelivered and runs twice:
//!   jobs must be idempotent, keyed by `job_id`);
//! - failure, no attempts left → [`publish_dead`] with the reason, then ack;
//! - undecodable body ([`crate::jobs::ContractError`]) → `nack(requeue = false)`:
//!   the work queue dead-letters it to `{p}.dead` itself.

pub mod connection;
pub mod consume;
pub mod dead_letter;
pub mod error;
pub mod publish;
pub mod topology;

pub use connection::{confirm_channel, connect, connect_named, open};
pub use consume::{consume_dead_letters, consume_jobs};
pub use dead_letter::{DeathInfo, headers_json};
pub use error::AmqpError;
pub use publish::{
    DEAD_REASON_HEADER, REASON_HEADER, publish_dead, publish_job, publish_jobs, publish_retry,
};
pub use topology::{
    DEFAULT_DELIVERY_LIMIT, DEFAULT_PREFIX, DEFAULT_RETRY_DELAYS, Topology, WORK_ROUTING_KEY,
    declare, delete, depth, queue_depth, queue_stats,
};
