//! Prometheus metrics: request counts and latencies by route and status, and
//! the outbox's state. Each [`Metrics`] has its own registry (no globals), so
//! that tests can run many applications in one process.

use std::sync::atomic::AtomicU64;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

use crate::state::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

type HistogramFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// The API's instruments.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily,
    /// Outbox rows published with a broker confirm.
    pub outbox_published: Counter,
    /// Of those, the rows the upload handlers handed over and the relay
    /// published at once (`outbox::direct`), without a claim.
    pub outbox_published_direct: Counter,
    /// Outbox rows not yet published (refreshed at each scrape).
    pub outbox_backlog: Gauge,
    /// Seconds since the oldest of those rows became due; 0 when there is
    /// none (refreshed at each scrape).
    pub outbox_oldest_age: Gauge<f64, AtomicU64>,
    /// 1 while the relay holds a broker connection.
    pub broker_connected: Gauge,
    /// Stuck jobs the sweeper found, by what it did (`requeued`, `dead`).
    pub stuck_jobs: Family<StuckLabels, Counter>,
}

/// Labels of the stuck-job counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StuckLabels {
    /// `requeued` (published again) or `dead` (attempt budget spent).
    pub action: &'static str,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("hoofbeat_api");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: HistogramFamily =
            Family::new_with_constructor(|| Histogram::new(exponential_buckets(0.0005, 2.0, 16)));
        let outbox_published = Counter::default();
        let outbox_published_direct = Counter::default();
        let outbox_backlog = Gauge::default();
        let outbox_oldest_age = Gauge::<f64, AtomicU64>::default();
        let broker_connected = Gauge::default();
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route",
            latency.clone(),
        );
        registry.register(
            "outbox_published",
            "Outbox messages published with a broker confirm",
            outbox_published.clone(),
        );
        registry.register(
            "outbox_published_direct",
            "Outbox messages published right after their upload's commit, without a claim",
            outbox_published_direct.clone(),
        );
        registry.register(
            "outbox_backlog",
            "Outbox messages waiting to be published",
            outbox_backlog.clone(),
        );
        registry.register_with_unit(
            "outbox_oldest_age",
            "Age of the oldest outbox message waiting to be published (since it became due; 0 when none waits)",
            Unit::Seconds,
            outbox_oldest_age.clone(),
        );
        registry.register(
            "broker_connected",
            "1 while the outbox relay is connected to RabbitMQ",
            broker_connected.clone(),
        );
        let stuck_jobs = Family::<StuckLabels, Counter>::default();
        registry.register(
            "stuck_jobs_found",
            "Jobs found without progress for too long, by the sweeper's action",
            stuck_jobs.clone(),
        );
        Self {
            registry,
            stuck_jobs,
            requests,
            latency,
            outbox_published,
            outbox_published_direct,
            outbox_backlog,
            outbox_oldest_age,
            broker_connected,
        }
    }
}

impl Metrics {
    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// Middleware recording every request under its route template (not its
/// concrete path, which would explode the label space).
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    // Made-up methods (`XQZRT /livez`) share one label, as unmatched paths
    // do: a client must not be able to grow /metrics without bound.
    let method = match *request.method() {
        Method::GET
        | Method::POST
        | Method::PUT
        | Method::PATCH
        | Method::DELETE
        | Method::HEAD
        | Method::OPTIONS => request.method().to_string(),
        _ => "other".to_owned(),
    };
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let m = &state.metrics;
    m.latency
        .get_or_create(&RouteLabels {
            method: method.clone(),
            route: route.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    m.requests
        .get_or_create(&RequestLabels {
            method,
            route,
            status,
        })
        .inc();
    response
}
