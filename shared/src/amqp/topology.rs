//! [`Topology`]: the names and arguments of Hoofbeat's exchanges and queues,
//! and [`declare`] / [`delete`] / [`queue_depth`] to manage them.
//!
//! ```text
//!  publish_job ──► {p}.jobs (direct) ──"job"──► {p}.jobs (quorum work queue) ──► worker
//!                      ▲                              │ nack(requeue=false) or
//!                      │ TTL expired                  │ delivery limit exceeded
//!                      │ (DLX = {p}.jobs, "job")      ▼
//!  publish_retry ──► {p}.retry.{n} (quorum,      {p}.dlx (fanout) ──► {p}.dead (quorum)
//!   (default exchange)  fixed x-message-ttl)          ▲
//!                                                     └── publish_dead (x-hoofbeat-reason)
//! ```
//!
//! # Decisions
//!
//! - **One work queue for all job kinds**: KEDA scales the worker on its depth,
//!   and the kind travels in the envelope ([`crate::jobs::JobMessage::kind`]).
//! - **Everything is a quorum queue**, retry tiers included. Quorum queues support
//!   `x-message-ttl` and at-least-once dead-lettering since RabbitMQ 3.10.0 (the
//!   local broker), and classic queues are not replicated (mirroring is gone in
//!   4.x): a retry tier holds real, not-yet-done jobs for up to 30 minutes, so
//!   losing it with a node would silently lose jobs. The retry tiers use
//!   `at-least-once` dead-lettering too, so an expiring message only leaves the
//!   tier once the work queue has confirmed it. Checked on 3.10.8: with the
//!   work queue unbound, an expired retry stayed in its tier (counted in
//!   `messages`, not in `messages_ready` nor in [`queue_depth`]) and reached
//!   the work queue once it was bound again (the broker's dead-letter worker
//!   retries unroutable messages about every 3 minutes).
//! - **One retry queue per delay** with a fixed `x-message-ttl`: TTL is only
//!   evaluated at the head of a queue, so mixed per-message TTLs would make a
//!   short delay wait behind a long one.
//! - **Explicit `x-delivery-limit` and DLX on the work queue**: RabbitMQ 4.x
//!   applies a default limit of 20 and *drops* messages past it when no DLX is
//!   set; 3.10 has no default. With the limit explicit, a message that crashes
//!   workers over and over (redelivered without ack) ends in `{p}.dead` on both.
//! - **The DLX is a fanout**: broker dead-lettering keeps the original routing
//!   key (`job`), [`crate::amqp::publish_dead`] uses its own; a fanout sends
//!   both to `{p}.dead` without having to keep keys in sync.
//! - **The dead queue has no DLX and no explicit delivery limit**: it is a
//!   parking lot for humans. On 4.x its default delivery limit (20) still
//!   applies, so inspect it with `basic_get` + ack/republish rather than
//!   requeueing the same message over and over.
//! - Queue arguments cannot change once a queue exists (redeclaring with other
//!   arguments fails with PRECONDITION_FAILED): changing a retry delay or the
//!   delivery limit on a live broker means draining and deleting the queue, or
//!   overriding the value with a policy.

use std::time::Duration;

use lapin::options::{
    ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions, QueueDeclareOptions,
    QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{Channel, ExchangeKind};

use super::AmqpError;

/// Routing key binding the work queue to the work exchange; also the
/// `x-dead-letter-routing-key` of the retry tiers.
pub const WORK_ROUTING_KEY: &str = "job";

/// Name prefix used in production.
pub const DEFAULT_PREFIX: &str = "hoofbeat";

/// Broker-side redelivery limit of the work queue (deliveries that were never
/// acked, e.g. because the worker crashed or its channel closed mid-job).
pub const DEFAULT_DELIVERY_LIMIT: u32 = 10;

/// Default retry delays, one retry queue per entry: 5 s, 30 s, 2 min, 10 min, 30 min.
pub const DEFAULT_RETRY_DELAYS: [Duration; 5] = [
    Duration::from_secs(5),
    Duration::from_secs(30),
    Duration::from_secs(2 * 60),
    Duration::from_secs(10 * 60),
    Duration::from_secs(30 * 60),
];

/// Longest accepted prefix: the longest derived name (`{p}.retry.{n}`) must fit
/// in an AMQP short string (255 bytes).
const MAX_PREFIX_LEN: usize = 200;

/// Largest `x-message-ttl` RabbitMQ accepts (milliseconds).
const MAX_TTL_MS: u128 = u32::MAX as u128;

/// Names and arguments of the exchanges and queues of one Hoofbeat deployment
/// (or of one test, with a unique prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    prefix: String,
    retry_delays: Vec<Duration>,
    delivery_limit: u32,
    work_exchange: String,
    work_queue: String,
    dead_letter_exchange: String,
    dead_queue: String,
    retry_queues: Vec<String>,
}

