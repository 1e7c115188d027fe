//! Upload benchmark: a 1-hour, 100 Hz session in the binary format
//! (360,000 frames, ≈ 4.3 MB) uploaded N times, sequentially, through the
//! real API (release `hoofbeat-api` child process, loopback socket, reqwest),
//! against the bare cost of the same durable work done directly: one
//! `INSERT` of the same bytes into a `bytea` table (autocommit, i.e. one
//! fsync'd commit) + one small publish with publisher confirm to RabbitMQ.
//!
//! The two are interleaved (upload, bare, upload, bare, …) so that both see
//! the same background load on the shared machine.
//!
//! `cargo bench -p api --bench upload` (env `HB_BENCH_UPLOADS`, default 40).

#[path = "support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use shared::amqp::{self, Topology};
use shared::jobs::{AnalyzeSession, JobMessage};
use shared::sensor::Format;
use sqlx::postgres::PgPoolOptions;
use support::*;
use uuid::Uuid;

fn main() {
    let n: usize = std::env::var("HB_BENCH_UPLOADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    // The client side is light (one request at a time): one thread.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run(n));
}

async fn run(n: usize) {
    println!("== upload: 1 h @ 100 Hz binary session, {n} sequential uploads ==");
    println!("machine: {}", machine());
    let mut scratch = Scratch::create("hb_bench").await;
    let bare_prefix = format!("{}-bare", scratch.prefix);
    scratch.extra_prefixes.push(bare_prefix.clone());

    let body = Bytes::from(binary_body(3600.0));
    let size = body.len();
    println!(
        "body: {size} bytes ({:.2} MB), {} frames",
        size as f64 / MB,
        360_000
    );

    let mut server = Server::api(&scratch).await;
    let http = http();
    let token = user(&http, &server.base).await;
    let horse = horse(&http, &server.base, &token).await;

    // Bare side: its own 1-connection pool to the same database, a bytea
    // table, and a confirm channel on a throwaway topology.
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(&scratch.db_url())
        .await
        .expect("bare pool");
    // Same storage as `session_data.data` (EXTERNAL: out of line, no pglz);
    // `bench_blob_pglz` keeps the default (EXTENDED) for the attribution.
    for ddl in [
        "CREATE TABLE bench_blob (id bigserial PRIMARY KEY, data bytea NOT NULL)",
        "ALTER TABLE bench_blob ALTER COLUMN data SET STORAGE EXTERNAL",
        "CREATE TABLE bench_blob_pglz (id bigserial PRIMARY KEY, data bytea NOT NULL)",
    ] {
        sqlx::query(ddl).execute(&pool).await.expect("bench table");
    }
    let conn = amqp::connect(AMQP, Duration::from_secs(5))
        .await
        .expect("amqp connect");
    let channel = amqp::confirm_channel(&conn).await.expect("confirm channel");
    let topology = Topology::new(&bare_prefix).expect("topology");
    amqp::declare(&channel, &topology).await.expect("declare");

    let bare = async || {
        let t0 = Instant::now();
        sqlx::query("INSERT INTO bench_blob (data) VALUES ($1)")
            .bind(body.as_ref())
            .execute(&pool)
            .await
            .expect("bare insert");
        let msg = JobMessage::new(
            Uuid::now_v7(),
            &AnalyzeSession {
                session_id: Uuid::now_v7(),
            },
            BTreeMap::new(),
        )
        .expect("job message");
        amqp::publish_job(&channel, &topology, &msg, Duration::from_secs(5))
            .await
            .expect("bare publish");
        t0.elapsed()
    };

    // Warm-up: connections, prepared statements, page cache.
    for _ in 0..2 {
        let (s, _) = upload(&http, &server.base, &token, horse, body.clone()).await;
        assert_eq!(s.as_u16(), 202, "warm-up upload");
        bare().await;
    }

    let api_cpu0 = cpu_time(server.pid());
    let mut api_t = Vec::with_capacity(n);
    let mut bare_t = Vec::with_capacity(n);
    for _ in 0..n {
        let t0 = Instant::now();
        let (s, id) = upload(&http, &server.base, &token, horse, body.clone()).await;
        let dt = t0.elapsed();
        assert_eq!(s.as_u16(), 202, "upload");
        assert!(id.is_some(), "upload answered a session id");
        api_t.push(dt);
        // Let the outbox relay publish this upload's job before the bare run.
        tokio::time::sleep(Duration::from_millis(100)).await;
        bare_t.push(bare().await);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let api_cpu = cpu_time(server.pid()).saturating_sub(api_cpu0);
    let (api_pairs, bare_pairs) = (api_t.clone(), bare_t.clone());
    api_t.sort_unstable();
    bare_t.sort_unstable();

    // Attribution of the API's CPU work, measured in this process on the
    // same body: the handler's `upload::prepare` (decode + validate +
    // sha256) and its parts.
    let reps = 5;
    let mut prep = Vec::new();
    let mut decode = Vec::new();
    let mut sha = Vec::new();
    for _ in 0..reps {
        let t0 = Instant::now();
        let p = api::upload::prepare(
            Format::Binary,
            api::upload::Encoding::Identity,
            body.clone(),
            128 << 20,
            true, // with the hash, as with an Idempotency-Key
        )
        .expect("prepare");
        prep.push(t0.elapsed());
        std::hint::black_box(p);
        let t0 = Instant::now();
        let d = shared::sensor::decode(Format::Binary, &body).expect("decode");
        decode.push(t0.elapsed());
        std::hint::black_box(d);
        let t0 = Instant::now();
        use sha2::Digest;
        std::hint::black_box(sha2::Sha256::digest(&body));
        sha.push(t0.elapsed());
    }
    for v in [&mut prep, &mut decode, &mut sha] {
        v.sort_unstable();
    }
    // The INSERT alone and the publish alone (median of 5), to split bare.
    let mut ins = Vec::new();
    let mut ins_pglz = Vec::new();
    let mut publ = Vec::new();
    for _ in 0..reps {
        let t0 = Instant::now();
        sqlx::query("INSERT INTO bench_blob_pglz (data) VALUES ($1)")
            .bind(body.as_ref())
            .execute(&pool)
            .await
            .expect("bare insert");
        ins_pglz.push(t0.elapsed());
        let t0 = Instant::now();
        sqlx::query("INSERT INTO bench_blob (data) VALUES ($1)")
            .bind(body.as_ref())
            .execute(&pool)
            .await
            .expect("bare insert");
        ins.push(t0.elapsed());
        let msg = JobMessage::new(
            Uuid::now_v7(),
            &AnalyzeSession {
                session_id: Uuid::now_v7(),
            },
            BTreeMap::new(),
        )
        .expect("job message");
        let t0 = Instant::now();
        amqp::publish_job(&channel, &topology, &msg, Duration::from_secs(5))
            .await
            .expect("bare publish");
        publ.push(t0.elapsed());
    }
    ins.sort_unstable();
    ins_pglz.sort_unstable();
    publ.sort_unstable();

    let api_med = pct(&api_t, 50.0);
    let api_p90 = pct(&api_t, 90.0);
    let bare_med = pct(&bare_t, 50.0);
    let bare_p90 = pct(&bare_t, 90.0);
    let ratio = bare_med.as_secs_f64() / api_med.as_secs_f64();
    let mbps = |d: Duration| size as f64 / MB / d.as_secs_f64();

    println!();
    println!("| path | n | median ms | p90 ms | min ms | max ms | MB/s (median) |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (name, v) in [
        ("API upload (POST /v1/horses/{id}/sessions)", &api_t),
        ("bare: INSERT bytea + confirmed publish", &bare_t),
    ] {
        println!(
            "| {name} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} |",
            v.len(),
            ms(pct(v, 50.0)),
            ms(pct(v, 90.0)),
            ms(v[0]),
            ms(v[v.len() - 1]),
            mbps(pct(v, 50.0))
        );
    }
    println!();
    println!(
        "ratio bare/API (medians) = {ratio:.2}  (target >= 0.80: {})",
        if ratio >= 0.8 { "MET" } else { "MISSED" }
    );
    let mut pair: Vec<f64> = api_pairs
        .iter()
        .zip(&bare_pairs)
        .map(|(a, b)| b.as_secs_f64() / a.as_secs_f64())
        .collect();
    pair.sort_by(f64::total_cmp);
    println!(
        "ratio bare/API (median of the {} interleaved pairs) = {:.2}",
        pair.len(),
        pair[pair.len() / 2]
    );
    println!(
        "ratio bare/API (p90)     = {:.2}",
        bare_p90.as_secs_f64() / api_p90.as_secs_f64()
    );
    println!();
    println!("attribution (medians of {reps}, same body, in-process):");
    println!("| piece | median ms |");
    println!("|---|---:|");
    println!(
        "| api::upload::prepare (decode + validate + sha256) | {:.1} |",
        ms(pct(&prep, 50.0))
    );
    println!(
        "|   sensor::decode(binary) alone | {:.1} |",
        ms(pct(&decode, 50.0))
    );
    println!(
        "|   sha256 of the body alone | {:.1} |",
        ms(pct(&sha, 50.0))
    );
    println!("| bare INSERT bytea alone | {:.1} |", ms(pct(&ins, 50.0)));
    println!(
        "| bare INSERT bytea alone, default storage (pglz) | {:.1} |",
        ms(pct(&ins_pglz, 50.0))
    );
    println!(
        "| bare confirmed publish alone | {:.1} |",
        ms(pct(&publ, 50.0))
    );
    println!(
        "| hoofbeat-api process CPU per upload (incl. outbox relay), from /proc | {:.1} |",
        ms(api_cpu) / n as f64
    );
    println!(
        "| API median - bare median (overhead) | {:.1} |",
        ms(api_med.saturating_sub(bare_med))
    );

    let _ = conn.close(0, "bench done".into()).await;
    pool.close().await;
    server.stop();
    drop(server);
    drop(scratch);
}
