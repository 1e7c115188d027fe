//! One trace per upload, end to end: a real `hoofbeat-api` process and a
//! real `hoofbeat-worker` process export their spans over OTLP/HTTP to a
//! collector in this test, and the spans of one upload — the HTTP request,
//! the outbox relay's publish, the worker's job (the consume), the analysis
//! on the rayon pool and the result write — form one trace, every parent
//! link intact, continuing the trace the phone started (`traceparent`).
//! The admin API's job detail shows the same trace id.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use serde_json::Value;
use shared::testkit::{AMQP, Scratch, create_horse, eventually, recording, sign_up};
use uuid::Uuid;

// ---------------------------------------------------------------------------
// The collector: OTLP/HTTP (protobuf) on a local port, decoded by hand.

/// One span as exported, with what the test looks at.
#[derive(Debug, Clone)]
struct Span {
    /// `service.name` of the exporting process.
    service: String,
    trace_id: String,
    span_id: String,
    /// `None` for a root span.
    parent: Option<String>,
    name: String,
    /// OTLP `SpanKind`: 1 internal, 2 server, 3 client, 4 producer, 5 consumer.
    kind: u64,
    attributes: BTreeMap<String, String>,
    /// Names of the span's events (a `tracing` event's message).
    events: Vec<String>,
}

impl Span {
    fn attr(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).map(String::as_str)
    }
}

/// Protobuf wire values (the subset OTLP uses).
enum Wire<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed64(u64),
    Fixed32,
}

fn varint(buf: &mut &[u8]) -> u64 {
    let mut value = 0_u64;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = buf.split_first().expect("truncated varint");
        *buf = rest;
        value |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return value;
        }
    }
    panic!("varint too long")
}

