//! Read-path benchmark: `GET /v1/sessions/{id}/analysis` for one stored
//! analysis result (a ≈ 12 KB JSON document), 64 keep-alive connections on
//! loopback, a bounded number of requests per phase.
//!
//! Servers run as separate processes (2 tokio workers each, like the real
//! deployment on this 2-core machine); the load generator is a wrk-like
//! HTTP/1.1 client on one current-thread runtime in this process, so it
//! competes with the server and Postgres for the same 2 cores.
//!
//! Phases, same load each:
//! 1. `api` (the release `hoofbeat-api` binary) and `bare_pk` alternate,
//!    `HB_BENCH_ROUNDS` times (default 3); the summary takes medians.
//!    `bare_pk` is a bare axum + sqlx server (this binary re-executed with
//!    `HB_BENCH_ROLE=bare`) answering the same envelope from a primary-key
//!    lookup of the same row; pool of 10, `test_before_acquire(false)`.
//! 2. diagnostics, once each:
//!    - `bare_pk_ping`: bare_pk with sqlx's default `test_before_acquire(true)`
//!      (a ping round trip before each query), as the API's pool has;
//!    - `bare_api_sql`: the API's two queries (bearer-token lookup + the
//!      owner-scoped analysis join) on the pinging pool, without the API's
//!      middleware, to split the gap between SQL and framework;
//!    - the API code without a tracing subscriber, and the binary with
//!      `RUST_LOG=warn`, to rule logging/tracing in or out.
//!
//! `cargo bench -p api --bench analysis_get` (env `HB_BENCH_REQUESTS`,
//! default 30000 per phase, each phase capped at 12 s).

#[path = "support/mod.rs"]
mod support;

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde_json::value::RawValue;
use serde_json::{Value, json};
use sha2::Digest;
use shared::testkit::PG;
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgPool};
use support::*;
use uuid::Uuid;

const CONNS: usize = 64;
const VERSION: &str = "bench-1";

