//! The dead-letter consumer: every message arriving in `{p}.dead` — put there
//! by the worker when it gives up, or by the broker on its own (delivery
//! limit exceeded, rejected, expired, queue full) — is reconciled with its
//! job row, then acknowledged. Nothing is left stranded as "queued" forever:
//!
//! - a job that is not finished becomes `dead` with the reason
//!   ([`shared::jobs::DeadReason`]), the broker's account of it and the time;
//! - a job already `succeeded` or `dead`, or requeued (by an admin replay or
//!   the sweeper) after this message died, is left alone;
//! - a message whose job id cannot be read, or whose job does not exist here,
//!   is kept in `dead_letters` (headers and the first 4 KiB of the body).
//!
//! It runs beside the work consumer in every worker process, on its own
//! connection, reconnecting with backoff. While Postgres is down a message
//! is put back after a pause rather than acknowledged.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_lite::StreamExt;
use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicNackOptions};
use shared::amqp::{self, DeathInfo};
use shared::jobs::JobMessage;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::Ctx;

/// Bytes of an unreadable message's body kept in `dead_letters`.
const BODY_PREFIX: usize = 4096;

/// Dead letters in hand at once.
const PREFETCH: u16 = 16;

/// What reconciling one dead letter did (also the metric label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reconciled {
    /// The job is now `dead`.
    MarkedDead,
    /// The job had already ended or was requeued since: left as it is.
    Unchanged,
    /// Kept in `dead_letters` (no readable job id, or an unknown job).
    Kept,
}

impl Reconciled {
    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            Self::MarkedDead => "marked_dead",
            Self::Unchanged => "unchanged",
            Self::Kept => "kept",
        }
    }
}

/// Consumes the dead queue until `stop` is cancelled, reconnecting with backoff.
pub async fn run(ctx: Arc<Ctx>, stop: CancellationToken) {
    crate::reconnect::with_backoff(&stop, "dead_letters", || session(&ctx, &stop), || {}).await;
}

/// One connection's life; `Ok` means stopped on request.
async fn session(ctx: &Ctx, stop: &CancellationToken) -> Result<(), String> {
    let common = &ctx.config.common;
    let (connection, channel) = amqp::open(&common.amqp_url, common.amqp_timeout, &ctx.topology)
        .await
        .map_err(|e| e.to_string())?;
    let tag = format!(
        "hoofbeat-dead-letters-{}-{}",
        std::process::id(),
        Uuid::new_v4().simple()
    );
    let mut consumer = amqp::consume_dead_letters(&channel, &ctx.topology, PREFETCH, &tag)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(queue = %ctx.topology.dead_queue(), "reconciling dead letters");
    loop {
        tokio::select! {
            () = stop.cancelled() => {
                let _ = connection.close(200, "worker stopping".into()).await;
                return Ok(());
            }
            next = consumer.next() => match next {
                Some(Ok(delivery)) => settle(ctx, delivery).await,
                Some(Err(e)) => return Err(format!("consume failed: {e}")),
                None => return Err("the broker cancelled the dead-letter consumer".to_owned()),
            },
        }
    }
}

