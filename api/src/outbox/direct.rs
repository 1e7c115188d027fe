//! Direct publishing (issue 11's commit → start latency): the API that took
//! an upload hands the job's outbox row to its own relay right after the
//! commit, and the relay publishes it at once, with no notification, claim
//! or transaction on the way. Without it, an idle system's job waited ≈ 1 ms
//! for the relay's wake (the `NOTIFY` over the listener's connection, a
//! `BEGIN`, the claim).
//!
//! The row is `direct` and inserted with `available_at` one lease ahead
//! (`HOOFBEAT_OUTBOX_DIRECT_LEASE_MS`), so it wakes no relay and no claim
//! takes it while the lease runs. If the API dies before the broker
//! confirmed it, any relay publishes it once the lease has run out; if the
//! broker refuses it, it is made due at once and the relay retries it as
//! any other row. At-least-once either way: a relay may republish a message
//! whose confirm was slower than the lease, which the worker's idempotent
//! effects absorb.

use std::sync::Mutex;
use std::time::Duration;

use lapin::Channel;
use shared::amqp::{self, Topology};
use shared::jobs::JobMessage;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{Confirms, DrainError, mark_published, sort_confirms};
use crate::state::AppState;

/// Rows waiting for the relay: far more than a burst hands over while one
/// batch is confirmed. A full lane drops the hand-over; the lease covers it.
const CAPACITY: usize = 8192;

/// An outbox row handed over after its commit.
pub(super) struct DirectRow {
    id: i64,
    message: serde_json::Value,
    handed_at: Instant,
}

/// The hand-over from the upload handlers to this process's relay.
pub struct DirectLane {
    lease: Duration,
    sender: mpsc::Sender<DirectRow>,
    receiver: Mutex<Option<mpsc::Receiver<DirectRow>>>,
}

impl DirectLane {
    /// A lane for rows leased for `lease` (zero: direct publishing is off).
    pub fn new(lease: Duration) -> Self {
        let (sender, receiver) = mpsc::channel(CAPACITY);
        Self {
            lease,
            sender,
            receiver: Mutex::new(Some(receiver)),
        }
    }

    /// Hands a committed `direct` row to the relay. Never waits: when the
    /// lane is full or no relay runs, a relay publishes the row once its
    /// lease has run out.
    pub fn hand_over(&self, id: i64, message: &serde_json::Value) {
        if self.lease.is_zero() {
            return;
        }
        let row = DirectRow {
            id,
            message: message.clone(),
            handed_at: Instant::now(),
        };
        if self.sender.try_send(row).is_err() {
            tracing::debug!(
                outbox_id = id,
                "direct lane full; published when its lease runs out"
            );
        }
    }

    /// The relay's end of the lane (once per process).
    pub(super) fn take_receiver(&self) -> Option<mpsc::Receiver<DirectRow>> {
        self.receiver.lock().ok()?.take()
    }
}

/// Takes `first` and whatever else is waiting in the lane, up to a batch.
pub(super) fn collect(first: DirectRow, lane: &mut mpsc::Receiver<DirectRow>) -> Vec<DirectRow> {
    let mut rows = vec![first];
    while rows.len() < super::BATCH as usize {
        match lane.try_recv() {
            Ok(row) => rows.push(row),
            Err(_) => break,
        }
    }
    rows
}

/// Publishes handed-over rows with pipelined confirms, then marks the
/// confirmed ones published (without waiting for the WAL flush, as the
/// relay's marks). A row that waited in the lane for half its lease or more
/// (the broker was down meanwhile) is not published here but made due, so
/// that exactly one path takes it: the relay's claim. Rows the broker
/// refused are made due too, and the error is returned (the relay
/// reconnects).
pub(super) async fn publish(
    state: &AppState,
    channel: &Channel,
    topology: &Topology,
    rows: Vec<DirectRow>,
) -> Result<Outcome, DrainError> {
    let half_lease = state.config.outbox_direct_lease / 2;
    let mut ids = Vec::with_capacity(rows.len());
    let mut messages = Vec::with_capacity(rows.len());
    let mut to_claim = Vec::new();
    for row in rows {
        match serde_json::from_value::<JobMessage>(row.message) {
            Ok(m) if row.handed_at.elapsed() < half_lease => {
                ids.push(row.id);
                messages.push(m);
            }
            // Late, or (impossible: this process encoded it) undecodable:
            // the claim path publishes it or sets it aside.
            _ => to_claim.push(row.id),
        }
    }
    let timeout = state.config.common.amqp_timeout;
    let results = amqp::publish_jobs(channel, topology, &messages, timeout).await;
    let Confirms {
        published,
        refused,
        failure,
    } = sort_confirms(ids, results);
    to_claim.extend(refused);
    if !published.is_empty() {
        mark_published(&state.db, &published).await?;
    }
    if !to_claim.is_empty() {
        make_due_now(state, &to_claim).await?;
    }
    let n = published.len();
    state.metrics.outbox_published.inc_by(n as u64);
    state.metrics.outbox_published_direct.inc_by(n as u64);
    match failure {
        Some(e) => Err(DrainError::Broker(e)),
        None => Ok(Outcome {
            published: n,
            to_claim: to_claim.len(),
        }),
    }
}

/// What [`publish`] did with a batch.
pub(super) struct Outcome {
    /// Rows published and marked.
    pub(super) published: usize,
    /// Rows made due for the claim path (late in the lane).
    pub(super) to_claim: usize,
}

/// Makes rows due now, for the relay's claim to publish.
async fn make_due_now(state: &AppState, ids: &[i64]) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE outbox SET available_at = now() WHERE id = ANY($1) AND published_at IS NULL",
    )
    .bind(ids)
    .execute(&state.db)
    .await
    .map(|_| ())
}

/// Hands rows back to the claim path (no broker connection to publish them
/// on). If the database does not answer either, they wait for their lease.
pub(super) async fn make_due(state: &AppState, rows: Vec<DirectRow>) {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    if let Err(e) = make_due_now(state, &ids).await {
        tracing::warn!(error = %e, "handed-over rows wait for their lease");
    }
}