impl Topology {
    /// The topology for `prefix` with [`DEFAULT_RETRY_DELAYS`] and [`DEFAULT_DELIVERY_LIMIT`].
    pub fn new(prefix: &str) -> Result<Self, AmqpError> {
        Self::with_settings(
            prefix,
            DEFAULT_RETRY_DELAYS.to_vec(),
            DEFAULT_DELIVERY_LIMIT,
        )
    }

    /// The topology the services' configuration describes (prefix, retry
    /// delays, delivery limit), so that the API and the worker declare
    /// identical queues.
    pub fn from_config(config: &crate::config::CommonConfig) -> Result<Self, AmqpError> {
        Self::with_settings(
            &config.amqp_prefix,
            config.retry_delays.clone(),
            config.delivery_limit,
        )
    }

    /// The production topology ([`DEFAULT_PREFIX`], default delays and limit).
    pub fn production() -> Result<Self, AmqpError> {
        Self::new(DEFAULT_PREFIX)
    }

    /// The topology for `prefix` with one retry tier per delay (whole
    /// milliseconds, 1 ms to `u32::MAX` ms) and a delivery limit of at least 1.
    ///
    /// The prefix must be 1 to 200 bytes and must not start with `amq.`
    /// (reserved by the broker).
    pub fn with_settings(
        prefix: &str,
        retry_delays: Vec<Duration>,
        delivery_limit: u32,
    ) -> Result<Self, AmqpError> {
        if prefix.is_empty() || prefix.len() > MAX_PREFIX_LEN {
            return Err(AmqpError::InvalidTopology(format!(
                "the prefix must be 1 to {MAX_PREFIX_LEN} bytes long, got {} bytes",
                prefix.len()
            )));
        }
        if prefix.starts_with("amq.") {
            return Err(AmqpError::InvalidTopology(format!(
                "the prefix {prefix:?} starts with the reserved \"amq.\""
            )));
        }
        if retry_delays.is_empty() {
            return Err(AmqpError::InvalidTopology(
                "at least one retry delay is needed".to_owned(),
            ));
        }
        if let Some(bad) = retry_delays.iter().find(|d| {
            d.as_millis() == 0 || d.as_millis() > MAX_TTL_MS || d.subsec_nanos() % 1_000_000 != 0
        }) {
            return Err(AmqpError::InvalidTopology(format!(
                "retry delay {bad:?} is not a whole number of milliseconds between 1 ms and {MAX_TTL_MS} ms"
            )));
        }
        if delivery_limit == 0 {
            return Err(AmqpError::InvalidTopology(
                "the delivery limit must be at least 1".to_owned(),
            ));
        }
        let retry_queues = (0..retry_delays.len())
            .map(|n| format!("{prefix}.retry.{n}"))
            .collect();
        Ok(Self {
            prefix: prefix.to_owned(),
            retry_delays,
            delivery_limit,
            work_exchange: format!("{prefix}.jobs"),
            work_queue: format!("{prefix}.jobs"),
            dead_letter_exchange: format!("{prefix}.dlx"),
            dead_queue: format!("{prefix}.dead"),
            retry_queues,
        })
    }

    /// The name prefix.
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// `{p}.jobs`, the direct exchange jobs are published to.
    #[must_use]
    pub fn work_exchange(&self) -> &str {
        &self.work_exchange
    }

    /// `{p}.jobs`, the quorum queue the worker consumes (and KEDA watches).
    #[must_use]
    pub fn work_queue(&self) -> &str {
        &self.work_queue
    }

