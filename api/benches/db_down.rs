//! Postgres down (issue "Hardening", not a timed test): the release
//! `hoofbeat-api` process whose database link is cut (a TCP proxy that
//! refuses and drops connections), under 16 concurrent clients reading
//! `GET /v1/horses` with a valid token for 10 s.
//!
//! Reports the first answer after the cut (it may wait for the pool's
//! timeout: nothing is known yet), then the latency of every answer while
//! the database is known to be down (target: p99 ≤ 250 ms, all 503
//! `database_unavailable`), and how long after the link comes back the first
//! 200 arrives (target: ≤ 1 s).
//!
//! `cargo bench -p api --bench db_down`

#[path = "support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use shared::testkit::{Proxy, Scratch};
use support::*;

const CLIENTS: usize = 16;
const WINDOW: Duration = Duration::from_secs(10);

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let scratch = Scratch::create("hb_bench_dbdown").await;
    let proxy = Proxy::start("127.0.0.1:5432").await;
    let via = scratch.db_url_via(&proxy.addr.to_string());
    let server = Server::api_with(&scratch, &[("DATABASE_URL", via.as_str())]).await;
    let http = http();
    let token = user(&http, &server.base).await;
    let url = format!("{}/v1/horses", server.base);

    proxy.cut();
    let t0 = Instant::now();
    let first = http
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .map(|r| r.status().as_u16());
    let first_took = t0.elapsed();

    let mut tasks = tokio::task::JoinSet::new();
    let until = Instant::now() + WINDOW;
    for _ in 0..CLIENTS {
        let (http, url, token) = (http.clone(), url.clone(), token.clone());
        tasks.spawn(async move {
            let mut seen = Vec::new();
            while Instant::now() < until {
                let t = Instant::now();
                let status = match http.get(&url).bearer_auth(&token).send().await {
                    Ok(r) => r.status().as_u16(),
                    Err(_) => 0,
                };
                seen.push((status, t.elapsed()));
            }
            seen
        });
    }
    let mut answers = Vec::new();
    while let Some(r) = tasks.join_next().await {
        answers.extend(r.unwrap_or_default());
    }
    let total = answers.len();
    let fast_503 = answers.iter().filter(|(s, _)| *s == 503).count();
    let mut latencies: Vec<Duration> = answers.iter().map(|(_, d)| *d).collect();
    latencies.sort();

    proxy.restore();
    let back = Instant::now();
    let recovered = loop {
        let ok = http
            .get(&url)
            .bearer_auth(&token)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if ok {
            break Some(back.elapsed());
        }
        if back.elapsed() > Duration::from_secs(30) {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };

    println!(
        "Postgres down: {CLIENTS} clients, GET /v1/horses for {WINDOW:?} ({})",
        machine()
    );
    println!(
        "first answer after the cut: {first:?} in {:.0} ms",
        ms(first_took)
    );
    println!(
        "while down: {total} answers, {fast_503} × 503 ({:.1} %), {:.0} answers/s",
        100.0 * fast_503 as f64 / total.max(1) as f64,
        total as f64 / WINDOW.as_secs_f64()
    );
    println!(
        "latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (target p99 ≤ 250 ms)",
        ms(pct(&latencies, 0.50)),
        ms(pct(&latencies, 0.99)),
        ms(latencies.last().copied().unwrap_or_default())
    );
    match recovered {
        Some(d) => println!(
            "first 200 after the link came back: {:.0} ms (target ≤ 1000 ms)",
            ms(d)
        ),
        None => println!("no 200 within 30 s of the link coming back"),
    }
    drop(server);
}
