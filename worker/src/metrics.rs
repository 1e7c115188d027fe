//! The worker's Prometheus instruments (per-process registry, no globals).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Labels of the job counters.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Outcome {
    /// Job kind.
    pub kind: String,
    /// `succeeded`, `retried`, `dead`, `deferred` (database down), `duplicate`, `gone`, `rejected`.
    pub outcome: &'static str,
}

/// Labels of the dead-letter counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DeadLetter {
    /// `marked_dead`, `unchanged` or `kept` (see `dead_letters::Reconciled`).
    pub outcome: &'static str,
}

/// Labels of the per-kind instruments.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Kind {
    /// Job kind.
    pub kind: String,
}

type Histograms = Family<Kind, Histogram, fn() -> Histogram>;

/// The instruments.
pub struct Metrics {
    registry: Registry,
    /// Jobs by kind and outcome.
    pub jobs: Family<Outcome, Counter>,
    /// Run time of a job (load, analysis, store).
    pub duration: Histograms,
    /// Time from enqueue to the start of the job.
    pub queue_latency: Histograms,
    /// Jobs in hand.
    pub in_flight: Gauge,
    /// 1 while consuming.
    pub consuming: Gauge,
    /// Dead letters reconciled, by outcome.
    pub dead_letters: Family<DeadLetter, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("hoofbeat_worker");
        let jobs = Family::<Outcome, Counter>::default();
        let duration: Histograms =
            Family::new_with_constructor(|| Histogram::new(exponential_buckets(0.001, 2.0, 18)));
        let queue_latency: Histograms =
            Family::new_with_constructor(|| Histogram::new(exponential_buckets(0.0005, 2.0, 20)));
        let in_flight = Gauge::default();
        let consuming = Gauge::default();
        registry.register("jobs", "Jobs handled, by kind and outcome", jobs.clone());
        registry.register(
            "job_duration_seconds",
            "Time to run a job",
            duration.clone(),
        );
        registry.register(
            "queue_latency_seconds",
            "Time from enqueue to job start",
            queue_latency.clone(),
        );
        registry.register("jobs_in_flight", "Jobs in hand", in_flight.clone());
        registry.register(
            "consuming",
            "1 while consuming from the broker",
            consuming.clone(),
        );
        let dead_letters = Family::<DeadLetter, Counter>::default();
        registry.register(
            "dead_letters",
            "Dead-lettered messages reconciled with their jobs, by outcome",
            dead_letters.clone(),
        );
        Self {
            registry,
            dead_letters,
            jobs,
            duration,
            queue_latency,
            in_flight,
            consuming,
        }
    }
}

impl Metrics {
    /// Counts one job outcome.
    pub fn outcome(&self, kind: &str, outcome: &'static str) {
        self.jobs
            .get_or_create(&Outcome {
                kind: kind.to_owned(),
                outcome,
            })
            .inc();
    }

    /// Counts one reconciled dead letter.
    pub fn dead_letter(&self, outcome: &'static str) {
        self.dead_letters
            .get_or_create(&DeadLetter { outcome })
            .inc();
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
