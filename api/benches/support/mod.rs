//! Shared pieces of the API benchmarks: a database and an AMQP prefix of their
//! own per run (dropped at the end, even on panic), the release
//! `hoofbeat-api` binary as a child process, accounts and horses through the
//! real API, a minimal HTTP/1.1 load generator, and small statistics helpers.
//!
//! Included by each bench with `#[path = "support/mod.rs"] mod support;`.

// Each bench uses a different subset of these helpers.
#![allow(dead_code)]

use std::net::{SocketAddr, TcpListener as StdListener};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use serde_json::Value;
use shared::sensor;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use uuid::Uuid;

pub use shared::testkit::{AMQP, Scratch, recording};
pub const BINARY_CT: &str = "application/vnd.hoofbeat.imu";
pub const MB: f64 = 1_000_000.0;

/// The environment of an API process: its database, prefix and port, the
/// same settings as the test harness, plus `HB_BENCH_API_ENV`.
pub fn api_env(cmd: &mut Command, scratch: &Scratch, port: u16) {
    cmd.env("DATABASE_URL", scratch.db_url())
        .env("AMQP_URL", AMQP)
        .env("HOOFBEAT_AMQP_PREFIX", &scratch.prefix)
        .env("HOOFBEAT_LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("HOOFBEAT_LOGIN_PER_MINUTE", "1000")
        .env("RUST_LOG", "info")
        .env("LOG_FORMAT", "json")
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT");
    if let Ok(extra) = std::env::var("HB_BENCH_API_ENV") {
        for pair in extra.split(',').filter(|p| !p.is_empty()) {
            if let Some((k, v)) = pair.split_once('=') {
                cmd.env(k.trim(), v.trim());
            }
        }
    }
}

/// CPU time (user + system) of a process so far.
pub fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are 14 and 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|s| s.parse().unwrap_or(0))
        .collect();
    let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10) // USER_HZ = 100 on Linux
}

/// A free loopback port (tiny race between closing and the child binding).
pub fn free_port() -> u16 {
    let l = StdListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

/// A child process serving HTTP on loopback; SIGTERM then SIGKILL on drop.
pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    pub base: String,
    pub name: &'static str,
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Starts the release `hoofbeat-api` built by cargo for this bench, with
    /// its own database and AMQP prefix. Logs go to `/tmp/<db>.api.log`.
    ///
    /// `HB_BENCH_API_ENV="K=V,K=V"` adds (or overrides) variables of the
    /// child only, e.g. `MALLOC_ARENA_MAX=2` or `RUST_LOG=warn`.
    pub async fn api(scratch: &Scratch) -> Server {
        Server::api_with(scratch, &[]).await
    }

    /// [`Server::api`] with extra variables (applied after `HB_BENCH_API_ENV`).
    pub async fn api_with(scratch: &Scratch, extra: &[(&str, &str)]) -> Server {
        let port = free_port();
        let log = format!("/tmp/{}.api.log", scratch.db_name);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hoofbeat-api"));
        api_env(&mut cmd, scratch, port);
        for (k, v) in extra {
            cmd.env(k, v);
        }
        Server::start(cmd, port, &log, "hoofbeat-api").await
    }

    /// Starts a child with stdout/stderr to `log` and waits for `GET /livez`.
    pub async fn start(mut cmd: Command, port: u16, log: &str, name: &'static str) -> Server {
        let out = std::fs::File::create(log).expect("log file");
        let err = out.try_clone().expect("log file");
        cmd.stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err));
        let child = cmd.spawn().expect("spawn server process");
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
        let server = Server {
            child,
            addr,
            base: format!("http://{addr}"),
            name,
        };
        let http = Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = http.get(format!("{}/livez", server.base)).send().await
                && r.status() == StatusCode::OK
            {
                return server;
            }
            assert!(
                Instant::now() < deadline,
                "{name} did not become live within 60 s; see {log}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGTERM, then SIGKILL after 10 s.
    pub fn stop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `VmRSS` and `VmHWM` of a process, in bytes.
pub fn rss_hwm(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// HTTP client for setup calls and uploads.
pub fn http() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(300))
        .build()
        .expect("client")
}

/// Registers and logs in a fresh user; returns its token.
pub async fn user(http: &Client, base: &str) -> String {
    let email = format!("bench-{}@example.com", Uuid::new_v4().simple());
    shared::testkit::sign_up(http, base, &email).await.0
}

/// Creates a horse; returns its id.
pub async fn horse(http: &Client, base: &str, token: &str) -> Uuid {
    shared::testkit::create_horse(http, base, token, "Bench Mare").await
}

