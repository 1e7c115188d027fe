//! The outbox relay: publishes committed outbox rows to RabbitMQ with
//! publisher confirms and marks them published only after the broker's ack.
//!
//! It wakes on `NOTIFY hoofbeat_outbox` (sent by a trigger on insert), when
//! the next row that waits (`available_at`, a debounced trend job) is due, and
//! polls as a fallback, so a lost notification only delays a job. While the
//! broker is unreachable it backs off and retries; rows stay in the outbox,
//! so nothing is lost. Rows are claimed with `FOR UPDATE SKIP LOCKED`, so
//! several API replicas can relay side by side. A crash between the broker's
//! ack and the commit republishes the same message (same `message_id` = job
//! id): delivery is at-least-once and the worker's effects are idempotent.
//!
//! - this module: the relay's loop, its broker connection, the confirms and
//!   the "published" mark both paths share;
//! - [`claim`]: the claim path (due rows, in batches);
//! - [`direct`]: rows the upload handlers hand over after their commit.

use sqlx::AssertSqlSafe;
use std::time::Duration;

use lapin::{Channel, Connection};
use shared::amqp::{self, Topology};
use sqlx::postgres::PgListener;
use tokio_util::sync::CancellationToken;

use crate::state::AppState;

mod claim;
mod direct;

use claim::drain;
pub use claim::prepare;
pub use direct::DirectLane;

/// Rows claimed (and published as one pipelined batch) per transaction.
const BATCH: i64 = 256;
/// Under a burst, a wake waits until this long after the previous pass
/// that published something before it claims (issue 11): the uploads of
/// those few milliseconds then share one claim, one round of confirms and
/// one mark, instead of a transaction each. A wake after a quiet spell
/// (the previous pass longer ago, or empty) claims at once, so an idle
/// system's commit → start latency pays nothing.
const COALESCE: Duration = Duration::from_millis(5);
/// Published rows are kept this long for inspection, then deleted.
const KEEP_PUBLISHED: &str = "7 days";

/// Exponential backoff with a cap.
#[derive(Debug)]
struct Backoff {
    next: Duration,
    min: Duration,
    max: Duration,
}

impl Backoff {
    fn new(min: Duration, max: Duration) -> Self {
        Self {
            next: min,
            min,
            max,
        }
    }
    fn step(&mut self) -> Duration {
        let now = self.next;
        self.next = (self.next * 2).min(self.max);
        now
    }
    fn reset(&mut self) {
        self.next = self.min;
    }
}

enum DrainError {
    Broker(amqp::AmqpError),
    Database(sqlx::Error),
}

impl From<sqlx::Error> for DrainError {
    fn from(e: sqlx::Error) -> Self {
        DrainError::Database(e)
    }
}

struct Broker {
    connection: Connection,
    channel: Channel,
}

async fn open_broker(state: &AppState, topology: &Topology) -> Result<Broker, amqp::AmqpError> {
    let common = &state.config.common;
    let (connection, channel) = amqp::open(&common.amqp_url, common.amqp_timeout, topology).await?;
    Ok(Broker {
        connection,
        channel,
    })
}

/// What the broker answered for a published batch.
struct Confirms {
    /// Rows the broker confirmed.
    published: Vec<i64>,
    /// Rows it did not.
    refused: Vec<i64>,
    /// The first refusal's cause.
    failure: Option<amqp::AmqpError>,
}

/// Sorts a batch's rows by the broker's answer to each.
fn sort_confirms(ids: Vec<i64>, results: Vec<Result<(), amqp::AmqpError>>) -> Confirms {
    let mut confirms = Confirms {
        published: Vec::with_capacity(ids.len()),
        refused: Vec::new(),
        failure: None,
    };
    for (id, result) in ids.into_iter().zip(results) {
        match result {
            Ok(()) => confirms.published.push(id),
            Err(e) => {
                confirms.refused.push(id);
                confirms.failure.get_or_insert(e);
            }
        }
    }
    confirms
}

/// Marks confirmed rows published. Committed without waiting for the WAL
/// flush (this transaction only): losing the mark in a database crash
/// republishes the rows, which the worker's idempotent effects absorb, and
/// the relay's batches do not queue behind a disk flush each.
async fn mark_published<'e>(db: impl sqlx::PgExecutor<'e>, ids: &[i64]) -> Result<(), sqlx::Error> {
    sqlx::query(
        "WITH quick_commit AS (SELECT set_config('synchronous_commit', 'off', true))
         UPDATE outbox SET published_at = now() FROM quick_commit WHERE id = ANY($1)",
    )
    .bind(ids)
    .execute(db)
    .await
    .map(|_| ())
}

