//! Confirmed publishing of [`JobMessage`]s: [`publish_job`] and
//! [`publish_jobs`] (new jobs, one or a pipelined batch),
//! [`publish_retry`] (to a delay tier) and [`publish_dead`] (to the DLX).
//!
//! Every publish is persistent, `mandatory`, and waits for the broker's
//! confirm: `Ok(())` means the broker has stored the message in a queue
//! (for quorum queues: on a majority of nodes). That is what lets the outbox
//! relay delete its row, and the worker ack the original delivery only after
//! its retry or dead copy is safe.

use std::time::Duration;

use chrono::Utc;
use lapin::options::BasicPublishOptions;
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{BasicProperties, Channel, Confirmation, PublisherConfirm};
use tracing::Instrument;

use super::{AmqpError, Topology, WORK_ROUTING_KEY};
use crate::jobs::JobMessage;

/// Header carrying why a job was dead-lettered by the worker.
pub const REASON_HEADER: &str = "x-hoofbeat-reason";

/// Header carrying the [`crate::jobs::DeadReason`] code of a job the worker
/// gave up on, so the dead-letter consumer can record it even if the worker
/// could not.
pub const DEAD_REASON_HEADER: &str = "x-hoofbeat-dead-reason";

/// AMQP `delivery_mode` of persistent messages.
const PERSISTENT: u8 = 2;

/// Publishes a new job to the work exchange (routing key [`WORK_ROUTING_KEY`])
/// and waits up to `timeout` for the broker's confirm.
pub async fn publish_job(
    channel: &Channel,
    topology: &Topology,
    msg: &JobMessage,
    timeout: Duration,
) -> Result<(), AmqpError> {
    publish_confirmed(
        channel,
        topology.work_exchange(),
        WORK_ROUTING_KEY,
        msg,
        None,
        timeout,
    )
    .await
}

/// Publishes `msg` (whose attempt the caller already incremented, see
/// [`JobMessage::next_attempt`]) to retry tier `tier` through the default
/// exchange; after the tier's delay the broker moves it back to the work queue.
///
/// Pick the tier with [`Topology::retry_tier_for_attempt`].
pub async fn publish_retry(
    channel: &Channel,
    topology: &Topology,
    msg: &JobMessage,
    tier: usize,
    timeout: Duration,
) -> Result<(), AmqpError> {
    let queue = topology
        .retry_queues()
        .get(tier)
        .ok_or(AmqpError::NoSuchRetryTier {
            tier,
            tiers: topology.retry_queues().len(),
        })?;
    publish_confirmed(channel, "", queue, msg, None, timeout).await
}

/// Publishes `msg` to the dead-letter exchange with `reason` in the
/// [`REASON_HEADER`] header and the reason's code in [`DEAD_REASON_HEADER`],
/// for a job that failed for good.
pub async fn publish_dead(
    channel: &Channel,
    topology: &Topology,
    msg: &JobMessage,
    code: crate::jobs::DeadReason,
    reason: &str,
    timeout: Duration,
) -> Result<(), AmqpError> {
    let mut headers = FieldTable::default();
    headers.insert(
        REASON_HEADER.into(),
        AMQPValue::LongString(LongString::from(reason)),
    );
    headers.insert(
        DEAD_REASON_HEADER.into(),
        AMQPValue::LongString(LongString::from(code.code())),
    );
    publish_confirmed(
        channel,
        topology.dead_letter_exchange(),
        WORK_ROUTING_KEY,
        msg,
        Some(headers),
        timeout,
    )
    .await
}

/// The properties every job message carries: persistent, JSON, `message_id`
/// = job id (for deduplication and tracing in the management UI), `type` = kind.
fn properties(msg: &JobMessage, headers: Option<FieldTable>) -> Result<BasicProperties, AmqpError> {
    let kind = ShortString::try_new(msg.kind.as_str()).map_err(|_| AmqpError::PropertyTooLong {
        property: "type",
        len: msg.kind.len(),
    })?;
    let properties = BasicProperties::default()
        .with_delivery_mode(PERSISTENT)
        .with_content_type("application/json".into())
        .with_message_id(msg.job_id.to_string().into())
        .with_type(kind)
        .with_timestamp(u64::try_from(Utc::now().timestamp()).unwrap_or_default());
    Ok(match headers {
        Some(headers) => properties.with_headers(headers),
        None => properties,
    })
}

