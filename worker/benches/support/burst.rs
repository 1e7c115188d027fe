//! `-- burst`: issue 11's workload, live and drained, with its CPU and SQL
//! accounting per job (see the bench's header).

use std::time::{Duration, Instant};

use super::accounting;
use super::{
    BURST_SESSIONS, BURST_UPLOADERS, Stack, eventually, free_port, join_all, pct, spawn_worker,
    stack,
};

/// Issue 11's workload: `BURST_SESSIONS` sessions of 1 s at 100 Hz, each
/// read back, analysed and its result written. Figures from Postgres
/// timestamps: first job created -> last job finished.
pub(super) async fn burst(live: bool, workers: usize) {
    let s = stack(if live { workers } else { 0 }, false).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let body = {
        let r = shared::testkit::recording(1.0, 100.0);
        shared::sensor::encode_csv(&r)
    };
    let mut riders = Vec::new();
    for _ in 0..BURST_UPLOADERS {
        riders.push(s.rider().await);
    }
    let s_ref = &s;
    let per = BURST_SESSIONS / BURST_UPLOADERS;
    let mut account = Account::start(&s).await;
    let started = Instant::now();
    let uploads = riders.into_iter().map(|(token, horse)| {
        let body = body.clone();
        async move {
            for _ in 0..per {
                s_ref.upload_as(&token, horse, body.clone()).await;
            }
        }
    });
    join_all(uploads.collect()).await;
    let upload_s = started.elapsed().as_secs_f64();
    let n = (per * BURST_UPLOADERS) as i64;
    let mut s = s;
    if !live {
        // Every message on the queue first, then the workers.
        let published = eventually(Duration::from_secs(120), || async {
            let left: i64 = sqlx::query_scalar(
                "/* bench */ SELECT count(*) FROM outbox WHERE published_at IS NULL",
            )
            .fetch_one(&s.db)
            .await
            .ok()?;
            (left == 0).then_some(())
        })
        .await;
        assert!(published.is_some(), "the outbox did not drain");
        // The drain's figures are the workers' side only.
        account = Account::start(&s).await;
        for _ in 0..workers {
            let port = free_port();
            s.worker_ports.push(port);
            s.workers.push(spawn_worker(&s._scratch, false, port));
        }
    }
    s.wait_all(n, Duration::from_secs(600)).await;
    s.settle().await;
    let accounts = account.finish(&s, n as f64).await;
    let (first, last, span_s): (f64, f64, f64) = sqlx::query_as(
        "/* bench */ SELECT EXTRACT(EPOCH FROM min(created_at))::float8, EXTRACT(EPOCH FROM max(finished_at))::float8,
                EXTRACT(EPOCH FROM max(finished_at) - min(started_at))::float8
         FROM jobs WHERE kind = 'analyze_session'",
    )
    .fetch_one(&s.db)
    .await
    .expect("timestamps");
    let mut start_ms: Vec<f64> = sqlx::query_scalar(
        "/* bench */ SELECT (EXTRACT(EPOCH FROM (started_at - created_at)) * 1000)::float8 FROM jobs WHERE kind = 'analyze_session'",
    )
    .fetch_all(&s.db)
    .await
    .expect("latencies");
    start_ms.sort_by(f64::total_cmp);
    // Rows published by one relay pass share its mark's `published_at`.
    let (rows, passes): (i64, i64) = sqlx::query_as(
        "/* bench */ SELECT count(*), count(DISTINCT published_at) FROM outbox WHERE published_at IS NOT NULL",
    )
    .fetch_one(&s.db)
    .await
    .expect("outbox passes");
    if live {
        println!(
            "  live, {BURST_UPLOADERS} uploaders, {workers} worker(s): {n} jobs in {:.2} s = {:.0} jobs/s end to end (uploads {:.0}/s); created -> started p50 {:.1} ms, p99 {:.1} ms",
            last - first,
            n as f64 / (last - first),
            n as f64 / upload_s,
            pct(&start_ms, 0.5),
            pct(&start_ms, 0.99)
        );
        println!(
            "    outbox relay: {rows} rows published in {passes} passes ({:.1} rows a pass)",
            rows as f64 / passes.max(1) as f64
        );
    } else {
        println!(
            "  drain, {workers} worker(s): {n} queued jobs in {:.2} s = {:.0} jobs/s (first start -> last finish)",
            span_s,
            n as f64 / span_s
        );
    }
    println!("{accounts}");
}

/// CPU and SQL accounting of one phase (see `accounting`).
struct Account {
    cpu: accounting::CpuSnapshot,
    commits: i64,
    wal: (i64, i64),
}

/// Idle backends flush their transaction counters up to 10 s late (Postgres'
/// idle stats interval): each snapshot of them waits this long, so that a
/// phase neither receives the previous phase's commits nor misses its own.
const STATS_FLUSH: Duration = Duration::from_secs(11);

impl Account {
    async fn start(s: &Stack) -> Account {
        tokio::time::sleep(STATS_FLUSH).await;
        accounting::reset_statements(&s.db).await;
        Account {
            commits: accounting::commits(&s.db).await,
            wal: accounting::wal(&s.db).await,
            cpu: s.cpu().await,
        }
    }

    async fn finish(self, s: &Stack, jobs: f64) -> String {
        let cpu = s.cpu().await;
        tokio::time::sleep(STATS_FLUSH).await;
        let commits = accounting::commits(&s.db).await - self.commits;
        let wal = accounting::wal(&s.db).await;
        format!(
            "    {}\n    transactions committed per job: {:.2}; WAL flushes per job: {:.2}, \
             WAL bytes per job: {:.0} (cluster-wide)\n    {}",
            accounting::cpu_per_job(&self.cpu, &cpu, jobs),
            commits as f64 / jobs,
            (wal.0 - self.wal.0) as f64 / jobs,
            (wal.1 - self.wal.1) as f64 / jobs,
            accounting::statements_per_job(&s.db, jobs).await
        )
    }
}