/// The ids of the rows the relay published lately. The insert trigger's
/// `NOTIFY` names the row (its id as the payload), and a notification can
/// reach the relay after a pass already published that row (the row is
/// visible to the claim as soon as it commits; its notification travels
/// over the listener's connection). Under a burst nearly every
/// notification came late and woke a claim that found nothing (measured:
/// 28 rows a pass, then one empty claim per row); a notification naming a
/// row published here is now skipped. Anything else (another relay's row,
/// a payload that is not an id) still wakes the relay: skipping is only
/// ever for rows known to be published.
#[derive(Debug, Default)]
struct Published {
    ids: std::collections::HashSet<i64>,
    order: std::collections::VecDeque<i64>,
}

impl Published {
    /// Rows remembered: far more than the rows published while one
    /// notification is in flight.
    const KEEP: usize = 8192;

    fn remember(&mut self, ids: &[i64]) {
        for &id in ids {
            if self.ids.insert(id) {
                self.order.push_back(id);
            }
        }
        while self.order.len() > Self::KEEP {
            if let Some(old) = self.order.pop_front() {
                self.ids.remove(&old);
            }
        }
    }

    /// True when the notification names a row this relay has published.
    fn covers(&self, payload: &str) -> bool {
        payload
            .parse::<i64>()
            .is_ok_and(|id| self.ids.contains(&id))
    }
}

async fn listen(state: &AppState) -> Option<PgListener> {
    let mut listener = PgListener::connect_with(&state.db).await.ok()?;
    listener.listen("hoofbeat_outbox").await.ok()?;
    Some(listener)
}

/// Sleeps unless cancelled first; false when cancelled.
async fn pause(stop: &CancellationToken, d: Duration) -> bool {
    tokio::select! {
        () = stop.cancelled() => false,
        () = tokio::time::sleep(d) => true,
    }
}