/// Publishes new jobs to the work exchange with their confirms pipelined:
/// every message is sent before the first confirm is awaited, so a batch
/// costs one round trip to the broker instead of one per message. Returns
/// one result per message, in order; all of them are settled within
/// `timeout` of the call (a message not confirmed by then is a
/// [`AmqpError::Timeout`] — it may still have been stored, and a republish
/// of the same job is harmless).
pub async fn publish_jobs(
    channel: &Channel,
    topology: &Topology,
    msgs: &[JobMessage],
    timeout: Duration,
) -> Vec<Result<(), AmqpError>> {
    let deadline = tokio::time::Instant::now() + timeout;
    let exchange = topology.work_exchange();
    let traced: Vec<(tracing::Span, Option<JobMessage>)> =
        msgs.iter().map(|msg| publish_span(exchange, msg)).collect();
    let mut sent = Vec::with_capacity(msgs.len());
    for (msg, (span, relinked)) in msgs.iter().zip(&traced) {
        let msg = relinked.as_ref().unwrap_or(msg);
        let send = send(channel, exchange, WORK_ROUTING_KEY, msg, None).instrument(span.clone());
        sent.push(match tokio::time::timeout_at(deadline, send).await {
            Ok(result) => result,
            Err(_) => Err(timed_out(exchange, WORK_ROUTING_KEY, msg, timeout)),
        });
    }
    let mut results = Vec::with_capacity(msgs.len());
    for ((msg, (span, relinked)), sent) in msgs.iter().zip(&traced).zip(sent) {
        let msg = relinked.as_ref().unwrap_or(msg);
        let result = match sent {
            Ok(confirm) => {
                match tokio::time::timeout_at(deadline, confirm.instrument(span.clone())).await {
                    Ok(confirmation) => {
                        settle(channel, exchange, WORK_ROUTING_KEY, msg, confirmation)
                    }
                    Err(_) => Err(timed_out(exchange, WORK_ROUTING_KEY, msg, timeout)),
                }
            }
            Err(e) => Err(e),
        };
        results.push(result);
    }
    results
}

/// The producer span of one message of [`publish_jobs`]: from the send to
/// the broker's confirm, a child of the trace the message carries (the
/// request that created the job). The message then goes out carrying this
/// span's context instead, so the worker's span is the publish span's child
/// and the trace reads request → publish → job. Without trace context (or
/// without the `telemetry` feature) the message is sent as it is.
fn publish_span(exchange: &str, msg: &JobMessage) -> (tracing::Span, Option<JobMessage>) {
    let span = tracing::info_span!(
        "publish",
        otel.kind = "producer",
        messaging.system = "rabbitmq",
        messaging.destination.name = exchange,
        job_id = %msg.job_id,
        kind = %msg.kind,
        attempt = msg.attempt,
    );
    #[cfg(feature = "telemetry")]
    if crate::telemetry::set_parent_from(&span, &msg.trace_context) {
        let carrier = crate::telemetry::inject_context(&span);
        if crate::jobs::trace_id(&carrier).is_some() {
            let mut relinked = msg.clone();
            relinked.trace_context = carrier;
            return (span, Some(relinked));
        }
    }
    (span, None)
}

fn describe(exchange: &str, routing_key: &str, msg: &JobMessage) -> String {
    format!(
        "publish message {} to exchange {exchange:?} with routing key {routing_key:?}",
        msg.job_id
    )
}

fn timed_out(exchange: &str, routing_key: &str, msg: &JobMessage, after: Duration) -> AmqpError {
    AmqpError::Timeout {
        operation: describe(exchange, routing_key, msg),
        after,
    }
}

/// Sends one persistent, mandatory message; the returned future resolves to
/// the broker's confirm.
async fn send(
    channel: &Channel,
    exchange: &str,
    routing_key: &str,
    msg: &JobMessage,
    headers: Option<FieldTable>,
) -> Result<PublisherConfirm, AmqpError> {
    // Refuse before sending: on a channel without confirms the message would
    // be published and nothing would tell whether the broker kept it.
    if !channel.status().confirm() {
        return Err(AmqpError::NotConfirmMode {
            channel_id: channel.id(),
            message_id: msg.job_id.to_string(),
        });
    }
    let properties = properties(msg, headers)?;
    channel
        .basic_publish(
            exchange.into(),
            routing_key.into(),
            BasicPublishOptions {
                // Unroutable messages come back (Ack with the returned
                // message) instead of being silently dropped.
                mandatory: true,
                ..BasicPublishOptions::default()
            },
            &msg.to_bytes(),
            properties,
        )
        .await
        .map_err(AmqpError::broker(describe(exchange, routing_key, msg)))
}

/// What the broker's answer to one publish means.
fn settle(
    channel: &Channel,
    exchange: &str,
    routing_key: &str,
    msg: &JobMessage,
    confirmation: lapin::Result<Confirmation>,
) -> Result<(), AmqpError> {
    let message_id = msg.job_id.to_string();
    match confirmation.map_err(AmqpError::broker(describe(exchange, routing_key, msg)))? {
        Confirmation::Ack(None) => Ok(()),
        Confirmation::Ack(Some(returned)) => Err(AmqpError::Unroutable {
            message_id,
            exchange: exchange.to_owned(),
            routing_key: routing_key.to_owned(),
            reply: format!("{} {}", returned.reply_code, returned.reply_text),
        }),
        Confirmation::Nack(_) => Err(AmqpError::Nacked {
            message_id,
            exchange: exchange.to_owned(),
        }),
        Confirmation::NotRequested => Err(AmqpError::NotConfirmMode {
            channel_id: channel.id(),
            message_id,
        }),
    }
}

async fn publish_confirmed(
    channel: &Channel,
    exchange: &str,
    routing_key: &str,
    msg: &JobMessage,
    headers: Option<FieldTable>,
    timeout: Duration,
) -> Result<(), AmqpError> {
    let publish = async {
        let confirm = send(channel, exchange, routing_key, msg, headers).await?;
        Ok(settle(channel, exchange, routing_key, msg, confirm.await))
    };
    tokio::time::timeout(timeout, publish)
        .await
        .map_err(|_| timed_out(exchange, routing_key, msg, timeout))?
        .and_then(|settled| settled)
}
