//! Consuming the work queue: connect (with backoff), declare the topology,
//! consume with manual acks and a per-consumer prefetch, hand each delivery
//! to [`handle`], and reconnect when the broker goes away.
//!
//! Deliveries that were in hand when a connection died cannot be acked on a
//! new one: the broker redelivers them, and the job's idempotent effects make
//! the second run a no-op or a repeat of the same result.

use std::sync::Arc;
use std::time::Duration;

use futures_lite::StreamExt;
use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicCancelOptions, BasicNackOptions};
use lapin::{Channel, Connection};
use shared::amqp::{self, AmqpError};
use shared::jobs::{AnyJob, DeadReason, JobMessage};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::Ctx;
use crate::jobs::{self, JobError, Start};

/// Consumes until `stop` is cancelled, reconnecting with backoff.
pub async fn run(ctx: Arc<Ctx>, stop: CancellationToken) {
    crate::reconnect::with_backoff(
        &stop,
        "jobs",
        || session(&ctx, &stop),
        || ctx.set_consuming(false),
    )
    .await;
    ctx.set_consuming(false);
}

/// One broker connection's life. `Ok` means stopped on request; `Err` says
/// why the connection ended.
async fn session(ctx: &Arc<Ctx>, stop: &CancellationToken) -> Result<(), String> {
    let common = &ctx.config.common;
    let (connection, channel) = amqp::open(&common.amqp_url, common.amqp_timeout, &ctx.topology)
        .await
        .map_err(|e| e.to_string())?;
    let tag = format!(
        "hoofbeat-worker-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    );
    tokio::select! {
        () = stop.cancelled() => return Ok(()),
        () = ctx.warmed.cancelled() => {}
    }
    let mut consumer = amqp::consume_jobs(&channel, &ctx.topology, ctx.config.prefetch, &tag)
        .await
        .map_err(|e| e.to_string())?;
    ctx.set_consuming(true);
    tracing::info!(queue = %ctx.topology.work_queue(), prefetch = ctx.config.prefetch, "consuming");
    let mut tasks: JoinSet<()> = JoinSet::new();
    loop {
        tokio::select! {
            () = stop.cancelled() => {
                drain(ctx, &connection, &channel, &tag, tasks).await;
                return Ok(());
            }
            next = consumer.next() => match next {
                Some(Ok(delivery)) => {
                    let (ctx, channel) = (ctx.clone(), channel.clone());
                    tasks.spawn(async move { handle(&ctx, &channel, delivery).await });
                }
                Some(Err(e)) => return Err(format!("consume failed: {e}")),
                None => return Err("the broker cancelled the consumer".to_owned()),
            },
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
}

/// Graceful stop: take no new deliveries, give the jobs in hand the grace
/// period, then close the connection — the broker requeues whatever was not
/// acknowledged.
async fn drain(
    ctx: &Ctx,
    connection: &Connection,
    channel: &Channel,
    tag: &str,
    mut tasks: JoinSet<()>,
) {
    let _ = channel
        .basic_cancel(tag.into(), BasicCancelOptions::default())
        .await;
    ctx.set_consuming(false);
    let in_hand = tasks.len();
    tracing::info!(
        in_hand,
        grace_ms = ctx.config.shutdown_grace.as_millis() as u64,
        "stopping: finishing the jobs in hand"
    );
    let finished = tokio::time::timeout(ctx.config.shutdown_grace, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if finished.is_err() {
        tracing::warn!(
            unfinished = tasks.len(),
            "grace period over; unfinished jobs go back to the queue"
        );
        tasks.abort_all();
    }
    let _ = connection.close(200, "worker stopping".into()).await;
}

/// Handles one delivery: decode, run, then ack, retry or dead-letter.
async fn handle(ctx: &Ctx, channel: &Channel, delivery: Delivery) {
    let msg = match JobMessage::from_bytes(&delivery.data) {
        Ok(m) => m,
        Err(e) => {
            // Garbage or another contract: never retried; the broker
            // dead-letters it to the dead queue with reason `rejected`.
            tracing::error!(error = %e, "undecodable message dead-lettered");
            ctx.metrics.outcome("unknown", "rejected");
            let _ = delivery
                .nack(BasicNackOptions {
                    requeue: false,
                    multiple: false,
                })
                .await;
            return;
        }
    };
    // The W3C trace id (from `traceparent`: version-traceid-spanid-flags) goes
    // into every log line of the job, so logs and traces join up.
    let trace_id = msg
        .trace_context
        .get("traceparent")
        .and_then(|tp| tp.split('-').nth(1))
        .unwrap_or("")
        .to_owned();
    let span = tracing::info_span!(
        "job",
        otel.kind = "consumer",
        job_id = %msg.job_id,
        kind = %msg.kind,
        attempt = msg.attempt,
        session_id = tracing::field::Empty,
        trace_id = %trace_id,
    );
    shared::telemetry::set_parent_from(&span, &msg.trace_context);
    async {
        ctx.metrics.in_flight.inc();
        let started = std::time::Instant::now();
        let turn = ctx.in_hand.enter(msg.job_id).await;
        let outcome = process(ctx, channel, &msg).await;
        drop(turn);
        let kind = ctx.metrics_kind(&msg.kind);
        ctx.metrics
            .duration
            .get_or_create(&crate::metrics::Kind { kind: kind.clone() })
            .observe(started.elapsed().as_secs_f64());
        ctx.metrics.in_flight.dec();
        match outcome {
            Ok(label) => {
                ctx.metrics.outcome(&kind, label);
                if let Err(e) = delivery.ack(BasicAckOptions::default()).await {
                    // The channel died; the broker will redeliver, and the
                    // job's effects are idempotent.
                    tracing::warn!(error = %e, "ack failed; the job will be redelivered");
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not hand the job on; requeueing the delivery");
                let _ = delivery
                    .nack(BasicNackOptions {
                        requeue: true,
                        multiple: false,
                    })
                    .await;
            }
        }
    }
    .instrument(span)
    .await;
}

/// Runs the job and settles it; returns the outcome label, or an error when
/// the delivery must be requeued (the broker refused a retry publish).
async fn process(
    ctx: &Ctx,
    channel: &Channel,
    msg: &JobMessage,
) -> Result<&'static str, AmqpError> {
    let timeout = ctx.config.common.amqp_timeout;
    let job = match msg.decode() {
        Ok(job) => job,
        Err(e) => {
            let reason = format!("undecodable job: {e}");
            tracing::error!(%reason, "dead-lettering");
            let _ = jobs::mark_dead(&ctx.db, msg.job_id, DeadReason::Undecodable, &reason).await;
            amqp::publish_dead(
                channel,
                &ctx.topology,
                msg,
                DeadReason::Undecodable,
                &reason,
                timeout,
            )
            .await?;
            return Ok("dead");
        }
    };
    let version = ctx.algorithm_version(&job);
    let result = match job {
        AnyJob::AnalyzeSession(j) => {
            let start = jobs::analyze_session::start(ctx, msg.job_id, version, j.session_id).await;
            attempt(ctx, msg, start, |s| {
                jobs::analyze_session::run(ctx, msg, j, s)
            })
            .await
        }
        AnyJob::ComputeTrend(j) => {
            let start = jobs::start(&ctx.db, msg.job_id, &ctx.worker_id, version).await;
            attempt(ctx, msg, start, |()| jobs::compute_trend::run(ctx, msg, j)).await
        }
    };
    let result = match result {
        Ok(Ran::Not(label)) => return Ok(label),
        Ok(Ran::Done) => Ok(()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok("succeeded"),
        Err(JobError::Gone) => {
            tracing::info!("the job's object was deleted; nothing to do");
            let _ = jobs::mark_gone(&ctx.db, msg.job_id).await;
            Ok("gone")
        }
        Err(JobError::Unavailable(e)) => {
            // Not the job's fault: park it in the first retry tier without
            // counting an attempt, and slow down before taking more work.
            tracing::warn!(error = %e, "database unavailable; job deferred");
            amqp::publish_retry(channel, &ctx.topology, msg, 0, timeout).await?;
            tokio::time::sleep(Duration::from_secs(1)).await;
            Ok("deferred")
        }
        Err(JobError::Failed(reason)) if msg.attempt < ctx.config.common.max_attempts => {
            let tier = ctx.topology.retry_tier_for_attempt(msg.attempt);
            tracing::warn!(%reason, tier, "attempt failed; retrying later");
            let _ = jobs::mark_failed(&ctx.db, msg.job_id, &reason).await;
            amqp::publish_retry(channel, &ctx.topology, &msg.next_attempt(), tier, timeout).await?;
            Ok("retried")
        }
        Err(JobError::Failed(reason)) => {
            tracing::error!(%reason, attempts = msg.attempt, "giving up; job is dead");
            let dead = DeadReason::AttemptsExhausted;
            let _ = jobs::mark_dead(&ctx.db, msg.job_id, dead, &reason).await;
            amqp::publish_dead(channel, &ctx.topology, msg, dead, &reason, timeout).await?;
            Ok("dead")
        }
    }
}

/// What [`attempt`] did with a job.
enum Ran {
    /// Ran it to success.
    Done,
    /// Did not run it (a duplicate delivery of an ended job): the outcome label.
    Not(&'static str),
}

/// Runs the job if its start marked it running (recording the queue latency
/// of first attempts); acknowledges duplicates of ended jobs without running.
async fn attempt<T, F, Fut>(
    ctx: &Ctx,
    msg: &JobMessage,
    start: Result<Start<T>, JobError>,
    run: F,
) -> Result<Ran, JobError>
where
    F: FnOnce(T) -> Fut,
    Fut: Future<Output = Result<(), JobError>>,
{
    match start? {
        Start::Run(loaded) => {
            if msg.attempt == 1 {
                let latency = (chrono::Utc::now() - msg.enqueued_at)
                    .to_std()
                    .unwrap_or_default();
                ctx.metrics
                    .queue_latency
                    .get_or_create(&crate::metrics::Kind {
                        kind: msg.kind.clone(),
                    })
                    .observe(latency.as_secs_f64());
            }
            run(loaded).await.map(|()| Ran::Done)
        }
        Start::Finished(status) => {
            tracing::info!(%status, "duplicate delivery of a finished job; acknowledged");
            Ok(Ran::Not("duplicate"))
        }
        Start::Gone => Err(JobError::Gone),
    }
}
