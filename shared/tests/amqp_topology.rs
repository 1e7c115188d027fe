//! The RabbitMQ topology and publishing helpers against a real broker
//! (`AMQP_URL`, default `amqp://guest:guest@127.0.0.1:5672/%2f`).
//!
//! Every test declares its own topology under a unique `test-<uuid>` prefix
//! and deletes it at the end, even when the test body panics, so the tests run
//! in parallel and leave nothing behind.
#![cfg(feature = "amqp")]

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use lapin::message::BasicGetMessage;
use lapin::options::{
    BasicAckOptions, BasicGetOptions, BasicNackOptions, BasicPublishOptions, QueueBindOptions,
    QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString};
use lapin::{BasicProperties, Channel, Connection};
use shared::amqp::{
    self, AmqpError, REASON_HEADER, Topology, WORK_ROUTING_KEY, confirm_channel, publish_dead,
    publish_job, publish_jobs, publish_retry,
};
use shared::jobs::{AnalyzeSession, AnyJob, JobMessage};
use uuid::Uuid;

const TIMEOUT: Duration = Duration::from_secs(5);

fn url() -> String {
    std::env::var("AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned())
}

async fn connection() -> Connection {
    amqp::connect_named(&url(), "shared amqp_topology test", TIMEOUT)
        .await
        .expect("RabbitMQ must be running for these tests (set AMQP_URL)")
}

/// Declares a fresh topology, runs `body` on it, then deletes the topology
/// whether the body passed or panicked (the panic is then re-raised).
async fn with_topology<F, Fut>(retry_delays: Vec<Duration>, delivery_limit: u32, body: F)
where
    F: FnOnce(Topology) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let prefix = format!("test-{}", Uuid::new_v4());
    let topology = Topology::with_settings(&prefix, retry_delays, delivery_limit).unwrap();
    let admin = connection().await;
    let channel = admin.create_channel().await.unwrap();
    amqp::declare(&channel, &topology).await.unwrap();

    let outcome = tokio::spawn(body(topology.clone())).await;

    // The body may have closed `channel`'s connection state: use a new channel.
    let cleanup = admin.create_channel().await.unwrap();
    amqp::delete(&cleanup, &topology).await.unwrap();
    admin.close(200, "test done".into()).await.unwrap();
    if let Err(join_error) = outcome {
        std::panic::resume_unwind(join_error.into_panic());
    }
}

fn analyze_job() -> JobMessage {
    let trace = BTreeMap::from([(
        "traceparent".to_owned(),
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned(),
    )]);
    JobMessage::new(
        Uuid::now_v7(),
        &AnalyzeSession {
            session_id: Uuid::new_v4(),
        },
        trace,
    )
    .unwrap()
}