/// Runs the relay until `stop` is cancelled.
pub async fn run(state: AppState, topology: Topology, stop: CancellationToken) {
    let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(30));
    let mut broker: Option<Broker> = None;
    let mut listener: Option<PgListener> = None;
    let mut last_cleanup = tokio::time::Instant::now();
    // When the last pass that published something ended (see COALESCE).
    let mut last_published: Option<tokio::time::Instant> = None;
    let mut published = Published::default();
    // Rows the upload handlers hand over (direct publishing); none when
    // another relay of this process already took the lane.
    let mut lane = state.direct.take_receiver();
    tracing::info!(exchange = %topology.work_exchange(), "outbox relay started");
    'relay: while !stop.is_cancelled() {
        if broker
            .as_ref()
            .is_some_and(|b| !b.connection.status().connected())
        {
            broker = None;
        }
        let current = match broker.take() {
            Some(b) => b,
            None => match open_broker(&state, &topology).await {
                Ok(b) => {
                    tracing::info!("outbox relay connected to the broker");
                    backoff.reset();
                    b
                }
                Err(e) => {
                    state.broker.set_connected(false);
                    let wait = backoff.step();
                    tracing::warn!(
                        error = %e,
                        retry_in_ms = wait.as_millis() as u64,
                        "broker unreachable; uploads are kept in the outbox (start RabbitMQ with: rabbitmq-server -detached)"
                    );
                    if !pause(&stop, wait).await {
                        break;
                    }
                    continue;
                }
            },
        };
        state.broker.set_connected(true);
        // After the broker: its connection declares the queues, which must
        // not wait for a database connection (and its warm-up). Rows
        // committed before the LISTEN are found by the pass below.
        if listener.is_none() {
            listener = listen(&state).await;
        }
        if let Some(wait) = last_published.and_then(|t| COALESCE.checked_sub(t.elapsed()))
            && !pause(&stop, wait).await
        {
            break;
        }
        // Every notification already here is for a committed row, which
        // the claim below sees: answered by this pass, none of them may
        // wake another (measured: without this, 28 rows a pass but 27
        // empty passes for each, one per notification that arrived while
        // the relay waited or published).
        if let Some(l) = listener.as_mut() {
            while l.next_buffered().is_some() {}
        }
        let mut poll = state.config.outbox_poll;
        match drain(&state, &current, &topology).await {
            Ok(drained) => {
                published.remember(&drained.ids);
                if drained.published > 0 {
                    last_published = Some(tokio::time::Instant::now());
                    tracing::debug!(published = drained.published, "outbox drained");
                }
                if let Some(due) = drained.next_due {
                    poll = poll.min(due);
                }
                broker = Some(current);
                backoff.reset();
            }
            Err(DrainError::Broker(e)) => {
                state.broker.set_connected(false);
                let wait = backoff.step();
                tracing::warn!(error = %e, retry_in_ms = wait.as_millis() as u64, "publish failed; reconnecting");
                let _ = current.connection.close(0, "publish failed".into()).await;
                if !pause(&stop, wait).await {
                    break;
                }
                continue;
            }
            Err(DrainError::Database(e)) => {
                broker = Some(current);
                let wait = backoff.step();
                tracing::warn!(error = %e, retry_in_ms = wait.as_millis() as u64, "outbox unreadable; database unavailable?");
                listener = None;
                if !pause(&stop, wait).await {
                    break;
                }
                continue;
            }
        }
        if last_cleanup.elapsed() > Duration::from_secs(3600) {
            last_cleanup = tokio::time::Instant::now();
            let _ = sqlx::query(AssertSqlSafe(format!(
                "DELETE FROM outbox WHERE published_at < now() - interval '{KEEP_PUBLISHED}'"
            )))
            .execute(&state.db)
            .await;
            state.login_limiter.shrink();
            state.register_limiter.shrink();
        }
        let wake_at = tokio::time::Instant::now() + poll;
        // Handed-over rows are published in this inner loop, without a
        // pass; a notification, the poll or the next due row ends it.
        loop {
            tokio::select! {
                () = stop.cancelled() => break 'relay,
                () = tokio::time::sleep_until(wake_at) => break,
                Some(rows) = async {
                    match lane.as_mut() {
                        Some(l) => {
                            let first = l.recv().await?;
                            Some(direct::collect(first, l))
                        }
                        None => std::future::pending().await,
                    }
                } => {
                    let Some(b) = broker.as_ref() else {
                        // No broker connection: the next pass claims them.
                        direct::make_due(&state, rows).await;
                        break;
                    };
                    match direct::publish(&state, &b.channel, &topology, rows).await {
                        Ok(done) if done.to_claim == 0 => {
                            tracing::debug!(published = done.published, "handed-over rows published");
                            continue;
                        }
                        // Rows handed back to the claim: a pass now.
                        Ok(_) => break,
                        Err(DrainError::Broker(e)) => {
                            tracing::warn!(error = %e, "direct publish failed; reconnecting");
                            state.broker.set_connected(false);
                            if let Some(b) = broker.take() {
                                let _ = b.connection.close(0, "publish failed".into()).await;
                            }
                            break;
                        }
                        Err(DrainError::Database(e)) => {
                            tracing::warn!(error = %e, "direct publish not marked; a relay republishes it when its lease runs out");
                            break;
                        }
                    }
                }
                received = async {
                    match listener.as_mut() {
                        // Returns once a notification names a row not yet
                        // published here; one pass answers every notification
                        // already buffered, so a burst of uploads wakes the
                        // relay once, not once per row.
                        Some(l) => loop {
                            let first = l.recv().await?;
                            let mut new_row = !published.covers(first.payload());
                            while let Some(n) = l.next_buffered() {
                                new_row |= !published.covers(n.payload());
                            }
                            if new_row {
                                break Ok::<(), sqlx::Error>(());
                            }
                        },
                        None => std::future::pending().await,
                    }
                } => {
                    if received.is_err() {
                        listener = None;
                    }
                    break;
                }
            }
        }
    }
    if let Some(b) = broker {
        // The HTTP server has drained: what was handed over last goes out
        // now rather than when its lease runs out.
        if let Some(l) = lane.as_mut() {
            let mut rows = Vec::new();
            while let Ok(row) = l.try_recv() {
                rows.push(row);
            }
            if !rows.is_empty() {
                let _ = direct::publish(&state, &b.channel, &topology, rows).await;
            }
        }
        let _ = b.connection.close(0, "shutting down".into()).await;
    }
    state.broker.set_connected(false);
    tracing::info!("outbox relay stopped");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_rows_are_remembered_within_a_bound() {
        let mut p = Published::default();
        assert!(!p.covers("1"), "nothing published yet");
        p.remember(&[1, 2, 3]);
        assert!(p.covers("2"));
        assert!(!p.covers("4"), "a row not published here wakes the relay");
        assert!(!p.covers(""), "a payload that is no id wakes the relay");
        assert!(!p.covers("x"));
        let many: Vec<i64> = (10..10 + Published::KEEP as i64).collect();
        p.remember(&many);
        assert!(!p.covers("1"), "the oldest are forgotten");
        assert!(p.covers(&(9 + Published::KEEP as i64).to_string()));
        assert_eq!(p.ids.len(), Published::KEEP);
        assert_eq!(p.order.len(), Published::KEEP);
    }
}
