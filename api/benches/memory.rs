//! Memory benchmark: resident memory of the release `hoofbeat-api` process
//! (a child with its own database, AMQP prefix and port) at idle, then while
//! 16 one-hour binary uploads (≈ 4.3 MB each) are in flight concurrently.
//! VmRSS is sampled from /proc/<pid>/status every 10 ms on a dedicated
//! thread; VmHWM (the kernel's high-water mark) is read as a cross-check.
//!
//! Target: idle < 50 MB; in flight < 50 MB + 2 × bytes in flight.
//!
//! `cargo bench -p api --bench memory` (env `HB_BENCH_INFLIGHT`, default 16;
//! `HB_BENCH_ROUNDS`, default 2).

#[path = "support/mod.rs"]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use support::*;

fn main() {
    let inflight: usize = std::env::var("HB_BENCH_INFLIGHT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16);
    let rounds: usize = std::env::var("HB_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run(inflight, rounds));
}

fn mib(b: u64) -> f64 {
    b as f64 / (1024.0 * 1024.0)
}

async fn run(inflight: usize, rounds: usize) {
    println!(
        "== memory: hoofbeat-api RSS at idle and with {inflight} concurrent 1 h binary uploads =="
    );
    println!("machine: {}", machine());
    let scratch = Scratch::create("hb_bench").await;
    let mut server = Server::api(&scratch).await;
    let pid = server.pid();
    let http = http();
    let token = user(&http, &server.base).await;
    let horse = horse(&http, &server.base, &token).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (idle_rss, idle_hwm) = rss_hwm(pid).expect("read /proc status");

    let body = Bytes::from(binary_body(3600.0));
    let in_flight_bytes = (body.len() * inflight) as u64;
    let limit = 50 * 1024 * 1024 + 2 * in_flight_bytes;

    println!();
    println!(
        "idle (after start-up, register, login, create horse): VmRSS {:.1} MiB, VmHWM {:.1} MiB",
        mib(idle_rss),
        mib(idle_hwm)
    );
    println!(
        "bytes in flight: {inflight} × {} B = {:.1} MiB; limit 50 MiB + 2 × in flight = {:.1} MiB",
        body.len(),
        mib(in_flight_bytes),
        mib(limit)
    );

    let mut results = Vec::new();
    for round in 1..=rounds {
        // Sampler: every 10 ms on its own thread.
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(0));
        let samples = Arc::new(AtomicU64::new(0));
        let sampler = {
            let (stop, peak, samples) = (stop.clone(), peak.clone(), samples.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if let Some((rss, _)) = rss_hwm(pid) {
                        peak.fetch_max(rss, Ordering::Relaxed);
                        samples.fetch_add(1, Ordering::Relaxed);
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
            })
        };
        let t0 = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..inflight {
            let (http, base, token, body) = (
                http.clone(),
                server.base.clone(),
                token.clone(),
                body.clone(),
            );
            tasks.spawn(async move { upload(&http, &base, &token, horse, body).await.0 });
        }
        let mut statuses = Vec::new();
        while let Some(s) = tasks.join_next().await {
            statuses.push(s.expect("upload task").as_u16());
        }
        let wall = t0.elapsed();
        // Let the relay publish and the allocator settle a little.
        tokio::time::sleep(Duration::from_millis(300)).await;
        stop.store(true, Ordering::Relaxed);
        sampler.join().expect("sampler");
        let (after_rss, hwm) = rss_hwm(pid).expect("read /proc status");
        let accepted = statuses.iter().filter(|s| **s == 202).count();
        results.push((
            round,
            peak.load(Ordering::Relaxed),
            hwm,
            after_rss,
            wall,
            accepted,
            samples.load(Ordering::Relaxed),
        ));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (final_rss, final_hwm) = rss_hwm(pid).expect("read /proc status");

    println!();
    println!(
        "| round | accepted | wall s | samples | peak VmRSS MiB (10 ms) | VmHWM MiB | VmRSS after MiB | limit MiB | result |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for (round, peak, hwm, after, wall, accepted, samples) in &results {
        let worst = (*peak).max(*hwm);
        println!(
            "| {round} | {accepted}/{inflight} | {:.2} | {samples} | {:.1} | {:.1} | {:.1} | {:.1} | {} |",
            wall.as_secs_f64(),
            mib(*peak),
            mib(*hwm),
            mib(*after),
            mib(limit),
            if worst < limit { "MET" } else { "MISSED" }
        );
    }
    println!();
    println!(
        "idle target < 50 MiB: {:.1} MiB -> {}",
        mib(idle_rss),
        if idle_rss < 50 * 1024 * 1024 {
            "MET"
        } else {
            "MISSED"
        }
    );
    println!(
        "VmRSS 2 s after the last round: {:.1} MiB (VmHWM {:.1} MiB)",
        mib(final_rss),
        mib(final_hwm)
    );
    server.stop();
    drop(server);
    drop(scratch);
}
