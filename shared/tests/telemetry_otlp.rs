//! Telemetry end to end: spans created through `tracing` reach an OTLP/HTTP
//! collector (a tiny local HTTP server), and W3C context survives a job
//! message round trip. The in-process tests use `with_default`, never the
//! global subscriber; `init` itself is exercised in child processes (this
//! test binary re-run with `HOOFBEAT_TELEMETRY_CHILD=1` and chosen env vars).
#![cfg(all(feature = "telemetry", feature = "testkit"))]

use std::collections::BTreeMap;

use opentelemetry::trace::TraceContextExt;
use opentelemetry_sdk::trace::SdkTracerProvider;
use shared::telemetry::{init, inject_context, otel_layer, otlp_tracer_provider, set_parent_from};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn spans_are_exported_over_otlp_http() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let (addr, seen) = rt.block_on(shared::testkit::otlp_collector());

    let provider =
        otlp_tracer_provider(&format!("http://{addr}/"), "hoofbeat-test-svc").expect("provider");
    let subscriber =
        tracing_subscriber::registry().with(otel_layer(&provider, "hoofbeat-test-svc"));
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("analyse_session_otlp_probe", session_id = 42);
        let _entered = span.enter();
        tracing::info!("inside the span");
    });
    provider.shutdown().expect("shutdown flushes the batch");

    let requests = seen.lock().expect("lock").clone();
    assert_eq!(
        requests.len(),
        1,
        "exactly one export request: {requests:?}"
    );
    let req = &requests[0];
    assert_eq!(
        (req.method.as_str(), req.path.as_str()),
        ("POST", "/v1/traces")
    );
    assert_eq!(req.content_type.as_deref(), Some("application/x-protobuf"));
    assert!(
        contains(&req.body, b"analyse_session_otlp_probe"),
        "span name in the protobuf body"
    );
    assert!(
        contains(&req.body, b"hoofbeat-test-svc"),
        "service.name resource in the body"
    );
}

#[test]
fn trace_id_survives_inject_and_set_parent_from() {
    // No exporter: spans are recorded and sampled but go nowhere.
    let provider = SdkTracerProvider::builder().build();
    let subscriber = tracing_subscriber::registry().with(otel_layer(&provider, "hoofbeat-test"));
    tracing::subscriber::with_default(subscriber, || {
        let api = tracing::info_span!("api_enqueue");
        let api_cx = api.context();
        let api_span = api_cx.span();
        let api_trace = api_span.span_context().trace_id();
        let carrier = inject_context(&api);
        let traceparent = carrier.get("traceparent").expect("traceparent injected");
        assert!(
            traceparent.starts_with(&format!("00-{api_trace}-")),
            "{traceparent}"
        );

        // The message crosses the queue as JSON; the worker rebuilds it.
        let wire = serde_json::to_string(&carrier).expect("json");
        let received: BTreeMap<String, String> = serde_json::from_str(&wire).expect("json");
        let worker = tracing::info_span!("worker_analyse");
        assert!(set_parent_from(&worker, &received));
        let worker_cx = worker.context();
        let worker_span = worker_cx.span();
        assert_eq!(worker_span.span_context().trace_id(), api_trace);

        // A malformed carrier leaves the span on its own trace.
        let mut bad = BTreeMap::new();
        bad.insert("traceparent".to_owned(), "not-a-traceparent".to_owned());
        let other = tracing::info_span!("worker_other");
        assert!(!set_parent_from(&other, &bad));
        let other_cx = other.context();
        assert_ne!(other_cx.span().span_context().trace_id(), api_trace);
    });
    provider.shutdown().expect("shutdown");
}

/// Child side of the `init` tests: does nothing in a normal run.
#[test]
fn child_init() {
    if std::env::var_os("HOOFBEAT_TELEMETRY_CHILD").is_none() {
        return;
    }
    match init("hoofbeat-child") {
        Ok(guard) => {
            println!("INIT_OK exporting={}", guard.exporting());
            match init("again") {
                Ok(_) => println!("SECOND_OK"),
                Err(e) => println!("SECOND_ERR {e}"),
            }
            {
                let span = tracing::info_span!("child_global_probe_span");
                let _entered = span.enter();
                tracing::info!(answer = 42, "hello from the child");
            }
            drop(guard);
            println!("GUARD_DROPPED");
        }
        Err(e) => println!("INIT_ERR {e}"),
    }
}

/// Runs `child_init` in a fresh process with `envs` (OTel/log vars cleared
/// first) and returns its stdout.
fn run_child(envs: &[(&str, &str)]) -> String {
    let exe = std::env::current_exe().expect("test binary path");
    let mut cmd = std::process::Command::new(exe);
    cmd.args(["--exact", "child_init", "--nocapture", "--test-threads=1"])
        .env("HOOFBEAT_TELEMETRY_CHILD", "1");
    for var in [
        "RUST_LOG",
        "LOG_FORMAT",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_HEADERS",
        "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(envs.iter().copied());
    let out = cmd.output().expect("run child");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "child failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn init_rejects_bad_env_values() {
    let out = run_child(&[("LOG_FORMAT", "xml")]);
    assert!(out.contains("INIT_ERR invalid LOG_FORMAT=\"xml\""), "{out}");
    let out = run_child(&[("RUST_LOG", "shared=loud")]);
    assert!(
        out.contains("INIT_ERR invalid RUST_LOG=\"shared=loud\""),
        "{out}"
    );
}

#[test]
fn init_logs_json_and_refuses_a_second_init() {
    let out = run_child(&[("LOG_FORMAT", "json"), ("RUST_LOG", "info")]);
    assert!(out.contains("INIT_OK exporting=false"), "{out}");
    assert!(
        out.contains("SECOND_ERR cannot install the tracing subscriber"),
        "{out}"
    );
    let line = out
        .lines()
        .find(|l| l.contains("hello from the child"))
        .unwrap_or_else(|| panic!("no log line: {out}"));
    let json: serde_json::Value = serde_json::from_str(line).expect("a JSON log line");
    assert_eq!(json["fields"]["answer"], 42, "{line}");
    assert_eq!(json["span"]["name"], "child_global_probe_span", "{line}");
}

#[test]
fn init_exports_to_otel_endpoint_and_guard_flushes() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let (addr, seen) = rt.block_on(shared::testkit::otlp_collector());
    let endpoint = format!("http://{addr}");
    let out = run_child(&[
        ("LOG_FORMAT", "json"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
    ]);
    assert!(out.contains("INIT_OK exporting=true"), "{out}");
    assert!(out.contains("GUARD_DROPPED"), "{out}");
    let requests = seen.lock().expect("lock").clone();
    assert!(
        requests.iter().any(|r| r.path == "/v1/traces"
            && contains(&r.body, b"child_global_probe_span")
            && contains(&r.body, b"hoofbeat-child")),
        "the guard's drop flushed the span: {requests:?}"
    );
}
