//! The autoscaler's signal on a real broker: the figure KEDA reads (the
//! management API's `messages` = ready + unacknowledged for the work queue),
//! the replica count the ScaledObject's own settings derive from it, and a
//! backlog drained by 1, 2 and 3 real worker processes — one of them stopped
//! with SIGTERM mid-backlog, as a scale-down does — with nothing lost.
//!
//! Needs the management plugin (`.ci/run` enables it). Prints the drain
//! curves (`--nocapture`); BENCHMARKS.md keeps a run of them.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::*;

/// The management API on the local broker (guest may use it from localhost).
const MANAGEMENT: &str = "http://127.0.0.1:15672";

/// Jobs per round: three times the ScaledObject's `value`, so the backlog
/// asks for three workers.
const JOBS: usize = 60;

/// What KEDA reads for the queue.
#[derive(Debug, Clone, Copy)]
struct Depth {
    ready: u64,
    unacked: u64,
    messages: u64,
}

async fn depth(http: &reqwest::Client, queue: &str) -> Depth {
    let v: Value = http
        .get(format!("{MANAGEMENT}/api/queues/%2F/{queue}"))
        .basic_auth("guest", Some("guest"))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .expect("the RabbitMQ management API (rabbitmq-plugins enable rabbitmq_management)")
        .json()
        .await
        .expect("queue JSON");
    let n = |k: &str| v[k].as_u64().unwrap_or(0);
    Depth {
        ready: n("messages_ready"),
        unacked: n("messages_unacknowledged"),
        messages: n("messages"),
    }
}

/// The ScaledObject's scaling settings, read from the manifest users apply.
#[derive(Debug, Clone, Copy)]
struct Scaling {
    value: f64,
    activation: f64,
    min: u64,
    max: u64,
}

impl Scaling {
    fn from_manifest() -> Self {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../k8s/scaledobject-worker.yaml"
        );
        let text = std::fs::read_to_string(path).expect("k8s/scaledobject-worker.yaml");
        // The trigger's `value` (the HPA behaviour above it has its own).
        let triggers = text.split_once("triggers:").map_or("", |(_, t)| t);
        let field = |key: &str| -> f64 {
            let scope = if key.contains("ReplicaCount") {
                text.as_str()
            } else {
                triggers
            };
            scope
                .lines()
                .map(str::trim)
                .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
                .map(|v| v.trim().trim_matches('"'))
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{key} in {path}"))
        };
        Scaling {
            value: field("value"),
            activation: field("activationValue"),
            min: field("minReplicaCount") as u64,
            max: field("maxReplicaCount") as u64,
        }
    }

    /// KEDA's QueueLength scaling: at or below the activation value the
    /// deployment may go to its minimum (0 only when minReplicaCount is 0);
    /// above it the HPA asks for ceil(messages / value), within min..max.
    fn desired(&self, messages: u64) -> u64 {
        if (messages as f64) <= self.activation {
            return self.min;
        }
        ((messages as f64 / self.value).ceil() as u64).clamp(self.min.max(1), self.max)
    }
}

/// A worker's prefetch: the jobs one worker holds at once (the default).
const PREFETCH: i64 = 16;

/// How a round's backlog was shared, from the attempts the workers recorded:
/// no clock is compared, only who ran what and what overlapped.
#[derive(Debug, Clone, Copy)]
struct Share {
    /// Distinct worker processes that ran at least one attempt.
    workers: i64,
    /// The most attempts running at one instant.
    peak: i64,
}

async fn share(env: &Env2, jobs: &[uuid::Uuid]) -> Share {
    let (workers, peak): (i64, Option<i64>) = sqlx::query_as(
        "SELECT (SELECT count(DISTINCT worker_id) FROM job_attempts WHERE job_id = ANY($1)),
                (SELECT max((SELECT count(*) FROM job_attempts b
                              WHERE b.job_id = ANY($1)
                                AND b.started_at <= a.started_at
                                AND coalesce(b.finished_at, 'infinity') > a.started_at))
                   FROM job_attempts a WHERE a.job_id = ANY($1))",
    )
    .bind(jobs)
    .fetch_one(&env.db)
    .await
    .expect("attempts");
    Share {
        workers,
        peak: peak.unwrap_or(0),
    }
}

