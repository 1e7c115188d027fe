//! The relay's claim path: due rows claimed with `FOR UPDATE SKIP LOCKED`
//! in batches, published with pipelined confirms, marked in the same
//! transaction. Every row that is not handed over directly goes this way
//! (debounced trend jobs, sweeps, replays, and direct rows whose lease ran
//! out).

use std::time::Duration;

use shared::amqp::{self, Topology};
use shared::jobs::JobMessage;

use super::{BATCH, Broker, Confirms, DrainError, mark_published, sort_confirms};
use crate::state::AppState;

/// What one pass of the relay did.
pub(super) struct Drained {
    /// Rows published.
    pub(super) published: u64,
    /// Their ids (the notifications naming them need no other pass).
    pub(super) ids: Vec<i64>,
    /// How long until the next row that is not yet due (a debounced trend
    /// job) is due, if there is one.
    pub(super) next_due: Option<Duration>,
}

/// One claimed batch: the due rows, locked for this transaction, and when the
/// next row that waits is due.
struct Claim {
    rows: Vec<(i64, serde_json::Value)>,
    next_due: Option<Duration>,
}

/// Claims up to [`BATCH`] due rows and, in the same statement, reads when the
/// next waiting row is due: one round trip per wake instead of two, and no
/// extra transaction just to schedule the next wake.
///
/// The aggregate branch always yields exactly one row (its `id` is NULL), so
/// an empty claim still tells how long to sleep.
async fn claim(tx: &mut sqlx::PgTransaction<'_>) -> Result<Claim, sqlx::Error> {
    let rows: Vec<(Option<i64>, Option<serde_json::Value>, Option<f64>)> = sqlx::query_as(
        "WITH claimed AS (
             SELECT id, message FROM outbox
             WHERE published_at IS NULL AND available_at <= now()
             ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
         )
         SELECT id, message, NULL::float8 FROM claimed
         UNION ALL
         SELECT NULL, NULL, EXTRACT(EPOCH FROM min(available_at) - now())::float8
         FROM outbox WHERE published_at IS NULL AND available_at > now() AND NOT direct",
    )
    .bind(BATCH)
    .fetch_all(&mut **tx)
    .await?;
    let mut claim = Claim {
        rows: Vec::with_capacity(rows.len()),
        next_due: None,
    };
    for row in rows {
        match row {
            (Some(id), Some(message), _) => claim.rows.push((id, message)),
            (_, _, wait) => claim.next_due = wait.map(due_in),
        }
    }
    Ok(claim)
}

/// Prepares the claim on a fresh connection at start-up (in a transaction
/// that is rolled back: any row it locks is released at once, nothing is
/// changed), so the first upload's wake pays no parse (issue 11's cold-start
/// latency).
pub fn prepare(
    conn: &mut sqlx::PgConnection,
) -> std::pin::Pin<Box<dyn Future<Output = Result<(), sqlx::Error>> + Send + '_>> {
    Box::pin(async move {
        let mut tx = sqlx::Connection::begin(conn).await?;
        claim(&mut tx).await?;
        tx.rollback().await
    })
}

/// A wait in seconds as a sleep: 1 ms at least, so a row due right now never
/// makes the loop spin (it is claimed on the next pass), an hour at most.
fn due_in(secs: f64) -> Duration {
    Duration::from_secs_f64(secs.clamp(0.001, 3600.0))
}

/// Publishes every due row.
///
/// Each claimed batch is published with its confirms pipelined (one round
/// trip to the broker per batch, not per row), then marked in one statement.
/// A batch smaller than [`BATCH`] ends the pass without another (empty)
/// claim: a row committed after the claim's snapshot has sent its own
/// `NOTIFY`, which wakes the relay again, and a row that becomes due later
/// is covered by `next_due`.
pub(super) async fn drain(
    state: &AppState,
    broker: &Broker,
    topology: &Topology,
) -> Result<Drained, DrainError> {
    let timeout = state.config.common.amqp_timeout;
    let mut published_total = 0;
    let mut ids_total = Vec::new();
    loop {
        let mut tx = state.db.begin().await?;
        let Claim { rows, next_due } = claim(&mut tx).await?;
        let full = rows.len() as i64 >= BATCH;
        if rows.is_empty() {
            tx.commit().await?;
            return Ok(Drained {
                published: published_total,
                ids: ids_total,
                next_due,
            });
        }
        let (ids, messages) = decode_rows(&mut tx, rows).await?;
        let results = amqp::publish_jobs(&broker.channel, topology, &messages, timeout).await;
        let Confirms {
            published,
            refused,
            failure,
        } = sort_confirms(ids, results);
        mark_published(&mut *tx, &published).await?;
        if let Some(e) = &failure {
            sqlx::query(
                "UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1)",
            )
            .bind(&refused)
            .bind(e.to_string())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        let n = published.len() as u64;
        state.metrics.outbox_published.inc_by(n);
        published_total += n;
        ids_total.extend_from_slice(&published);
        if let Some(e) = failure {
            return Err(DrainError::Broker(e));
        }
        if !full {
            return Ok(Drained {
                published: published_total,
                ids: ids_total,
                next_due,
            });
        }
    }
}

/// The claimed rows' messages, with their ids. A row that does not decode
/// cannot come from this code; it is set aside (marked, with the error) for
/// inspection so that it never blocks the others.
async fn decode_rows(
    tx: &mut sqlx::PgTransaction<'_>,
    rows: Vec<(i64, serde_json::Value)>,
) -> Result<(Vec<i64>, Vec<JobMessage>), sqlx::Error> {
    let mut ids = Vec::with_capacity(rows.len());
    let mut messages = Vec::with_capacity(rows.len());
    for (id, body) in rows {
        match serde_json::from_value::<JobMessage>(body) {
            Ok(m) => {
                ids.push(id);
                messages.push(m);
            }
            Err(e) => {
                tracing::error!(outbox_id = id, error = %e, "undecodable outbox row set aside");
                sqlx::query(
                    "UPDATE outbox SET published_at = now(), last_error = $2 WHERE id = $1",
                )
                .bind(id)
                .bind(format!("undecodable: {e}"))
                .execute(&mut **tx)
                .await?;
            }
        }
    }
    Ok((ids, messages))
}
