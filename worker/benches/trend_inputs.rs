//! What a `compute_trend` job costs for a horse with many sessions: reading
//! its inputs from Postgres (the job's own query plus decoding the rows) and
//! computing the document. Target: ≤ 50 ms to read 1,000 sessions' inputs.
//!
//! `cargo bench -p worker --bench trend_inputs`
//!
//! Uses the local Postgres (a scratch database, dropped at the end). The
//! features rows are real: one generated 30-minute session analysed by
//! `analysis::analyze`, its features copied with other start times and
//! slightly varied figures.

use std::time::{Duration, Instant};

use shared::testkit::Scratch;
use sqlx::PgPool;
use uuid::Uuid;

const RUNS: usize = 30;

fn quantile(v: &mut [Duration], q: f64) -> Duration {
    v.sort();
    v[((v.len() - 1) as f64 * q).round() as usize]
}

async fn seed(db: &PgPool, n: usize, template: &trend::SessionFeatures) -> Uuid {
    let (user, horse) = (Uuid::now_v7(), Uuid::now_v7());
    sqlx::query("INSERT INTO users (id, email, password_hash) VALUES ($1, $2, 'x')")
        .bind(user)
        .bind(format!("{user}@bench.example"))
        .execute(db)
        .await
        .expect("user");
    sqlx::query("INSERT INTO horses (id, owner_id, name) VALUES ($1, $2, 'Bench')")
        .bind(horse)
        .bind(user)
        .execute(db)
        .await
        .expect("horse");
    let t0 = 1_788_771_600_000i64;
    for i in 0..n {
        let mut f = template.clone();
        f.started_at_ms = t0 + (i as i64) * 42 * 3_600_000;
        f.load += (i % 17) as f64;
        if let Some(y) = f.symmetry.as_mut() {
            y.min_diff_mm += ((i % 7) as f64 - 3.0) * 0.3;
        }
        let session = Uuid::now_v7();
        let started = chrono::DateTime::from_timestamp_millis(f.started_at_ms).expect("time");
        sqlx::query(
            "INSERT INTO sessions (id, horse_id, owner_id, started_at, sample_rate_hz, sample_count, duration_s, discipline)
             VALUES ($1, $2, $3, $4, 100, 180000, 1800, 'flat')",
        )
        .bind(session)
        .bind(horse)
        .bind(user)
        .bind(started)
        .execute(db)
        .await
        .expect("session");
        sqlx::query(
            "INSERT INTO session_features (session_id, horse_id, started_at, analysis_version, features_version, features)
             VALUES ($1, $2, $3, $4, $5, $6::json)",
        )
        .bind(session)
        .bind(horse)
        .bind(started)
        .bind(&f.analysis_version)
        .bind(f.features_version as i32)
        .bind(serde_json::to_string(&f).expect("json"))
        .execute(db)
        .await
        .expect("features");
    }
    sqlx::query("ANALYZE session_features")
        .execute(db)
        .await
        .expect("analyze");
    horse
}

/// The read `compute_trend` does: the same query, then decoding each row.
async fn read(db: &PgPool, horse: Uuid) -> Vec<trend::SessionFeatures> {
    let rows: Vec<(Uuid, String)> = sqlx::query_as(
        "SELECT session_id, features::text FROM session_features
         WHERE horse_id = $1 ORDER BY started_at, session_id",
    )
    .bind(horse)
    .fetch_all(db)
    .await
    .expect("read");
    rows.iter()
        .map(|(_, t)| serde_json::from_str(t).expect("features"))
        .collect()
}

#[tokio::main]
async fn main() {
    let s = analysis::synth::generate(&analysis::synth::SynthConfig {
        seed: 7,
        minutes: 30.0,
        rate_hz: 100.0,
    });
    let a = analysis::analyze(&s.recording).expect("analysis");
    let template = analysis::features::from_analysis(&a, 0);
    let bytes = serde_json::to_string(&template).expect("json").len();
    let scratch = Scratch::create("hb_bench").await;
    let db = PgPool::connect(&scratch.db_url()).await.expect("connect");
    shared::db::MIGRATOR.run(&db).await.expect("migrate");
    println!(
        "{:>8} {:>12} {:>12} {:>12} {:>14} {:>14}",
        "sessions", "read first", "read p50", "read p99", "compute p50", "read+compute"
    );
    for n in [250usize, 1000, 4000] {
        let horse = seed(&db, n, &template).await;
        let t = Instant::now();
        let first = read(&db, horse).await;
        let first_t = t.elapsed();
        assert_eq!(first.len(), n);
        let mut reads = Vec::with_capacity(RUNS);
        let mut computes = Vec::with_capacity(RUNS);
        let cfg = trend::TrendConfig::default();
        for _ in 0..RUNS {
            let t = Instant::now();
            let f = read(&db, horse).await;
            reads.push(t.elapsed());
            let t = Instant::now();
            let doc = trend::to_json(&trend::compute(&f, &cfg));
            computes.push(t.elapsed());
            assert!(!doc.is_empty());
        }
        let (r50, r99, c50) = (
            quantile(&mut reads, 0.5),
            quantile(&mut reads, 0.99),
            quantile(&mut computes, 0.5),
        );
        println!(
            "{n:>8} {:>10.1}ms {:>10.1}ms {:>10.1}ms {:>12.1}ms {:>12.1}ms",
            first_t.as_secs_f64() * 1e3,
            r50.as_secs_f64() * 1e3,
            r99.as_secs_f64() * 1e3,
            c50.as_secs_f64() * 1e3,
            (r50 + c50).as_secs_f64() * 1e3
        );
    }
    println!("(features row ≈ {bytes} bytes of JSON; {RUNS} runs each)");
    db.close().await;
}
