//! [`AmqpError`], the error of every helper in [`crate::amqp`].

use std::time::Duration;

/// Why an AMQP helper failed.
///
/// Every variant names the operation, so that one log line is enough to tell
/// a broker that is down from a message the broker refused.
#[derive(Debug, thiserror::Error)]
pub enum AmqpError {
    /// A [`crate::amqp::Topology`] was built with invalid settings.
    #[error("invalid AMQP topology: {0}")]
    InvalidTopology(String),
    /// The operation did not finish in time (broker unreachable, blocked by a
    /// resource alarm, or too slow to confirm). For a publish the outcome is
    /// unknown: the message may or may not be stored, so republishing can
    /// duplicate it (consumers deduplicate on the job id).
    #[error("{operation} timed out after {after:?}")]
    Timeout {
        /// What was attempted, e.g. "connect to the broker".
        operation: String,
        /// The timeout that expired.
        after: Duration,
    },
    /// The broker or the connection reported an error. The lapin error is
    /// part of the message (not a `source`) so that one log line says it all.
    #[error("{operation} failed: {error}")]
    Broker {
        /// What was attempted, e.g. "declare queue hoofbeat.jobs".
        operation: String,
        /// The client's error (an AMQP reply such as PRECONDITION_FAILED, or an IO error).
        error: lapin::Error,
    },
    /// The broker refused to take responsibility for a published message
    /// (e.g. a queue with `x-overflow: reject-publish` is full). The message
    /// may still have been stored in *other* queues it was routed to, so a
    /// republish can duplicate it: consumers deduplicate on the job id.
    #[error("broker nacked message {message_id} published to exchange {exchange:?}")]
    Nacked {
        /// AMQP `message_id` (the job id).
        message_id: String,
        /// Exchange the message was published to ("" = default exchange).
        exchange: String,
    },
    /// The message was published as mandatory but no queue was bound for it:
    /// the broker returned it and it was *not* stored.
    #[error(
        "message {message_id} could not be routed from exchange {exchange:?} with routing key {routing_key:?}: {reply}"
    )]
    Unroutable {
        /// AMQP `message_id` (the job id).
        message_id: String,
        /// Exchange the message was published to ("" = default exchange).
        exchange: String,
        /// Routing key of the publish.
        routing_key: String,
        /// The broker's reply code and text (e.g. "312 NO_ROUTE").
        reply: String,
    },
    /// A publish was made on a channel without publisher confirms, so nothing
    /// proves the broker stored the message. Use [`crate::amqp::confirm_channel`].
    #[error(
        "channel {channel_id} is not in confirm mode: publish of message {message_id} is unconfirmed"
    )]
    NotConfirmMode {
        /// The channel's id.
        channel_id: u16,
        /// AMQP `message_id` (the job id).
        message_id: String,
    },
    /// A property of the message does not fit in an AMQP short string (255 bytes).
    #[error("message property {property} is too long for AMQP ({len} bytes, max 255)")]
    PropertyTooLong {
        /// The property, e.g. "type".
        property: &'static str,
        /// Its length in bytes.
        len: usize,
    },
    /// A retry tier index beyond the topology's tiers.
    #[error("retry tier {tier} does not exist (the topology has {tiers} tiers)")]
    NoSuchRetryTier {
        /// The requested tier index (0-based).
        tier: usize,
        /// Number of tiers of the topology.
        tiers: usize,
    },
}

impl AmqpError {
    /// Wraps a lapin error with the operation it interrupted.
    pub(crate) fn broker(operation: impl Into<String>) -> impl FnOnce(lapin::Error) -> Self {
        let operation = operation.into();
        move |error| Self::Broker { operation, error }
    }
}