/// Polls `queue` with `basic_get` until a message arrives or `within` elapses.
async fn get_within(channel: &Channel, queue: &str, within: Duration) -> Option<BasicGetMessage> {
    let deadline = Instant::now() + within;
    loop {
        let got = channel
            .basic_get(queue.into(), BasicGetOptions { no_ack: false })
            .await
            .unwrap();
        if got.is_some() || Instant::now() >= deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until `queue` holds `expected` ready messages (quorum queues report
/// their length asynchronously with respect to some confirms).
async fn wait_for_depth(channel: &Channel, queue: &str, expected: u32) {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let depth = amqp::queue_depth(channel, queue).await.unwrap();
        if depth == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{queue} holds {depth} messages, expected {expected}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn header<'a>(message: &'a BasicGetMessage, name: &str) -> Option<&'a AMQPValue> {
    message
        .delivery
        .properties
        .headers()
        .as_ref()
        .and_then(|headers| headers.inner().get(name))
}

fn long_string_header(message: &BasicGetMessage, name: &str) -> Option<String> {
    match header(message, name)? {
        AMQPValue::LongString(value) => {
            Some(String::from_utf8_lossy(value.as_bytes()).into_owned())
        }
        other => panic!("header {name} is not a long string: {other:?}"),
    }
}

async fn ack(message: &BasicGetMessage) {
    message
        .delivery
        .ack(BasicAckOptions::default())
        .await
        .unwrap();
}

#[tokio::test]
async fn declare_is_idempotent_and_arguments_are_enforced() {
    with_topology(
        vec![Duration::from_secs(5), Duration::from_secs(30)],
        10,
        |topology| async move {
            let conn = connection().await;
            let channel = conn.create_channel().await.unwrap();
            amqp::declare(&channel, &topology).await.unwrap();
            amqp::declare(&channel, &topology).await.unwrap();
            for queue in [topology.work_queue(), topology.dead_queue()]
                .into_iter()
                .chain(topology.retry_queues().iter().map(String::as_str))
            {
                assert_eq!(
                    amqp::queue_depth(&channel, queue).await.unwrap(),
                    0,
                    "{queue}"
                );
            }
            assert_eq!(amqp::depth(&channel, &topology).await.unwrap(), 0);

            // The broker really holds our arguments: another delivery limit is refused.
            let other = Topology::with_settings(
                topology.prefix(),
                topology.retry_delays().to_vec(),
                topology.delivery_limit() + 1,
            )
            .unwrap();
            let refused = conn.create_channel().await.unwrap();
            let err = amqp::declare(&refused, &other).await.unwrap_err();
            assert!(
                err.to_string().contains("PRECONDITION_FAILED"),
                "expected PRECONDITION_FAILED, got {err}"
            );

            // A missing queue is an error, not a depth of 0.
            let missing = conn.create_channel().await.unwrap();
            let err = amqp::queue_depth(&missing, &format!("{}.nope", topology.prefix()))
                .await
                .unwrap_err();
            assert!(err.to_string().contains("NOT_FOUND"), "{err}");
        },
    )
    .await;
}

#[tokio::test]
async fn a_batch_is_published_with_its_confirms_pipelined() {
    with_topology(vec![Duration::from_secs(5)], 10, |topology| async move {
        let conn = connection().await;
        let channel = confirm_channel(&conn).await.unwrap();
        assert!(
            publish_jobs(&channel, &topology, &[], TIMEOUT)
                .await
                .is_empty()
        );
        let msgs: Vec<JobMessage> = (0..50).map(|_| analyze_job()).collect();
        let results = publish_jobs(&channel, &topology, &msgs, TIMEOUT).await;
        assert_eq!(results.len(), msgs.len());
        assert!(results.iter().all(Result::is_ok), "{results:?}");
        wait_for_depth(&channel, topology.work_queue(), 50).await;
        let mut queued = std::collections::BTreeSet::new();
        while let Some(got) = get_within(&channel, topology.work_queue(), Duration::ZERO).await {
            queued.insert(JobMessage::from_bytes(&got.delivery.data).unwrap().job_id);
        }
        let sent: std::collections::BTreeSet<_> = msgs.iter().map(|m| m.job_id).collect();
        assert_eq!(
            queued, sent,
            "every message of the batch is in the queue, once"
        );

        // On a channel without confirms nothing is sent, and every message
        // says why.
        let plain = conn.create_channel().await.unwrap();
        let results = publish_jobs(&plain, &topology, &msgs[..3], TIMEOUT).await;
        assert_eq!(results.len(), 3);
        assert!(
            results
                .iter()
                .all(|r| matches!(r, Err(AmqpError::NotConfirmMode { .. }))),
            "{results:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn published_job_is_consumed_with_its_properties() {
    with_topology(vec![Duration::from_secs(5)], 10, |topology| async move {
        let conn = connection().await;
        let channel = confirm_channel(&conn).await.unwrap();
        let msg = analyze_job();
        publish_job(&channel, &topology, &msg, TIMEOUT)
            .await
            .unwrap();
        wait_for_depth(&channel, topology.work_queue(), 1).await;

        let got = get_within(&channel, topology.work_queue(), TIMEOUT)
            .await
            .expect("the job reaches the work queue");
        let properties = &got.delivery.properties;
        assert_eq!(
            properties.message_id().as_ref().map(|id| id.as_str()),
            Some(msg.job_id.to_string().as_str())
        );
        assert_eq!(
            properties.kind().as_ref().map(|kind| kind.as_str()),
            Some("analyze_session")
        );
        assert_eq!(*properties.delivery_mode(), Some(2));
        assert_eq!(
            properties.content_type().as_ref().map(|ct| ct.as_str()),
            Some("application/json")
        );
        assert_eq!(got.delivery.routing_key.as_str(), WORK_ROUTING_KEY);

        let decoded = JobMessage::from_bytes(&got.delivery.data).unwrap();
        assert_eq!(decoded, msg);
        assert!(matches!(
            decoded.decode().unwrap(),
            AnyJob::AnalyzeSession(_)
        ));
        ack(&got).await;

        // The consumer helper sees the next one (per-consumer prefetch is
        // accepted by the quorum queue).
        let second = analyze_job();
        publish_job(&channel, &topology, &second, TIMEOUT)
            .await
            .unwrap();
        let consumer_channel = conn.create_channel().await.unwrap();
        let consumer = amqp::consume_jobs(&consumer_channel, &topology, 4, "test-consumer")
            .await
            .unwrap();
        // `Consumer` is a `futures::Stream`; a delegate avoids a `futures` dependency here.
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        consumer.set_delegate(move |delivery: lapin::message::DeliveryResult| {
            let tx = tx.clone();
            async move {
                // The receiver only goes away at the end of the test.
                let _ = tx.send(delivery);
            }
        });
        let delivery = tokio::time::timeout(TIMEOUT, rx.recv())
            .await
            .expect("a delivery within the timeout")
            .expect("the consumer is open")
            .unwrap()
            .expect("a delivery, not a cancellation");
        assert_eq!(JobMessage::from_bytes(&delivery.data).unwrap(), second);
        delivery.ack(BasicAckOptions::default()).await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn retry_returns_to_the_work_queue_after_the_tier_delay_not_before() {
    let delay = Duration::from_millis(300);
    with_topology(
        vec![delay, Duration::from_secs(60)],
        10,
        move |topology| async move {
            let conn = connection().await;
            let channel = confirm_channel(&conn).await.unwrap();
            let first = analyze_job();
            let retry = first.next_attempt();
            let tier = topology.retry_tier_for_attempt(first.attempt);
            assert_eq!(tier, 0);

            let published_at = Instant::now();
            publish_retry(&channel, &topology, &retry, tier, TIMEOUT)
                .await
                .unwrap();
            assert_eq!(
                amqp::queue_depth(&channel, &topology.retry_queues()[0])
                    .await
                    .unwrap(),
                1
            );
            assert!(
                get_within(&channel, topology.work_queue(), delay / 2)
                    .await
                    .is_none(),
                "the retry must wait for its tier delay"
            );

            let got = get_within(&channel, topology.work_queue(), TIMEOUT)
                .await
                .expect("the retry comes back to the work queue");
            let waited = published_at.elapsed();
            assert!(
                waited >= delay,
                "came back after {waited:?}, before {delay:?}"
            );
            let decoded = JobMessage::from_bytes(&got.delivery.data).unwrap();
            assert_eq!(decoded.attempt, 2);
            assert_eq!(decoded.job_id, first.job_id);
            assert_eq!(got.delivery.routing_key.as_str(), WORK_ROUTING_KEY);
            assert!(
                header(&got, "x-death").is_some(),
                "expired messages carry x-death"
            );
            ack(&got).await;
            // At-least-once dead-lettering: the tier drops its copy once the
            // work queue has confirmed it.
            wait_for_depth(&channel, &topology.retry_queues()[0], 0).await;
            println!("retry tier of {delay:?} came back after {waited:?}");
        },
    )
    .await;
}

#[tokio::test]
async fn publish_dead_lands_in_the_dead_queue_with_its_reason() {
    with_topology(vec![Duration::from_secs(5)], 10, |topology| async move {
        let conn = connection().await;
        let channel = confirm_channel(&conn).await.unwrap();
        let msg = analyze_job();
        publish_dead(
            &channel,
            &topology,
            &msg,
            shared::jobs::DeadReason::AttemptsExhausted,
            "gave up after 10 attempts: boom",
            TIMEOUT,
        )
        .await
        .unwrap();
        let got = get_within(&channel, topology.dead_queue(), TIMEOUT)
            .await
            .expect("the job reaches the dead queue");
        assert_eq!(JobMessage::from_bytes(&got.delivery.data).unwrap(), msg);
        assert_eq!(
            long_string_header(&got, REASON_HEADER).as_deref(),
            Some("gave up after 10 attempts: boom")
        );
        ack(&got).await;
        assert_eq!(amqp::depth(&channel, &topology).await.unwrap(), 0);
    })
    .await;
}

#[tokio::test]
async fn rejected_garbage_is_dead_lettered_by_the_work_queue() {
    with_topology(vec![Duration::from_secs(5)], 10, |topology| async move {
        let conn = connection().await;
        let channel = confirm_channel(&conn).await.unwrap();
        channel
            .basic_publish(
                topology.work_exchange().into(),
                WORK_ROUTING_KEY.into(),
                BasicPublishOptions::default(),
                b"\x00not json",
                BasicProperties::default().with_delivery_mode(2),
            )
            .await
            .unwrap()
            .await
            .unwrap();

        let got = get_within(&channel, topology.work_queue(), TIMEOUT)
            .await
            .unwrap();
        assert!(JobMessage::from_bytes(&got.delivery.data).is_err());
        got.delivery
            .nack(BasicNackOptions {
                requeue: false,
                ..BasicNackOptions::default()
            })
            .await
            .unwrap();

        let dead = get_within(&channel, topology.dead_queue(), TIMEOUT)
            .await
            .expect("the rejected message is dead-lettered to {p}.dead");
        assert_eq!(dead.delivery.data, b"\x00not json");
        assert_eq!(
            long_string_header(&dead, "x-first-death-reason").as_deref(),
            Some("rejected")
        );
        ack(&dead).await;
        assert_eq!(amqp::depth(&channel, &topology).await.unwrap(), 0);
    })
    .await;
}

#[tokio::test]
async fn deliveries_past_the_delivery_limit_are_dead_lettered() {
    with_topology(vec![Duration::from_secs(5)], 1, |topology| async move {
        let conn = connection().await;
        let channel = confirm_channel(&conn).await.unwrap();
        let msg = analyze_job();
        publish_job(&channel, &topology, &msg, TIMEOUT)
            .await
            .unwrap();

        // Delivery 1 and its redelivery (limit 1) are returned unacked...
        for _ in 0..2 {
            let got = get_within(&channel, topology.work_queue(), TIMEOUT)
                .await
                .expect("the job is (re)delivered");
            got.delivery
                .nack(BasicNackOptions {
                    requeue: true,
                    ..BasicNackOptions::default()
                })
                .await
                .unwrap();
        }
        // ... and then the broker gives up on it, into {p}.dead, not the void.
        let dead = get_within(&channel, topology.dead_queue(), TIMEOUT)
            .await
            .expect("the job is dead-lettered after exceeding the delivery limit");
        assert_eq!(JobMessage::from_bytes(&dead.delivery.data).unwrap(), msg);
        assert_eq!(
            long_string_header(&dead, "x-first-death-reason").as_deref(),
            Some("delivery_limit")
        );
        ack(&dead).await;
        assert_eq!(amqp::depth(&channel, &topology).await.unwrap(), 0);
    })
    .await;
}

#[tokio::test]
async fn confirms_are_really_waited_for() {
    with_topology(vec![Duration::from_secs(5)], 10, |topology| async move {
        let conn = connection().await;
        let channel = confirm_channel(&conn).await.unwrap();

        // A second queue on the work routing key that refuses everything: the
        // broker nacks the publish, and publish_job must report it.
        let full = format!("{}.full", topology.prefix());
        let mut args = FieldTable::default();
        args.insert("x-max-length".into(), AMQPValue::LongLongInt(0));
        args.insert(
            "x-overflow".into(),
            AMQPValue::LongString(LongString::from("reject-publish")),
        );
        channel
            .queue_declare(
                full.as_str().into(),
                // Exclusive: gone with this connection even if the test panics.
                QueueDeclareOptions {
                    exclusive: true,
                    ..QueueDeclareOptions::default()
                },
                args,
            )
            .await
            .unwrap();
        channel
            .queue_bind(
                full.as_str().into(),
                topology.work_exchange().into(),
                WORK_ROUTING_KEY.into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
        let msg = analyze_job();
        let err = publish_job(&channel, &topology, &msg, TIMEOUT)
            .await
            .unwrap_err();
        assert!(matches!(err, AmqpError::Nacked { .. }), "{err:?}");
        // A nack only says "not stored everywhere": the work queue took its copy
        // (the nack can arrive before the quorum queue has committed it).
        wait_for_depth(&channel, topology.work_queue(), 1).await;
        channel
            .queue_delete(full.as_str().into(), QueueDeleteOptions::default())
            .await
            .unwrap();

        // Unroutable (the tier queue is gone): returned, so not "published".
        channel
            .queue_delete(
                topology.retry_queues()[0].as_str().into(),
                QueueDeleteOptions::default(),
            )
            .await
            .unwrap();
        let err = publish_retry(&channel, &topology, &msg.next_attempt(), 0, TIMEOUT)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, AmqpError::Unroutable { reply, .. } if reply.contains("NO_ROUTE")),
            "{err:?}"
        );
        let err = publish_retry(&channel, &topology, &msg, 7, TIMEOUT)
            .await
            .unwrap_err();
        assert!(
            matches!(err, AmqpError::NoSuchRetryTier { tier: 7, tiers: 1 }),
            "{err:?}"
        );

        // A channel without confirms is refused before anything is sent.
        let plain = conn.create_channel().await.unwrap();
        let err = publish_job(&plain, &topology, &msg, TIMEOUT)
            .await
            .unwrap_err();
        assert!(matches!(err, AmqpError::NotConfirmMode { .. }), "{err:?}");
        assert_eq!(amqp::depth(&channel, &topology).await.unwrap(), 1);

        // A missing exchange closes the channel: an error, not a hang.
        let other = Topology::new(&format!("{}-missing", topology.prefix())).unwrap();
        let err = publish_job(&channel, &other, &msg, TIMEOUT)
            .await
            .unwrap_err();
        assert!(matches!(err, AmqpError::Broker { .. }), "{err:?}");
        assert!(err.to_string().contains("NOT_FOUND"), "{err}");
    })
    .await;
}

#[tokio::test]
async fn connect_to_a_closed_port_fails_within_the_timeout() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let timeout = Duration::from_secs(2);
    let started = Instant::now();
    let err = amqp::connect(&format!("amqp://guest:guest@127.0.0.1:{port}/%2f"), timeout)
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < timeout + Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    assert!(
        matches!(err, AmqpError::Broker { .. } | AmqpError::Timeout { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn connect_to_a_silent_peer_times_out() {
    // Accepts TCP connections and never answers the AMQP handshake.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let timeout = Duration::from_millis(500);
    let started = Instant::now();
    let err = amqp::connect(&format!("amqp://guest:guest@127.0.0.1:{port}/%2f"), timeout)
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert!(
        matches!(err, AmqpError::Timeout { after, .. } if after == timeout),
        "{err:?}"
    );
    assert!(
        elapsed >= timeout && elapsed < timeout + Duration::from_millis(500),
        "{elapsed:?}"
    );
    silent.abort();
}

#[test]
fn retry_tiers_follow_the_attempt_and_saturate() {
    let topology = Topology::new("hoofbeat").unwrap();
    assert_eq!(topology, Topology::production().unwrap());
    assert_eq!(topology.work_exchange(), "hoofbeat.jobs");
    assert_eq!(topology.work_queue(), "hoofbeat.jobs");
    assert_eq!(topology.dead_letter_exchange(), "hoofbeat.dlx");
    assert_eq!(topology.dead_queue(), "hoofbeat.dead");
    assert_eq!(topology.retry_queues()[4], "hoofbeat.retry.4");
    assert_eq!(topology.delivery_limit(), 10);
    let tiers: Vec<usize> = (0..=8)
        .map(|a| topology.retry_tier_for_attempt(a))
        .collect();
    assert_eq!(tiers, [0, 0, 1, 2, 3, 4, 4, 4, 4]);
}

#[test]
fn invalid_topologies_are_refused() {
    let delays = || vec![Duration::from_secs(1)];
    for (prefix, delays, limit) in [
        ("", delays(), 10),
        ("amq.hoofbeat", delays(), 10),
        ("hoofbeat", Vec::new(), 10),
        ("hoofbeat", vec![Duration::ZERO], 10),
        ("hoofbeat", vec![Duration::from_micros(1500)], 10),
        ("hoofbeat", delays(), 0),
    ] {
        let err = Topology::with_settings(prefix, delays, limit).unwrap_err();
        assert!(matches!(err, AmqpError::InvalidTopology(_)), "{err:?}");
    }
    assert!(Topology::new(&"p".repeat(201)).is_err());
    assert!(Topology::new(&"p".repeat(200)).is_ok());
}
