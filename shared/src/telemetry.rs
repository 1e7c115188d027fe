//! Logging and distributed tracing for the API, the worker and the CLI
//! (feature `telemetry`).
//!
//! - [`init`] installs the global `tracing` subscriber: an `EnvFilter` from
//!   `RUST_LOG` (default `info`), a fmt layer chosen by `LOG_FORMAT`
//!   (`json` | `pretty`; default `pretty` on a terminal, `json` otherwise)
//!   and, when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, an OpenTelemetry layer
//!   exporting spans over OTLP/HTTP (protobuf) through a batch processor.
//!   It returns a [`TelemetryGuard`] that flushes and shuts the exporter
//!   down when dropped: keep it alive in `main`.
//! - [`otlp_tracer_provider`] and [`otel_layer`] are the pieces `init` uses,
//!   public so that tests can build a pipeline against a local collector
//!   without touching the global subscriber.
//! - [`inject_context`] / [`set_parent_from`] carry W3C trace context
//!   (`traceparent`, `tracestate`) in job messages so that the worker's span
//!   continues the API's trace.
//!
//! Both propagation functions use the W3C propagator directly rather than
//! the global one, so they behave the same whether or not [`init`] ran.

use std::collections::BTreeMap;
use std::io::IsTerminal;

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Filter used when `RUST_LOG` is unset.
pub const DEFAULT_LOG_FILTER: &str = "info";

/// Why telemetry could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// An environment variable has a value we cannot use.
    #[error("invalid {var}={value:?}: {reason}")]
    InvalidEnv {
        /// Variable name.
        var: &'static str,
        /// Its value.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The OTLP exporter could not be built (bad endpoint, HTTP client).
    #[error("cannot build the OTLP span exporter for {endpoint}: {source}")]
    Exporter {
        /// The traces URL that was tried.
        endpoint: String,
        /// Exporter error.
        source: opentelemetry_otlp::ExporterBuildError,
    },
    /// A global subscriber was already installed (init called twice).
    #[error("cannot install the tracing subscriber: {0}")]
    AlreadyInitialised(String),
}

/// Log line format (`LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per event, for log shippers.
    Json,
    /// Human-readable multi-line output, for terminals.
    Pretty,
}

impl LogFormat {
    /// Parses `LOG_FORMAT`'s value; `None` (unset or empty) picks `pretty`
    /// on a terminal and `json` otherwise, so containers log JSON by default.
    pub fn from_env_value(value: Option<&str>, is_terminal: bool) -> Result<Self, TelemetryError> {
        match value.map(str::trim) {
            None | Some("") => Ok(if is_terminal {
                Self::Pretty
            } else {
                Self::Json
            }),
            Some(v) if v.eq_ignore_ascii_case("json") => Ok(Self::Json),
            Some(v) if v.eq_ignore_ascii_case("pretty") => Ok(Self::Pretty),
            Some(v) => Err(TelemetryError::InvalidEnv {
                var: "LOG_FORMAT",
                value: v.to_owned(),
                reason: "expected json or pretty".to_owned(),
            }),
        }
    }
}

/// Builds the `EnvFilter` from `RUST_LOG`'s value (default
/// [`DEFAULT_LOG_FILTER`]); a malformed directive is an error rather than
/// being silently ignored.
pub fn env_filter(value: Option<&str>) -> Result<EnvFilter, TelemetryError> {
    match value.map(str::trim) {
        None | Some("") => Ok(EnvFilter::new(DEFAULT_LOG_FILTER)),
        Some(v) => EnvFilter::try_new(v).map_err(|e| TelemetryError::InvalidEnv {
            var: "RUST_LOG",
            value: v.to_owned(),
            reason: e.to_string(),
        }),
    }
}

/// OTLP/HTTP traces URL for a base endpoint, as the OpenTelemetry spec
/// defines it for `OTEL_EXPORTER_OTLP_ENDPOINT`: `{base}/v1/traces`.
pub fn traces_url(endpoint: &str) -> String {
    format!("{}/v1/traces", endpoint.trim_end_matches('/'))
}

/// A tracer provider exporting spans to `{endpoint}/v1/traces` over
/// OTLP/HTTP protobuf, with a batch processor and the `service.name`
/// resource.
///
/// The batch processor runs on its own thread with a blocking HTTP client,
/// so this works inside or outside a Tokio runtime. Call `shutdown` (or drop
/// a [`TelemetryGuard`]) to flush the last batch.
pub fn otlp_tracer_provider(
    endpoint: &str,
    service_name: &str,
) -> Result<SdkTracerProvider, TelemetryError> {
    let url = traces_url(endpoint);
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(url.clone())
        .build()
        .map_err(|source| TelemetryError::Exporter {
            endpoint: url,
            source,
        })?;
    let resource = Resource::builder()
        .with_service_name(service_name.to_owned())
        .build();
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build())
}

/// The `tracing` → OpenTelemetry bridge layer for any subscriber, using a
/// tracer named after the service.
pub fn otel_layer<S>(provider: &SdkTracerProvider, service_name: &str) -> impl Layer<S> + use<S>
where
    S: tracing::Subscriber + for<'span> LookupSpan<'span>,
{
    tracing_opentelemetry::layer().with_tracer(provider.tracer(service_name.to_owned()))
}

/// Keeps the span exporter alive; dropping it flushes pending spans and
/// shuts the exporter down (bounded by the exporter's HTTP timeout), so
/// spans from the last seconds before exit are not lost.
#[derive(Debug)]
#[must_use = "dropping the guard shuts the span exporter down"]
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
}