    /// `{p}.dlx`, the fanout dead-letter exchange.
    #[must_use]
    pub fn dead_letter_exchange(&self) -> &str {
        &self.dead_letter_exchange
    }

    /// `{p}.dead`, the quorum queue holding dead jobs.
    #[must_use]
    pub fn dead_queue(&self) -> &str {
        &self.dead_queue
    }

    /// `{p}.retry.{n}` for each tier, in tier order.
    #[must_use]
    pub fn retry_queues(&self) -> &[String] {
        &self.retry_queues
    }

    /// The delay of each retry tier, in tier order.
    #[must_use]
    pub fn retry_delays(&self) -> &[Duration] {
        &self.retry_delays
    }

    /// The work queue's `x-delivery-limit`.
    #[must_use]
    pub fn delivery_limit(&self) -> u32 {
        self.delivery_limit
    }

    /// The retry tier for a job whose attempt number `failed_attempt` just
    /// failed: `min(failed_attempt - 1, tiers - 1)`, so attempt 1 waits the
    /// first delay and every attempt past the last tier waits the longest one.
    ///
    /// Pass the attempt *before* [`crate::jobs::JobMessage::next_attempt`].
    #[must_use]
    pub fn retry_tier_for_attempt(&self, failed_attempt: u32) -> usize {
        let index = usize::try_from(failed_attempt.saturating_sub(1)).unwrap_or(usize::MAX);
        index.min(self.retry_queues.len() - 1)
    }

    /// Arguments of the work queue (see the module docs for why each is set).
    fn work_queue_arguments(&self) -> FieldTable {
        let mut args = quorum_arguments();
        args.insert(
            "x-delivery-limit".into(),
            AMQPValue::LongLongInt(i64::from(self.delivery_limit)),
        );
        args.insert(
            "x-dead-letter-exchange".into(),
            long_string(&self.dead_letter_exchange),
        );
        at_least_once_dead_lettering(&mut args);
        args
    }

    /// Arguments of the retry tier queue whose messages wait `delay`.
    fn retry_queue_arguments(&self, delay: Duration) -> FieldTable {
        let mut args = quorum_arguments();
        let ttl_ms = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
        args.insert("x-message-ttl".into(), AMQPValue::LongLongInt(ttl_ms));
        args.insert(
            "x-dead-letter-exchange".into(),
            long_string(&self.work_exchange),
        );
        args.insert(
            "x-dead-letter-routing-key".into(),
            long_string(WORK_ROUTING_KEY),
        );
        at_least_once_dead_lettering(&mut args);
        args
    }
}

fn long_string(s: &str) -> AMQPValue {
    AMQPValue::LongString(LongString::from(s))
}

fn quorum_arguments() -> FieldTable {
    let mut args = FieldTable::default();
    args.insert("x-queue-type".into(), long_string("quorum"));
    args
}

/// `at-least-once` only takes effect together with `x-overflow: reject-publish`
/// (otherwise RabbitMQ silently falls back to `at-most-once`).
fn at_least_once_dead_lettering(args: &mut FieldTable) {
    args.insert(
        "x-dead-letter-strategy".into(),
        long_string("at-least-once"),
    );
    args.insert("x-overflow".into(), long_string("reject-publish"));
}

/// A name validated by [`Topology::with_settings`] (at most 255 bytes).
fn short(name: &str) -> ShortString {
    ShortString::from(name)
}

fn durable_exchange() -> ExchangeDeclareOptions {
    ExchangeDeclareOptions {
        durable: true,
        ..ExchangeDeclareOptions::default()
    }
}

fn durable_queue() -> QueueDeclareOptions {
    QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    }
}