/// The fields of one protobuf message, in order.
fn fields(mut buf: &[u8]) -> Vec<(u64, Wire<'_>)> {
    let mut out = Vec::new();
    while !buf.is_empty() {
        let key = varint(&mut buf);
        let value = match key & 7 {
            0 => Wire::Varint(varint(&mut buf)),
            1 => {
                let (v, rest) = buf.split_at(8);
                buf = rest;
                Wire::Fixed64(u64::from_le_bytes(v.try_into().unwrap()))
            }
            2 => {
                let len = usize::try_from(varint(&mut buf)).unwrap();
                let (v, rest) = buf.split_at(len);
                buf = rest;
                Wire::Bytes(v)
            }
            5 => {
                buf = &buf[4..];
                Wire::Fixed32
            }
            other => panic!("unexpected wire type {other}"),
        };
        out.push((key >> 3, value));
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A `KeyValue` (key 1, `AnyValue` 2) as text.
fn key_value(buf: &[u8]) -> (String, String) {
    let (mut key, mut value) = (String::new(), String::new());
    for (n, v) in fields(buf) {
        match (n, v) {
            (1, Wire::Bytes(b)) => key = text(b),
            (2, Wire::Bytes(any)) => {
                for (n, v) in fields(any) {
                    value = match (n, v) {
                        (1, Wire::Bytes(s)) => text(s),
                        (2, Wire::Varint(b)) => (b != 0).to_string(),
                        (3, Wire::Varint(i)) => (i as i64).to_string(),
                        (4, Wire::Fixed64(f)) => f64::from_bits(f).to_string(),
                        _ => "<complex>".to_owned(),
                    };
                }
            }
            _ => {}
        }
    }
    (key, value)
}

fn decode_span(service: &str, buf: &[u8]) -> Span {
    let mut span = Span {
        service: service.to_owned(),
        trace_id: String::new(),
        span_id: String::new(),
        parent: None,
        name: String::new(),
        kind: 0,
        attributes: BTreeMap::new(),
        events: Vec::new(),
    };
    for (n, v) in fields(buf) {
        match (n, v) {
            (1, Wire::Bytes(b)) => span.trace_id = hex(b),
            (2, Wire::Bytes(b)) => span.span_id = hex(b),
            (4, Wire::Bytes(b)) if !b.is_empty() => span.parent = Some(hex(b)),
            (5, Wire::Bytes(b)) => span.name = text(b),
            (6, Wire::Varint(k)) => span.kind = k,
            (9, Wire::Bytes(kv)) => {
                let (k, v) = key_value(kv);
                span.attributes.insert(k, v);
            }
            (11, Wire::Bytes(event)) => {
                for (n, v) in fields(event) {
                    if let (2, Wire::Bytes(name)) = (n, v) {
                        span.events.push(text(name));
                    }
                }
            }
            _ => {}
        }
    }
    span
}

/// Every span of an `ExportTraceServiceRequest`.
fn decode_export(body: &[u8]) -> Vec<Span> {
    let mut spans = Vec::new();
    for (n, v) in fields(body) {
        let (1, Wire::Bytes(resource_spans)) = (n, v) else {
            continue;
        };
        let mut service = String::new();
        let mut scopes = Vec::new();
        for (n, v) in fields(resource_spans) {
            match (n, v) {
                (1, Wire::Bytes(resource)) => {
                    for (n, v) in fields(resource) {
                        if let (1, Wire::Bytes(kv)) = (n, v) {
                            let (k, v) = key_value(kv);
                            if k == "service.name" {
                                service = v;
                            }
                        }
                    }
                }
                (2, Wire::Bytes(scope_spans)) => scopes.push(scope_spans),
                _ => {}
            }
        }
        for scope_spans in scopes {
            for (n, v) in fields(scope_spans) {
                if let (2, Wire::Bytes(span)) = (n, v) {
                    spans.push(decode_span(&service, span));
                }
            }
        }
    }
    spans
}

/// The spans an OTLP/HTTP receiver (`shared::testkit::otlp_collector`) has
/// received so far, decoded.
fn collected_spans(requests: &shared::testkit::OtlpRequests) -> Vec<Span> {
    let requests = requests.lock().expect("lock").clone();
    requests
        .iter()
        .filter(|r| r.path == "/v1/traces")
        .flat_map(|r| decode_export(&r.body))
        .collect()
}

// ---------------------------------------------------------------------------
// The processes.

fn free_port() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr")
}

/// `hoofbeat-api`, built if needed: `cargo test -p worker` builds only this
/// package's binaries.
///
/// The build asks for the same thing `cargo test --workspace` (the README's
/// test command) builds — every workspace test target, so the same feature
/// unification (dev-dependencies included) — and is then a no-op. A plain
/// `cargo build -p api` resolves features for `api` alone, which differ, so it
/// rebuilt ~60 dependencies and relinked the binary: 4 min 52 s of a cold CI
/// run on 2 cores. Run on its own (`cargo test -p worker --test trace_e2e`)
/// this builds the workspace's tests once.
fn api_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test exe");
    let dir: &Path = exe.parent().and_then(Path::parent).expect("target dir");
    let mut cmd = Command::new(env!("CARGO"));
    cmd.args([
        "build",
        "--workspace",
        "--tests",
        "--bin",
        "hoofbeat-api",
        "--locked",
    ]);
    // What cargo sets for this test's own run (its package, manifest dir…)
    // would look like a changed environment to build scripts and proc
    // macros, and rebuild them every time.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if [
            "CARGO_PKG_",
            "CARGO_MANIFEST_",
            "CARGO_BIN_",
            "CARGO_CRATE_",
            "CARGO_PRIMARY_",
            "CARGO_TARGET_TMPDIR",
        ]
        .iter()
        .any(|p| key.starts_with(p))
        {
            cmd.env_remove(&*key);
        }
    }
    if dir.file_name().is_some_and(|n| n == "release") {
        cmd.arg("--release");
    }
    let status = cmd.status().expect("cargo build");
    assert!(
        status.success(),
        "cargo build --workspace --tests --bin hoofbeat-api"
    );
    let bin = dir.join("hoofbeat-api");
    assert!(bin.exists(), "{} missing", bin.display());
    bin
}

/// A child process, killed if the test ends without stopping it.
struct Proc {
    name: &'static str,
    child: Child,
    log: PathBuf,
}

impl Proc {
    fn spawn(name: &'static str, bin: &Path, env: &[(&str, String)], log: PathBuf) -> Proc {
        let mut cmd = Command::new(bin);
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::from(std::fs::File::create(&log).expect("log file")))
            .stderr(Stdio::inherit());
        Proc {
            name,
            child: cmd.spawn().unwrap_or_else(|e| panic!("spawn {name}: {e}")),
            log,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, then waits (polling, 30 s at most) for the exit: both
    /// binaries flush their spans on the way out.
    async fn terminate(&mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -TERM {pid}");
        let child = &mut self.child;
        eventually(Duration::from_secs(30), || {
            let exited = child.try_wait().expect("try_wait");
            async move { exited }
        })
        .await
        .unwrap_or_else(|| panic!("{} did not exit after SIGTERM", self.name))
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

async fn ready(http: &reqwest::Client, url: &str, broker_up: bool) -> bool {
    eventually(Duration::from_secs(60), || async {
        let r = http.get(url).send().await.ok()?;
        if !r.status().is_success() {
            return None;
        }
        if !broker_up {
            return Some(());
        }
        let v: Value = r.json().await.ok()?;
        (v["broker"] == "up").then_some(())
    })
    .await
    .is_some()
}

/// The one span of `service` named `name` among `spans`.
fn one<'a>(spans: &[&'a Span], service: &str, name: &str) -> &'a Span {
    let found: Vec<&'a Span> = spans
        .iter()
        .copied()
        .filter(|s| s.service == service && s.name == name)
        .collect();
    assert_eq!(found.len(), 1, "one {service} {name} span: {spans:#?}");
    found[0]
}

// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_upload_is_one_trace_from_request_to_result() {
    let scratch = Scratch::create("hb_trace").await;
    let (collector, collected) = shared::testkit::otlp_collector().await;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let api_addr = free_port();
    let worker_addr = free_port();
    let base = format!("http://{api_addr}");
    let common = [
        ("DATABASE_URL", scratch.db_url()),
        ("AMQP_URL", AMQP.to_owned()),
        ("HOOFBEAT_AMQP_PREFIX", scratch.prefix.clone()),
        ("HOOFBEAT_DB_TIMEOUT_MS", "2000".to_owned()),
        ("HOOFBEAT_AMQP_TIMEOUT_MS", "5000".to_owned()),
        // The trend job the analysis queues waits in the outbox for the
        // whole test: this trace is the analysis'.
        ("HOOFBEAT_TREND_DEBOUNCE_MS", "600000".to_owned()),
        ("LOG_FORMAT", "json".to_owned()),
        ("RUST_LOG", "info".to_owned()),
    ];
    let traced = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{collector}")),
        // Export within 100 ms rather than the default 5 s.
        ("OTEL_BSP_SCHEDULE_DELAY", "100".to_owned()),
    ];
    let tmp = std::env::temp_dir();
    let api_bin = api_binary();
    let mut api_env: Vec<(&str, String)> = common.iter().chain(&traced).cloned().collect();
    api_env.push(("HOOFBEAT_LISTEN_ADDR", api_addr.to_string()));
    api_env.push(("HOOFBEAT_OUTBOX_POLL_MS", "200".to_owned()));
    let mut api = Proc::spawn(
        "hoofbeat-api",
        &api_bin,
        &api_env,
        tmp.join(format!("{}-api.log", scratch.prefix)),
    );
    assert!(
        ready(&http, &format!("{base}/readyz"), true).await,
        "the API is not ready:\n{}",
        api.log()
    );
    let mut worker_env: Vec<(&str, String)> = common.iter().chain(&traced).cloned().collect();
    worker_env.push(("HOOFBEAT_WORKER_HTTP_ADDR", worker_addr.to_string()));
    worker_env.push(("HOOFBEAT_ANALYSIS_THREADS", "1".to_owned()));
    let mut worker = Proc::spawn(
        "hoofbeat-worker",
        Path::new(env!("CARGO_BIN_EXE_hoofbeat-worker")),
        &worker_env,
        tmp.join(format!("{}-worker.log", scratch.prefix)),
    );
    assert!(
        ready(&http, &format!("http://{worker_addr}/readyz"), false).await,
        "the worker is not ready:\n{}",
        worker.log()
    );

    // The phone starts the trace: its upload carries a traceparent.
    let (token, _) = sign_up(&http, &base, "rider@example.com").await;
    let horse = create_horse(&http, &base, &token, "Comet").await;
    let trace = Uuid::new_v4().simple().to_string();
    let phone_span = Uuid::new_v4().simple().to_string()[..16].to_owned();
    let r = http
        .post(format!(
            "{base}/v1/horses/{horse}/sessions?started_at=2026-11-26T09:00:00Z&discipline=flat"
        ))
        .bearer_auth(&token)
        .header("content-type", "text/csv")
        .header("traceparent", format!("00-{trace}-{phone_span}-01"))
        .body(shared::sensor::encode_csv(&recording(60.0, 100.0)))
        .send()
        .await
        .expect("upload");
    assert_eq!(r.status(), reqwest::StatusCode::ACCEPTED);
    let up: Value = r.json().await.expect("upload json");
    let session = up["session"]["id"].as_str().expect("session id").to_owned();
    let job = up["job"]["id"].as_str().expect("job id").to_owned();

    let analysed = eventually(Duration::from_secs(60), || async {
        let r = http
            .get(format!("{base}/v1/sessions/{session}/analysis"))
            .bearer_auth(&token)
            .send()
            .await
            .ok()?;
        (r.status() == reqwest::StatusCode::OK).then_some(())
    })
    .await;
    assert!(
        analysed.is_some(),
        "no analysis within 60 s\napi:\n{}\nworker:\n{}",
        api.log(),
        worker.log()
    );

    // The job detail shows the trace id (the operator's `admin grant` path).
    let (admin, _) = sign_up(&http, &base, "boss@example.com").await;
    let granted = Command::new(&api_bin)
        .args(["admin", "grant", "boss@example.com"])
        .env_clear()
        .envs(common.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .expect("hoofbeat-api admin grant");
    assert!(granted.status.success(), "{granted:?}");
    let detail: Value = http
        .get(format!("{base}/v1/admin/jobs/{job}"))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("job detail")
        .json()
        .await
        .expect("job detail json");
    assert_eq!(detail["trace_id"], trace.as_str(), "{detail}");
    assert_eq!(detail["status"], "succeeded", "{detail}");

    // Wait for the five spans, then stop both processes gracefully so that
    // every span they still hold is flushed before the links are checked.
    let wanted = |spans: &[Span]| {
        let ours = |s: &&Span| s.trace_id == trace;
        let has = |service: &str, name: &str| {
            spans
                .iter()
                .filter(ours)
                .any(|s| s.service == service && s.name == name)
        };
        has("hoofbeat-api", "http")
            && has("hoofbeat-api", "publish")
            && has("hoofbeat-worker", "job")
            && has("hoofbeat-worker", "compute")
            && has("hoofbeat-worker", "store_result")
    };
    let arrived = eventually(Duration::from_secs(30), || {
        let done = wanted(&collected_spans(&collected));
        async move { done.then_some(()) }
    })
    .await;
    let worker_exit = worker.terminate().await;
    let api_exit = api.terminate().await;
    assert!(worker_exit.success(), "worker exit {worker_exit:?}");
    assert!(api_exit.success(), "api exit {api_exit:?}");
    let spans = collected_spans(&collected);
    assert!(
        arrived.is_some(),
        "missing spans; collected:\n{spans:#?}\napi:\n{}\nworker:\n{}",
        api.log(),
        worker.log()
    );

    // Everything about this job is in the phone's trace, nowhere else.
    for s in spans
        .iter()
        .filter(|s| s.attr("job_id") == Some(job.as_str()))
    {
        assert_eq!(
            s.trace_id, trace,
            "a span of the job outside the trace: {s:#?}"
        );
    }
    let ours: Vec<&Span> = spans.iter().filter(|s| s.trace_id == trace).collect();
    let by_id: BTreeMap<&str, &Span> = ours.iter().map(|s| (s.span_id.as_str(), *s)).collect();
    assert_eq!(by_id.len(), ours.len(), "span ids are unique: {ours:#?}");
    let request = one(&ours, "hoofbeat-api", "http");
    let publish = one(&ours, "hoofbeat-api", "publish");
    let consume = one(&ours, "hoofbeat-worker", "job");
    let compute = one(&ours, "hoofbeat-worker", "compute");
    let store = one(&ours, "hoofbeat-worker", "store_result");

    // request: the phone's span is its parent
    assert_eq!(request.parent.as_deref(), Some(phone_span.as_str()));
    assert_eq!(request.attr("method"), Some("POST"), "{request:#?}");
    assert!(
        request
            .attr("route")
            .is_some_and(|r| r.ends_with("/sessions")),
        "{request:#?}"
    );
    // publish: under the request, a producer, of this job
    let ancestors = |s: &Span| {
        let mut chain = Vec::new();
        let mut at = s.parent.as_deref();
        while let Some(id) = at {
            chain.push(id.to_owned());
            at = by_id.get(id).and_then(|p| p.parent.as_deref());
        }
        chain
    };
    assert!(
        ancestors(publish).contains(&request.span_id),
        "publish under the request: {publish:#?}"
    );
    assert_eq!(publish.kind, 4, "producer: {publish:#?}");
    assert_eq!(publish.attr("job_id"), Some(job.as_str()));
    // consume: the worker's job span continues from the publish
    assert_eq!(consume.parent.as_deref(), Some(publish.span_id.as_str()));
    assert_eq!(consume.attr("job_id"), Some(job.as_str()));
    assert_eq!(consume.kind, 5, "consumer: {consume:#?}");
    assert_eq!(consume.attr("trace_id"), Some(trace.as_str()));
    // analysis: on the rayon pool, under the job
    assert_eq!(compute.parent.as_deref(), Some(consume.span_id.as_str()));
    // result write: its own span under the job, and recorded in the job's span
    assert_eq!(store.parent.as_deref(), Some(consume.span_id.as_str()));
    assert!(
        consume.events.iter().any(|e| e == "analysis stored"),
        "the result write in the job's span: {consume:#?}"
    );

    // Parent links intact: every span's parent is in the trace, but for the
    // request's (the phone's span, which only the phone exports).
    for s in &ours {
        match s.parent.as_deref() {
            Some(p) if p == phone_span => assert_eq!(s.span_id, request.span_id),
            Some(p) => assert!(by_id.contains_key(p), "orphan span: {s:#?}\nin {ours:#?}"),
            None => panic!("a second root in the trace: {s:#?}"),
        }
    }
    let services: BTreeSet<&str> = ours.iter().map(|s| s.service.as_str()).collect();
    assert_eq!(
        services,
        BTreeSet::from(["hoofbeat-api", "hoofbeat-worker"])
    );
    drop(scratch);
}