impl TelemetryGuard {
    /// True when spans are exported (an OTLP endpoint was configured).
    pub fn exporting(&self) -> bool {
        self.provider.is_some()
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take() {
            // The subscriber may already be gone at exit: report on stderr.
            if let Err(e) = provider.force_flush() {
                eprintln!("telemetry: flushing spans failed: {e}");
            }
            if let Err(e) = provider.shutdown() {
                eprintln!("telemetry: shutting the span exporter down failed: {e}");
            }
        }
    }
}

fn env_var(name: &'static str) -> Result<Option<String>, TelemetryError> {
    match std::env::var(name) {
        Ok(v) => Ok(Some(v)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(v)) => Err(TelemetryError::InvalidEnv {
            var: name,
            value: v.to_string_lossy().into_owned(),
            reason: "not valid UTF-8".to_owned(),
        }),
    }
}

/// Installs the global subscriber (see the module docs) and the W3C
/// TraceContext propagator. Call once, early in `main`, and keep the guard.
pub fn init(service_name: &str) -> Result<TelemetryGuard, TelemetryError> {
    let filter = env_filter(env_var("RUST_LOG")?.as_deref())?;
    // Logs go to stdout (the fmt layer's default writer).
    let is_terminal = std::io::stdout().is_terminal();
    let format = LogFormat::from_env_value(env_var("LOG_FORMAT")?.as_deref(), is_terminal)?;
    let endpoint = env_var("OTEL_EXPORTER_OTLP_ENDPOINT")?.filter(|e| !e.trim().is_empty());
    let provider = endpoint
        .as_deref()
        .map(|e| otlp_tracer_provider(e.trim(), service_name))
        .transpose()?;

    let fmt_layer = match format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_ansi(false)
            .boxed(),
        LogFormat::Pretty => tracing_subscriber::fmt::layer()
            .pretty()
            .with_ansi(is_terminal)
            .boxed(),
    };
    let otel = provider.as_ref().map(|p| otel_layer(p, service_name));
    tracing_subscriber::registry()
        .with(fmt_layer)
        .with(otel)
        .with(filter)
        .try_init()
        .map_err(|e| TelemetryError::AlreadyInitialised(e.to_string()))?;

    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    if let Some(p) = &provider {
        opentelemetry::global::set_tracer_provider(p.clone());
    }
    if let Some(e) = &endpoint {
        tracing::info!(endpoint = %traces_url(e.trim()), service = service_name, "exporting spans over OTLP/HTTP");
    }
    Ok(TelemetryGuard { provider })
}

struct MapInjector<'a>(&'a mut BTreeMap<String, String>);

impl Injector for MapInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), value);
    }
}

struct MapExtractor<'a>(&'a BTreeMap<String, String>);

impl Extractor for MapExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }
}

/// W3C trace context (`traceparent`, and `tracestate` when non-empty) of
/// `span`, to put into a job message. Empty when the span is disabled or no
/// OpenTelemetry layer is installed: the worker then simply starts a new
/// trace.
pub fn inject_context(span: &tracing::Span) -> BTreeMap<String, String> {
    let mut carrier = BTreeMap::new();
    TraceContextPropagator::new().inject_context(&span.context(), &mut MapInjector(&mut carrier));
    carrier
}

/// Makes `span` a child of the remote span described by `carrier` (from
/// [`inject_context`]). Call before the span is first entered. A missing or
/// malformed `traceparent` leaves the span alone; returns whether a parent
/// was set.
pub fn set_parent_from(span: &tracing::Span, carrier: &BTreeMap<String, String>) -> bool {
    let cx = TraceContextPropagator::new()
        .extract_with_context(&opentelemetry::Context::new(), &MapExtractor(carrier));
    if !cx.span().span_context().is_valid() {
        return false;
    }
    span.set_parent(cx).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_format_values() {
        assert_eq!(
            LogFormat::from_env_value(None, true).ok(),
            Some(LogFormat::Pretty)
        );
        assert_eq!(
            LogFormat::from_env_value(None, false).ok(),
            Some(LogFormat::Json)
        );
        assert_eq!(
            LogFormat::from_env_value(Some("JSON"), true).ok(),
            Some(LogFormat::Json)
        );
        assert_eq!(
            LogFormat::from_env_value(Some("pretty"), false).ok(),
            Some(LogFormat::Pretty)
        );
        let err = LogFormat::from_env_value(Some("xml"), false)
            .map(|_| ())
            .unwrap_err();
        assert!(err.to_string().contains("LOG_FORMAT"), "{err}");
    }

    #[test]
    fn filter_values() {
        assert!(env_filter(None).is_ok());
        assert!(env_filter(Some("warn,shared=debug")).is_ok());
        let err = env_filter(Some("shared=notalevel"))
            .map(|_| ())
            .unwrap_err();
        assert!(err.to_string().contains("RUST_LOG"), "{err}");
    }

    #[test]
    fn urls() {
        assert_eq!(traces_url("http://c:4318/"), "http://c:4318/v1/traces");
        assert_eq!(
            traces_url("http://c:4318/otlp"),
            "http://c:4318/otlp/v1/traces"
        );
    }

    #[test]
    fn no_layer_means_empty_carrier() {
        let span = tracing::info_span!("x");
        assert!(inject_context(&span).is_empty());
        assert!(!set_parent_from(&span, &BTreeMap::new()));
    }
}