/// Reconciles one dead letter and acks it; while the database is
/// unreachable, puts it back after a pause instead.
async fn settle(ctx: &Ctx, delivery: Delivery) {
    match reconcile(ctx, &delivery).await {
        Ok(done) => {
            ctx.metrics.dead_letter(done.label());
            if let Err(e) = delivery.ack(BasicAckOptions::default()).await {
                tracing::warn!(error = %e, "dead letter ack failed; it will be reconciled again");
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot record a dead letter; retrying shortly");
            tokio::time::sleep(Duration::from_secs(1)).await;
            let _ = delivery
                .nack(BasicNackOptions {
                    requeue: true,
                    multiple: false,
                })
                .await;
        }
    }
}

/// The job a message is about: its AMQP `message_id`, else the envelope's.
fn job_id_of(delivery: &Delivery) -> Option<Uuid> {
    delivery
        .properties
        .message_id()
        .as_ref()
        .and_then(|id| Uuid::parse_str(id.as_str()).ok())
        .or_else(|| {
            JobMessage::from_bytes(&delivery.data)
                .ok()
                .map(|m| m.job_id)
        })
}

/// When the message died: the broker's `x-death` time, else the message's
/// own timestamp (the worker's `publish_dead` sets it when it gives up).
fn death_time(info: &DeathInfo, delivery: &Delivery) -> Option<DateTime<Utc>> {
    info.time.or_else(|| {
        delivery
            .properties
            .timestamp()
            .and_then(|t| DateTime::from_timestamp(i64::try_from(t).ok()?, 0))
    })
}

/// Applies one dead letter to the database.
pub async fn reconcile(ctx: &Ctx, delivery: &Delivery) -> Result<Reconciled, sqlx::Error> {
    let info = DeathInfo::from_headers(delivery.properties.headers().as_ref());
    let Some(job_id) = job_id_of(delivery) else {
        keep(ctx, delivery, &info, None).await?;
        tracing::warn!(reason = ?info.broker_reason, "dead letter without a job id kept in dead_letters");
        return Ok(Reconciled::Kept);
    };
    let reason = info.dead_reason();
    let error = info.describe();
    // Seconds resolution on both clocks: a requeue within the second of the
    // death counts as before it.
    let (marked, known): (i64, bool) = sqlx::query_as(
        "WITH j AS (
             UPDATE jobs SET status = 'dead', dead_reason = $2, last_error = $3,
                             updated_at = now(), finished_at = now()
             WHERE id = $1 AND status IN ('queued', 'running', 'failed')
               AND (requeued_at IS NULL OR $4::timestamptz IS NULL
                    OR requeued_at < $4::timestamptz + interval '1 second')
             RETURNING id),
         a AS (
             UPDATE job_attempts SET finished_at = now(), outcome = 'dead', error = $3
             WHERE job_id IN (SELECT id FROM j) AND finished_at IS NULL)
         SELECT (SELECT count(*) FROM j), EXISTS (SELECT 1 FROM jobs WHERE id = $1)",
    )
    .bind(job_id)
    .bind(reason.code())
    .bind(error.chars().take(2000).collect::<String>())
    .bind(death_time(&info, delivery))
    .fetch_one(&ctx.db)
    .await?;
    if !known {
        keep(ctx, delivery, &info, Some(job_id)).await?;
        tracing::warn!(%job_id, "dead letter of an unknown job kept in dead_letters");
        return Ok(Reconciled::Kept);
    }
    if marked == 1 {
        tracing::warn!(%job_id, reason = reason.code(), %error, "job dead-lettered; marked dead");
        Ok(Reconciled::MarkedDead)
    } else {
        tracing::info!(%job_id, "dead letter of a finished or requeued job; nothing to change");
        Ok(Reconciled::Unchanged)
    }
}

/// Keeps a dead letter that belongs to no job here.
async fn keep(
    ctx: &Ctx,
    delivery: &Delivery,
    info: &DeathInfo,
    job_id: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    let body = &delivery.data[..delivery.data.len().min(BODY_PREFIX)];
    sqlx::query(
        "INSERT INTO dead_letters (reason, source_queue, message_id, job_id, headers, body_prefix, body_len)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(info.broker_reason.as_deref().or(info.worker_code.as_deref()))
    .bind(info.queue.as_deref())
    .bind(delivery.properties.message_id().as_ref().map(|m| m.as_str().replace('\0', "")))
    .bind(job_id)
    .bind(shared::json::strip_nul(amqp::headers_json(
        delivery.properties.headers().as_ref(),
    )))
    .bind(body)
    .bind(i32::try_from(delivery.data.len()).unwrap_or(i32::MAX))
    .execute(&ctx.db)
    .await
    .map(|_| ())
}