/// One drain: `workers` started on a backlog of [`JOBS`] analyses; the
/// second worker (if any) gets SIGTERM once a third of the jobs are done.
async fn drain(env: &Env2, scaling: &Scaling, workers: usize) -> (Vec<(f64, Depth)>, Share) {
    let http = reqwest::Client::new();
    let queue = env.topology.work_queue().to_owned();
    let (token, horse) = env.rider().await;
    let mut jobs = Vec::with_capacity(JOBS);
    for _ in 0..JOBS {
        jobs.push(env.upload(&token, horse, tiny_csv()).await.1);
    }
    // The whole backlog is in the queue, none in hand: the figure is the
    // job count, and it asks for the replicas the backlog needs. (The
    // management API refreshes its figures every few seconds.)
    let full = eventually(Duration::from_secs(30), || async {
        let d = depth(&http, &queue).await;
        (d.messages >= JOBS as u64).then_some(d)
    })
    .await
    .expect("the backlog reaches the queue");
    assert_eq!(full.messages, full.ready + full.unacked, "{full:?}");
    assert_eq!(full.unacked, 0, "no worker runs yet: {full:?}");
    assert!(
        scaling.desired(full.messages) >= 3,
        "{JOBS} jobs ask for 3 workers: {full:?}"
    );

    // Each job holds its slot 3 s (a worker runs its prefetch, 16, at once), so a drain lasts long enough for the
    // management API's figures to follow it.
    let opts = [("HOOFBEAT_FAULT_DELAY_MS", "3000")];
    let mut procs: Vec<WorkerProc> = (0..workers).map(|_| env.worker(&opts)).collect();
    let started = Instant::now();
    let mut curve = vec![(0.0, full)];
    let mut stopped = false;
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let d = depth(&http, &queue).await;
        let t = started.elapsed().as_secs_f64();
        curve.push((t, d));
        assert_eq!(d.messages, d.ready + d.unacked, "{d:?}");
        let done = env
            .count(
                "SELECT count(*) FROM jobs WHERE kind = 'analyze_session' AND status = 'succeeded'",
            )
            .await as usize;
        // While analyses remain, the figure never reads 0: jobs a worker
        // holds count, so KEDA does not scale it away mid-job.
        if done < total_jobs(env).await {
            assert!(
                d.messages > 0 || t < 1.0,
                "work remains but KEDA would read 0: {d:?}"
            );
        }
        if workers > 1 && !stopped && done >= JOBS / 3 {
            // A scale-down mid-backlog: SIGTERM, as Kubernetes sends it.
            let victim = procs.remove(1);
            assert_eq!(victim.terminate(Duration::from_secs(30)).await, Some(0));
            stopped = true;
        }
        if d.messages == 0 && done == total_jobs(env).await {
            break;
        }
        assert!(t < 120.0, "the backlog did not drain: {d:?}, {done} done");
    }
    assert!(
        curve.iter().any(|(_, d)| d.unacked > 0),
        "workers held prefetched jobs at some point: {curve:?}"
    );
    for job in &jobs {
        assert_eq!(env.job_status(*job).await.0, "succeeded");
    }
    // The round ends as a scale-in does: SIGTERM, jobs in hand finished.
    for w in procs {
        assert_eq!(w.terminate(Duration::from_secs(30)).await, Some(0));
    }
    (curve, share(env, &jobs).await)
}

/// Analyses uploaded so far in this test's database.
async fn total_jobs(env: &Env2) -> usize {
    env.count("SELECT count(*) FROM jobs WHERE kind = 'analyze_session'")
        .await as usize
}

#[tokio::test]
async fn queue_depth_drives_replicas_and_scale_down_loses_nothing() {
    let scaling = Scaling::from_manifest();
    assert_eq!(scaling.desired(0), scaling.min);
    assert!(scaling.desired(1) >= 1, "one message activates a worker");
    let env = setup().await;
    let mut report = String::new();
    let mut shares = Vec::new();
    for workers in 1..=3 {
        let (curve, share) = drain(&env, &scaling, workers).await;
        // Every started worker took part of the backlog (3 × 16 < 60).
        assert_eq!(share.workers, workers as i64, "{share:?}");
        shares.push(share);
        let desired: Vec<u64> = curve
            .iter()
            .map(|(_, d)| scaling.desired(d.messages))
            .collect();
        // Rises with the backlog, falls back to the minimum as it drains.
        assert!(desired[0] >= 3);
        assert_eq!(*desired.last().unwrap(), scaling.min);
        let secs = curve.last().unwrap().0;
        report.push_str(&format!(
            "{workers} worker(s){}, {JOBS} jobs of 3 s, drained in {secs:.1} s, \
             at most {} running at once\n",
            if workers > 1 {
                " (one SIGTERMed after a third)"
            } else {
                ""
            },
            share.peak
        ));
        report.push_str("   t_s  ready unacked messages desired\n");
        // The management API's figures change every few seconds: one row
        // per change.
        let mut last = None;
        for ((t, d), r) in curve.iter().zip(&desired) {
            if last != Some(d.messages * 1_000_000 + d.unacked) {
                report.push_str(&format!(
                    "{t:6.1} {:6} {:7} {:8} {r:7}\n",
                    d.ready, d.unacked, d.messages
                ));
                last = Some(d.messages * 1_000_000 + d.unacked);
            }
        }
    }
    // More replicas run more of the backlog at once: one worker never holds
    // more than its prefetch, three hold more. (Drain times are printed, not
    // compared: on a shared 2-core machine and with the management API's
    // 5 s refresh they are too coarse to assert on.)
    assert!(shares[0].peak <= PREFETCH, "{shares:?}");
    assert!(shares[2].peak > PREFETCH, "{shares:?}");
    // Exactly once, across the three rounds and the SIGTERMs.
    assert_eq!(
        env.count("SELECT count(*) FROM analysis_results").await,
        3 * JOBS as i64,
        "none lost, none duplicated"
    );
    println!("{report}");
}
