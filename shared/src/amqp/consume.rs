//! [`consume_jobs`] (the work queue) and [`consume_dead_letters`] (the dead
//! queue): manual-ack consumers with a per-consumer prefetch.

use lapin::options::{BasicConsumeOptions, BasicQosOptions};
use lapin::types::{FieldTable, ShortString};
use lapin::{Channel, Consumer};

use super::{AmqpError, Topology};

/// Sets a per-consumer prefetch of `prefetch` on `channel` and starts a
/// manual-ack consumer on the work queue.
///
/// The prefetch is per consumer (`global = false`) because quorum queues
/// reject global QoS. Ack (or nack) each delivery as soon as its outcome is
/// decided — never hold one to delay work: the broker's `consumer_timeout`
/// (30 min by default) closes the channel of a delivery left unacked.
pub async fn consume_jobs(
    channel: &Channel,
    topology: &Topology,
    prefetch: u16,
    consumer_tag: &str,
) -> Result<Consumer, AmqpError> {
    consume(channel, topology.work_queue(), prefetch, consumer_tag).await
}

/// A manual-ack consumer on the dead queue `{p}.dead`, for reconciling dead
/// letters with their jobs (same prefetch rules as [`consume_jobs`]).
pub async fn consume_dead_letters(
    channel: &Channel,
    topology: &Topology,
    prefetch: u16,
    consumer_tag: &str,
) -> Result<Consumer, AmqpError> {
    consume(channel, topology.dead_queue(), prefetch, consumer_tag).await
}

async fn consume(
    channel: &Channel,
    queue: &str,
    prefetch: u16,
    consumer_tag: &str,
) -> Result<Consumer, AmqpError> {
    channel
        .basic_qos(prefetch, BasicQosOptions { global: false })
        .await
        .map_err(AmqpError::broker(format!("set a prefetch of {prefetch}")))?;
    let tag = ShortString::try_new(consumer_tag).map_err(|_| AmqpError::PropertyTooLong {
        property: "consumer tag",
        len: consumer_tag.len(),
    })?;
    channel
        .basic_consume(
            ShortString::from(queue),
            tag,
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .map_err(AmqpError::broker(format!("consume queue {queue}")))
}
