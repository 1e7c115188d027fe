//! Flood benchmark (issue "Hardening", not a timed test): the release
//! `hoofbeat-api` process under the floods found from outside, with its
//! default settings, each scenario on a fresh process:
//!
//! 1. 64 concurrent registrations (per-address limit lifted, so every one
//!    reaches password hashing — the worst case of many addresses);
//! 2. 16 concurrent gzip bombs (1 GiB of zeros, ≈ 1 MB on the wire);
//! 3. 20 stalled uploads by one rider (headers announcing 1 MB, then
//!    silence) while another rider uploads a one-hour session;
//! 4. 200 idle connections while another rider reads `/v1/me`.
//!
//! For each: peak resident memory (VmRSS sampled every 10 ms, and VmHWM),
//! the answers, and whether the other rider was served. Target: peak
//! < 512 MiB in every case.
//!
//! `cargo bench -p api --bench floods`

#[path = "support/mod.rs"]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use reqwest::Client;
use support::*;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

fn mib(b: u64) -> f64 {
    b as f64 / (1024.0 * 1024.0)
}

/// Samples a process's VmRSS every 10 ms until stopped; returns the peak.
struct Sampler {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Sampler {
    fn start(pid: u32) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(0));
        let (s, p) = (stop.clone(), peak.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                if let Some((rss, _)) = rss_hwm(pid) {
                    p.fetch_max(rss, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        Sampler {
            stop,
            peak,
            thread: Some(thread),
        }
    }

    fn finish(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.peak.load(Ordering::Relaxed)
    }
}

fn counts(statuses: &[u16]) -> String {
    let mut v: Vec<(u16, usize)> = Vec::new();
    for s in statuses {
        match v.iter_mut().find(|(k, _)| k == s) {
            Some(e) => e.1 += 1,
            None => v.push((*s, 1)),
        }
    }
    v.sort();
    v.iter()
        .map(|(k, n)| format!("{n}×{k}"))
        .collect::<Vec<_>>()
        .join(" ")
}

struct Row {
    scenario: &'static str,
    answers: String,
    other: String,
    peak: u64,
    hwm: u64,
    after: u64,
}

async fn register_flood(scratch: &Scratch) -> Row {
    let mut server = Server::api_with(scratch, &[("HOOFBEAT_REGISTER_PER_MINUTE", "100000")]).await;
    let pid = server.pid();
    let http = http();
    let sampler = Sampler::start(pid);
    let mut set = tokio::task::JoinSet::new();
    for i in 0..64 {
        let (http, base) = (http.clone(), server.base.clone());
        set.spawn(async move {
            http.post(format!("{base}/v1/auth/register"))
                .json(&serde_json::json!({"email": format!("flood{i}@example.com"), "password": "correct horse battery"}))
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        });
    }
    let mut statuses = Vec::new();
    while let Some(s) = set.join_next().await {
        statuses.push(s.expect("task"));
    }
    // Is anyone else served right after?
    let token = user(&http, &server.base).await;
    let me = http
        .get(format!("{}/v1/me", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let peak = sampler.finish();
    let (after, hwm) = rss_hwm(pid).unwrap_or_default();
    server.stop();
    Row {
        scenario: "64 concurrent registrations",
        answers: counts(&statuses),
        other: format!("GET /v1/me {me}"),
        peak,
        hwm,
        after,
    }
}

async fn bomb_flood(scratch: &Scratch) -> Row {
    let mut server = Server::api(scratch).await;
    let pid = server.pid();
    let http = http();
    let token = user(&http, &server.base).await;
    let horse = horse(&http, &server.base, &token).await;
    let bomb = {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..1024 {
            e.write_all(&zeros).expect("gzip");
        }
        Bytes::from(e.finish().expect("gzip"))
    };
    let sampler = Sampler::start(pid);
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let (http, base, token, body) = (
            http.clone(),
            server.base.clone(),
            token.clone(),
            bomb.clone(),
        );
        set.spawn(async move {
            http.post(format!(
                "{base}/v1/horses/{horse}/sessions?started_at=2026-11-26T09:00:00Z"
            ))
            .bearer_auth(token)
            .header("content-type", "text/csv")
            .header("content-encoding", "gzip")
            .body(body)
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
        });
    }
    let mut statuses = Vec::new();
    while let Some(s) = set.join_next().await {
        statuses.push(s.expect("task"));
    }
    let other = other_upload(&http, &server.base).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let peak = sampler.finish();
    let (after, hwm) = rss_hwm(pid).unwrap_or_default();
    server.stop();
    Row {
        scenario: format!(
            "16 concurrent gzip bombs (1 GiB each, {} KiB sent)",
            bomb.len() / 1024
        )
        .leak(),
        answers: counts(&statuses),
        other,
        peak,
        hwm,
        after,
    }
}

/// Another rider uploads a one-hour binary session: status and time.
async fn other_upload(http: &Client, base: &str) -> String {
    let token = user(http, base).await;
    let horse = horse(http, base, &token).await;
    let t0 = Instant::now();
    let (status, _) = upload(http, base, &token, horse, Bytes::from(binary_body(3600.0))).await;
    format!(
        "other rider's 1 h upload {} in {:.0} ms",
        status.as_u16(),
        ms(t0.elapsed())
    )
}

async fn stalled_flood(scratch: &Scratch) -> Row {
    let mut server = Server::api(scratch).await;
    let pid = server.pid();
    let http = http();
    let token = user(&http, &server.base).await;
    let horse = horse(&http, &server.base, &token).await;
    let sampler = Sampler::start(pid);
    let addr = server.base.trim_start_matches("http://").to_owned();
    let mut stalled = Vec::new();
    for _ in 0..20 {
        let mut s = TcpStream::connect(&addr).await.expect("connect");
        let head = format!(
            "POST /v1/horses/{horse}/sessions?started_at=2026-11-26T09:00:00Z HTTP/1.1\r\nHost: x\r\n\
             Authorization: Bearer {token}\r\nContent-Type: text/csv\r\nContent-Length: 1000000\r\n\r\nt,ax"
        );
        s.write_all(head.as_bytes()).await.expect("write");
        stalled.push(s);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let other = other_upload(&http, &server.base).await;
    // Answers of the stalled ones (429 at once past the per-rider cap, 408
    // once the grace period has passed).
    let mut statuses = Vec::new();
    for mut s in stalled {
        use tokio::io::AsyncReadExt;
        let mut buf = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut buf)).await;
        let text = String::from_utf8_lossy(&buf);
        statuses.push(text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0));
    }
    let peak = sampler.finish();
    let (after, hwm) = rss_hwm(pid).unwrap_or_default();
    server.stop();
    Row {
        scenario: "20 stalled uploads by one rider",
        answers: counts(&statuses),
        other,
        peak,
        hwm,
        after,
    }
}

async fn idle_flood(scratch: &Scratch) -> Row {
    let mut server = Server::api(scratch).await;
    let pid = server.pid();
    let http = http();
    let sampler = Sampler::start(pid);
    let addr = server.base.trim_start_matches("http://").to_owned();
    let mut idle = Vec::new();
    for _ in 0..200 {
        idle.push(TcpStream::connect(&addr).await.expect("connect"));
    }
    let token = user(&http, &server.base).await;
    let t0 = Instant::now();
    let me = http
        .get(format!("{}/v1/me", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0);
    let me_ms = ms(t0.elapsed());
    // How many the server closed within its header-read timeout (+5 s).
    let t0 = Instant::now();
    let mut closed = 0;
    for mut s in idle {
        use tokio::io::AsyncReadExt;
        let mut b = [0u8; 16];
        let left = Duration::from_secs(20).saturating_sub(t0.elapsed());
        if let Ok(Ok(0)) = tokio::time::timeout(left, s.read(&mut b)).await {
            closed += 1;
        }
    }
    let peak = sampler.finish();
    let (after, hwm) = rss_hwm(pid).unwrap_or_default();
    server.stop();
    Row {
        scenario: "200 idle connections",
        answers: format!("{closed}/200 closed by the server within 20 s"),
        other: format!("GET /v1/me {me} in {me_ms:.0} ms"),
        peak,
        hwm,
        after,
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        println!("== floods against the release hoofbeat-api (default settings) ==");
        println!("machine: {}", machine());
        let mut rows = Vec::new();
        for f in 0..4 {
            let scratch = Scratch::create("hb_bench").await;
            rows.push(match f {
                0 => register_flood(&scratch).await,
                1 => bomb_flood(&scratch).await,
                2 => stalled_flood(&scratch).await,
                _ => idle_flood(&scratch).await,
            });
        }
        println!();
        println!("| scenario | answers | other users | peak VmRSS MiB | VmHWM MiB | after MiB | < 512 MiB |");
        println!("|---|---|---|---:|---:|---:|---|");
        for r in rows {
            println!(
                "| {} | {} | {} | {:.1} | {:.1} | {:.1} | {} |",
                r.scenario,
                r.answers,
                r.other,
                mib(r.peak),
                mib(r.hwm),
                mib(r.after),
                if r.hwm.max(r.peak) < 512 << 20 { "met" } else { "MISSED" }
            );
        }
    });
}