/// Declares (creates if missing) every exchange, queue and binding of `topology`.
///
/// Idempotent: declaring again with the same topology is a no-op. Declaring
/// with *different* queue arguments than an existing queue fails with
/// PRECONDITION_FAILED and closes the channel (see the module docs).
pub async fn declare(channel: &Channel, topology: &Topology) -> Result<(), AmqpError> {
    // Exchanges and the dead queue first, so that no queue ever dead-letters
    // into a missing exchange.
    channel
        .exchange_declare(
            short(&topology.dead_letter_exchange),
            ExchangeKind::Fanout,
            durable_exchange(),
            FieldTable::default(),
        )
        .await
        .map_err(AmqpError::broker(format!(
            "declare exchange {}",
            topology.dead_letter_exchange
        )))?;
    channel
        .exchange_declare(
            short(&topology.work_exchange),
            ExchangeKind::Direct,
            durable_exchange(),
            FieldTable::default(),
        )
        .await
        .map_err(AmqpError::broker(format!(
            "declare exchange {}",
            topology.work_exchange
        )))?;
    declare_queue(channel, &topology.dead_queue, quorum_arguments()).await?;
    bind(
        channel,
        &topology.dead_queue,
        &topology.dead_letter_exchange,
        "",
    )
    .await?;
    declare_queue(
        channel,
        &topology.work_queue,
        topology.work_queue_arguments(),
    )
    .await?;
    bind(
        channel,
        &topology.work_queue,
        &topology.work_exchange,
        WORK_ROUTING_KEY,
    )
    .await?;
    for (queue, delay) in topology.retry_queues.iter().zip(&topology.retry_delays) {
        // Retry tiers are reached through the default exchange: no binding.
        declare_queue(channel, queue, topology.retry_queue_arguments(*delay)).await?;
    }
    Ok(())
}

async fn declare_queue(channel: &Channel, name: &str, args: FieldTable) -> Result<(), AmqpError> {
    channel
        .queue_declare(short(name), durable_queue(), args)
        .await
        .map(drop)
        .map_err(AmqpError::broker(format!("declare queue {name}")))
}

async fn bind(
    channel: &Channel,
    queue: &str,
    exchange: &str,
    routing_key: &str,
) -> Result<(), AmqpError> {
    channel
        .queue_bind(
            short(queue),
            short(exchange),
            short(routing_key),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .map_err(AmqpError::broker(format!(
            "bind queue {queue} to exchange {exchange}"
        )))
}

/// Deletes every queue and exchange of `topology`, messages included (for
/// tests and tear-downs). Deleting what does not exist is not an error.
pub async fn delete(channel: &Channel, topology: &Topology) -> Result<(), AmqpError> {
    let queues = [&topology.work_queue, &topology.dead_queue]
        .into_iter()
        .chain(&topology.retry_queues);
    for queue in queues {
        channel
            .queue_delete(short(queue), QueueDeleteOptions::default())
            .await
            .map_err(AmqpError::broker(format!("delete queue {queue}")))?;
    }
    for exchange in [&topology.work_exchange, &topology.dead_letter_exchange] {
        channel
            .exchange_delete(short(exchange), ExchangeDeleteOptions::default())
            .await
            .map_err(AmqpError::broker(format!("delete exchange {exchange}")))?;
    }
    Ok(())
}

/// Number of *ready* messages in queue `name` (not counting deliveries a
/// consumer holds unacked), read with a passive declare.
///
/// If the queue does not exist the broker answers NOT_FOUND **and closes the
/// channel**: use a dedicated channel (e.g. for `/readyz`), not a publishing one.
pub async fn queue_depth(channel: &Channel, name: &str) -> Result<u32, AmqpError> {
    queue_stats(channel, name).await.map(|(ready, _)| ready)
}

/// Ready messages and consumers of queue `name` (passive declare: fails if
/// the queue does not exist; unacknowledged messages are not counted).
pub async fn queue_stats(channel: &Channel, name: &str) -> Result<(u32, u32), AmqpError> {
    let queue_name = ShortString::try_new(name).map_err(|_| AmqpError::PropertyTooLong {
        property: "queue name",
        len: name.len(),
    })?;
    channel
        .queue_declare(
            queue_name,
            QueueDeclareOptions {
                passive: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .map(|queue| (queue.message_count(), queue.consumer_count()))
        .map_err(AmqpError::broker(format!(
            "passive declare of queue {name}"
        )))
}

/// Ready messages in the work queue of `topology` (see [`queue_depth`]).
pub async fn depth(channel: &Channel, topology: &Topology) -> Result<u32, AmqpError> {
    queue_depth(channel, &topology.work_queue).await
}