/// Uploads a binary body; returns (status, session id if accepted).
pub async fn upload(
    http: &Client,
    base: &str,
    token: &str,
    horse: Uuid,
    body: axum::body::Bytes,
) -> (StatusCode, Option<Uuid>) {
    let r = http
        .post(format!(
            "{base}/v1/horses/{horse}/sessions?started_at=2026-11-26T09:00:00Z&discipline=flat"
        ))
        .bearer_auth(token)
        .header("content-type", BINARY_CT)
        .body(body)
        .send()
        .await
        .expect("upload request");
    let status = r.status();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    let id = v["session"]["id"].as_str().and_then(|s| s.parse().ok());
    (status, id)
}

/// A binary (`application/vnd.hoofbeat.imu`) body of `secs` seconds at 100 Hz.
pub fn binary_body(secs: f64) -> Vec<u8> {
    let p = sensor::BinaryParams {
        started_at_unix_ms: 1_795_000_000_000,
        acc_scale: 0.01,
        gyro_scale: 0.1,
    };
    sensor::encode_binary(&recording(secs, 100.0), &p).expect("encode binary")
}

/// Sorted-sample percentile (nearest rank).
pub fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Outcome of [`hammer`].
pub struct Load {
    pub ok: usize,
    pub errors: usize,
    pub elapsed: Duration,
    /// Sorted latencies of the successful requests.
    pub latencies: Vec<Duration>,
    pub body_bytes: usize,
}

impl Load {
    pub fn rps(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }
}

/// A wrk-like HTTP/1.1 keep-alive load generator: `conns` connections, each
/// sending `request` and reading the whole response (Content-Length framed)
/// in a closed loop, until `total` requests were issued or `max_time` passed.
/// Runs on whatever runtime calls it (the benches use a current-thread one,
/// i.e. one core for the client, like `wrk -t1`).
pub async fn hammer(
    addr: SocketAddr,
    request: Arc<Vec<u8>>,
    conns: usize,
    total: usize,
    max_time: Duration,
) -> Load {
    let issued = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..conns {
        let (issued, request) = (issued.clone(), request.clone());
        tasks.spawn(async move {
            let mut lat = Vec::with_capacity(total / conns + 16);
            let (mut errors, mut body_bytes) = (0usize, 0usize);
            let mut stream = match TcpStream::connect(addr).await {
                Ok(s) => s,
                Err(_) => return (lat, 1, 0),
            };
            let _ = stream.set_nodelay(true);
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                if issued.fetch_add(1, Ordering::Relaxed) >= total || start.elapsed() >= max_time {
                    break;
                }
                let t0 = Instant::now();
                match round_trip(&mut stream, &request, &mut buf).await {
                    Ok((200, n)) => {
                        lat.push(t0.elapsed());
                        body_bytes = n;
                    }
                    Ok(_) => errors += 1,
                    Err(_) => {
                        errors += 1;
                        match TcpStream::connect(addr).await {
                            Ok(s) => stream = s,
                            Err(_) => break,
                        }
                    }
                }
            }
            (lat, errors, body_bytes)
        });
    }
    let mut all = Vec::with_capacity(total);
    let (mut errors, mut body_bytes) = (0, 0);
    while let Some(r) = tasks.join_next().await {
        let (lat, e, b) = r.expect("load task");
        all.extend(lat);
        errors += e;
        body_bytes = body_bytes.max(b);
    }
    let elapsed = start.elapsed();
    all.sort_unstable();
    Load {
        ok: all.len(),
        errors,
        elapsed,
        latencies: all,
        body_bytes,
    }
}

/// One request/response; returns (status, body length).
async fn round_trip(
    stream: &mut TcpStream,
    request: &[u8],
    buf: &mut Vec<u8>,
) -> std::io::Result<(u16, usize)> {
    stream.write_all(request).await?;
    let mut filled = 0usize;
    let header_end = loop {
        if filled == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
        let n = stream.read(&mut buf[filled..]).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        filled += n;
        if let Some(i) = find(&buf[..filled], b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = std::str::from_utf8(&buf[..header_end]).map_err(std::io::Error::other)?;
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("bad status line"))?;
    let len: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())
                .flatten()
        })
        .ok_or_else(|| std::io::Error::other("no content-length"))?;
    let mut have = filled - header_end;
    while have < len {
        let want = (len - have).min(buf.len());
        let n = stream.read(&mut buf[..want]).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        have += n;
    }
    Ok((status, len))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `nproc` and the CPU model, for the tables.
pub fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    format!(
        "{cpus} CPUs ({model}); loadavg at start: {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    )
}