fn main() {
    match std::env::var("HB_BENCH_ROLE").as_deref() {
        Ok("bare") => return bare_server(),
        Ok("api_lib") => return api_lib_server(),
        _ => {}
    }
    let total: usize = std::env::var("HB_BENCH_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30_000);
    let rounds: usize = std::env::var("HB_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run(total, rounds));
}

/// A plausible analysis document (gait segments, per-minute metrics,
/// symmetry and stride statistics), ≈ 12 KB.
fn analysis_doc(session_id: Uuid) -> Value {
    let gaits = ["walk", "trot", "canter", "trot", "walk"];
    let segments: Vec<Value> = (0..40)
        .map(|i| {
            json!({
                "gait": gaits[i % gaits.len()],
                "start_s": i as f64 * 90.0,
                "end_s": i as f64 * 90.0 + 87.5,
                "stride_hz": 1.4 + (i % 7) as f64 * 0.05,
                "confidence": 0.9 - (i % 5) as f64 * 0.01,
            })
        })
        .collect();
    let minutes: Vec<Value> = (0..60)
        .map(|m| {
            json!({
                "minute": m,
                "gait": gaits[m % gaits.len()],
                "stride_rate_hz": 1.45 + (m % 9) as f64 * 0.013,
                "regularity": 0.82 + (m % 4) as f64 * 0.021,
                "symmetry_index": 0.95 - (m % 6) as f64 * 0.007,
                "vertical_impulse": 12.5 + (m % 11) as f64 * 0.31,
            })
        })
        .collect();
    json!({
        "schema": 1,
        "session_id": session_id,
        "duration_s": 3600.0,
        "sample_rate_hz": 100.0,
        "summary": {
            "time_in_gait_s": {"walk": 1440.0, "trot": 1440.0, "canter": 720.0},
            "strides": 5231,
            "mean_stride_hz": 1.52,
            "regularity": 0.87,
            "symmetry_index": 0.93,
            "flags": ["possible_left_fore_asymmetry"],
        },
        "symmetry": {
            "vertical": {"min_diff_mm": 4.2, "max_diff_mm": 7.9, "ci95": [3.8, 8.4]},
            "pelvis": {"min_diff_mm": 2.1, "max_diff_mm": 3.3, "ci95": [1.7, 3.9]},
        },
        "gait_segments": segments,
        "per_minute": minutes,
    })
}

async fn run(total: usize, rounds: usize) {
    println!(
        "== analysis_get: GET /v1/sessions/{{id}}/analysis, {CONNS} connections, {total} requests per phase =="
    );
    println!("machine: {}", machine());
    let scratch = Scratch::create("hb_bench").await;
    let mut api = Server::api(&scratch).await;
    let http = http();
    let token = user(&http, &api.base).await;
    let horse = horse(&http, &api.base, &token).await;
    let (s, session) = upload(&http, &api.base, &token, horse, binary_body(60.0).into()).await;
    assert_eq!(s.as_u16(), 202, "setup upload");
    let session = session.expect("session id");

    let pool = PgPool::connect(&scratch.db_url()).await.expect("pool");
    let doc = analysis_doc(session).to_string();
    sqlx::query(
        "INSERT INTO analysis_results (session_id, algorithm_version, job_id, result) VALUES ($1, $2, NULL, $3::json)",
    )
    .bind(session)
    .bind(VERSION)
    .bind(&doc)
    .execute(&pool)
    .await
    .expect("store analysis result");
    pool.close().await;
    println!("stored analysis document: {} bytes", doc.len());

    let request = Arc::new(
        format!(
            "GET /v1/sessions/{session}/analysis HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nAccept: application/json\r\n\r\n"
        )
        .into_bytes(),
    );

    // Sanity: the API answers 200 with the document.
    let r = http
        .get(format!("{}/v1/sessions/{session}/analysis", api.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("get analysis");
    assert_eq!(r.status().as_u16(), 200);
    let v: Value = r.json().await.expect("analysis json");
    assert_eq!(v["status"], "ready");
    assert_eq!(v["result"]["session_id"], session.to_string());

    let max_time = Duration::from_secs(12);
    let mut rows: Vec<(String, Load, [Duration; 3])> = Vec::new();
    let db_name = scratch.db_name.clone();

    let phase = async |name: &str, srv: &Server| -> (Load, [Duration; 3]) {
        // Warm-up fills the server's pool and the connections.
        let _ = hammer(srv.addr, request.clone(), CONNS, 2_000, max_time).await;
        let backends = pg_backends(&db_name).await;
        let pg_cpu = || backends.iter().map(|p| cpu_time(*p)).sum::<Duration>();
        let me = std::process::id();
        let (s0, p0, c0) = (cpu_time(srv.pid()), pg_cpu(), cpu_time(me));
        let load = hammer(srv.addr, request.clone(), CONNS, total, max_time).await;
        let cpu = [
            cpu_time(srv.pid()).saturating_sub(s0),
            pg_cpu().saturating_sub(p0),
            cpu_time(me).saturating_sub(c0),
        ];
        eprintln!("{name}: {:.0} req/s, {} errors", load.rps(), load.errors);
        (load, cpu)
    };

    let start_bare = async |mode: &str| -> Server {
        let port = free_port();
        let mut cmd = Command::new(std::env::current_exe().expect("current exe"));
        cmd.env("HB_BENCH_ROLE", "bare")
            .env("HB_BARE_MODE", mode)
            .env("HB_BARE_PORT", port.to_string())
            .env("HB_BARE_DB", scratch.db_url());
        let log = format!("/tmp/{}.bare_{mode}.log", scratch.db_name);
        Server::start(cmd, port, &log, "bare").await
    };

    // API and bare PK server alternate, `rounds` times, so that both see the
    // same background load on the shared machine; the summary uses medians.
    let mut pk = start_bare("pk").await;
    let (mut api_idx, mut pk_idx) = (Vec::new(), Vec::new());
    for r in 1..=rounds {
        let (l, c) = phase("api", &api).await;
        rows.push((format!("api (hoofbeat-api), round {r}"), l, c));
        api_idx.push(rows.len() - 1);
        let (l, c) = phase("bare_pk", &pk).await;
        rows.push((format!("bare_pk, round {r}"), l, c));
        pk_idx.push(rows.len() - 1);
    }
    api.stop();
    pk.stop();

    for mode in ["pk_ping", "api_sql"] {
        let mut srv = start_bare(mode).await;
        let (l, c) = phase(mode, &srv).await;
        rows.push((format!("diag: bare_{mode}"), l, c));
        srv.stop();
    }

    // Diagnostics: the same API code without a tracing subscriber (library
    // run in a child of this binary, no `telemetry::init`), then the release
    // binary with RUST_LOG=warn (info spans filtered out).
    {
        let port = free_port();
        let mut cmd = Command::new(std::env::current_exe().expect("current exe"));
        api_env(&mut cmd, &scratch, port);
        cmd.env("HB_BENCH_ROLE", "api_lib")
            .env("HOOFBEAT_MIGRATE_ON_START", "false");
        let log = format!("/tmp/{}.api_lib.log", scratch.db_name);
        let mut srv = Server::start(cmd, port, &log, "api_lib").await;
        let (l, c) = phase("api_no_subscriber", &srv).await;
        rows.push(("diag: API code, no tracing subscriber".into(), l, c));
        srv.stop();
    }
    {
        let mut srv = Server::api_with(&scratch, &[("RUST_LOG", "warn")]).await;
        let (l, c) = phase("api_warn", &srv).await;
        rows.push(("diag: hoofbeat-api RUST_LOG=warn".into(), l, c));
        srv.stop();
    }

    println!();
    println!(
        "CPU columns: µs of CPU per request in the server process, in its Postgres backends, in the load generator (this process)."
    );
    println!();
    println!(
        "| server | ok | errors | secs | req/s | p50 ms | p90 ms | p99 ms | max ms | server CPU | PG CPU | client CPU |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let per = |l: &Load, d: Duration| d.as_secs_f64() * 1e6 / l.ok.max(1) as f64;
    for (name, l, cpu) in &rows {
        println!(
            "| {name} | {} | {} | {:.2} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {:.0} | {:.0} | {:.0} |",
            l.ok,
            l.errors,
            l.elapsed.as_secs_f64(),
            l.rps(),
            ms(pct(&l.latencies, 50.0)),
            ms(pct(&l.latencies, 90.0)),
            ms(pct(&l.latencies, 99.0)),
            ms(l.latencies.last().copied().unwrap_or_default()),
            per(l, cpu[0]),
            per(l, cpu[1]),
            per(l, cpu[2]),
        );
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let of = |idx: &[usize], f: &dyn Fn(&Load, &[Duration; 3]) -> f64| {
        median(idx.iter().map(|&i| f(&rows[i].1, &rows[i].2)).collect())
    };
    let rps = of(&api_idx, &|l, _| l.rps());
    let p50 = of(&api_idx, &|l, _| ms(pct(&l.latencies, 50.0)));
    let p99 = of(&api_idx, &|l, _| ms(pct(&l.latencies, 99.0)));
    let bare_rps = of(&pk_idx, &|l, _| l.rps());
    let bare_p99 = of(&pk_idx, &|l, _| ms(pct(&l.latencies, 99.0)));
    let ratios: Vec<f64> = api_idx
        .iter()
        .zip(&pk_idx)
        .map(|(&a, &b)| rows[a].1.rps() / rows[b].1.rps())
        .collect();
    let cpu_total = |l: &Load, c: &[Duration; 3]| per(l, c[0] + c[1] + c[2]);
    let api_cpu = of(&api_idx, &cpu_total);
    let bare_cpu = of(&pk_idx, &cpu_total);
    println!();
    println!(
        "response body: {} bytes (API), {} bytes (bare)",
        rows[api_idx[0]].1.body_bytes, rows[pk_idx[0]].1.body_bytes
    );
    println!("summary (medians of {rounds} alternating rounds):");
    println!(
        "  API      {rps:.0} req/s, p50 {p50:.2} ms, p99 {p99:.2} ms, {api_cpu:.0} µs CPU/request (server + Postgres + client)"
    );
    println!(
        "  bare_pk  {bare_rps:.0} req/s, p99 {bare_p99:.2} ms, {bare_cpu:.0} µs CPU/request (server + Postgres + client)"
    );
    println!(
        "  ratio API/bare_pk throughput = {:.2} (per round: {})",
        median(ratios.clone()),
        ratios
            .iter()
            .map(|r| format!("{r:.2}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "  ratio bare/API CPU per request = {:.2}",
        bare_cpu / api_cpu
    );
    println!(
        "  CPU-bound ceiling on 2 dedicated cores: API {:.0} req/s, bare_pk {:.0} req/s",
        2e6 / api_cpu,
        2e6 / bare_cpu
    );
    println!(
        "target >= 10000 req/s: {rps:.0} -> {}",
        if rps >= 10_000.0 { "MET" } else { "MISSED" }
    );
    println!(
        "target p99 < 10 ms: {p99:.2} ms -> {}",
        if p99 < 10.0 { "MET" } else { "MISSED" }
    );
    drop(api);
    drop(scratch);
}

/// Pids of the Postgres backends connected to `db` (the servers' pools).
async fn pg_backends(db: &str) -> Vec<u32> {
    let Ok(mut c) = sqlx::PgConnection::connect(&format!("{PG}/postgres")).await else {
        return Vec::new();
    };
    let pids: Vec<(i32,)> = sqlx::query_as(
        "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
    )
    .bind(db)
    .fetch_all(&mut c)
    .await
    .unwrap_or_default();
    let _ = c.close().await;
    pids.into_iter().map(|(p,)| p as u32).collect()
}

// ----------------------------------------------------- API library, no logging

fn api_lib_server() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let config = api::ApiConfig::from_env(&shared::config::Env::process()).expect("config");
        let app = api::Application::build(config).await.expect("build");
        app.run_until_stopped(std::future::pending())
            .await
            .expect("serve");
    });
}

// ---------------------------------------------------------------- bare server

#[derive(Clone)]
struct Bare {
    db: PgPool,
    api_sql: bool,
}

fn bare_server() {
    let mode = std::env::var("HB_BARE_MODE").unwrap_or_else(|_| "pk".into());
    let port: u16 = std::env::var("HB_BARE_PORT")
        .expect("HB_BARE_PORT")
        .parse()
        .expect("port");
    let url = std::env::var("HB_BARE_DB").expect("HB_BARE_DB");
    // Same runtime shape as `#[tokio::main]` in hoofbeat-api.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let db = PgPoolOptions::new()
            .max_connections(10) // the API's default HOOFBEAT_DB_MAX_CONNECTIONS
            .test_before_acquire(mode != "pk")
            .connect_lazy(&url)
            .expect("pool");
        let state = Bare {
            db,
            api_sql: mode == "api_sql",
        };
        let app = Router::new()
            .route("/livez", get(|| async { "ok" }))
            .route("/v1/sessions/{id}/analysis", get(analysis))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind");
        axum::serve(listener, app).await.expect("serve");
    });
}

#[derive(serde::Serialize)]
struct Ready {
    status: &'static str,
    session_id: Uuid,
    algorithm_version: String,
    computed_at: DateTime<Utc>,
    result: Box<RawValue>,
}

async fn analysis(State(s): State<Bare>, Path(id): Path<Uuid>, headers: HeaderMap) -> Response {
    let row: Option<(String, DateTime<Utc>, String)> = if s.api_sql {
        // The API's two queries: token lookup, then the owner-scoped join.
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        let hash = sha2::Sha256::digest(token.as_bytes()).to_vec();
        let user: Option<(Uuid, Uuid, String)> = sqlx::query_as(
            "SELECT t.id, u.id, u.role FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > now()",
        )
        .bind(hash)
        .fetch_optional(&s.db)
        .await
        .expect("auth query");
        let Some((_, user_id, _)) = user else {
            return StatusCode::UNAUTHORIZED.into_response();
        };
        sqlx::query_as(
            "SELECT r.algorithm_version, r.created_at, r.result::text FROM analysis_results r
             JOIN sessions s ON s.id = r.session_id
             WHERE r.session_id = $1 AND s.owner_id = $2 ORDER BY r.created_at DESC LIMIT 1",
        )
        .bind(id)
        .bind(user_id)
        .fetch_optional(&s.db)
        .await
        .expect("analysis query")
    } else {
        sqlx::query_as(
            "SELECT algorithm_version, created_at, result::text FROM analysis_results
             WHERE session_id = $1 AND algorithm_version = $2",
        )
        .bind(id)
        .bind(VERSION)
        .fetch_optional(&s.db)
        .await
        .expect("pk query")
    };
    let Some((algorithm_version, computed_at, result)) = row else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let result = RawValue::from_string(result).expect("json");
    axum::Json(Ready {
        status: "ready",
        session_id: id,
        algorithm_version,
        computed_at,
        result,
    })
    .into_response()
}
