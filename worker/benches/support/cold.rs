//! `-- cold`: issue 11's cold-start latency (see the bench's header).

use std::time::Duration;

use super::{COLD_JOBS, COLD_ROUNDS, csv, pct, stack};

/// Queue overhead from a cold start: a fresh API and a fresh worker process
/// each round, on one database and one set of queues (a redeployment: the
/// data and the queues exist, the processes are new); the first upload goes
/// out the moment both report ready, then the rest of the round paced as in
/// [`queue_overhead`]. Every job counts, so the first jobs after start-up
/// are `COLD_ROUNDS` of the `COLD_ROUNDS * COLD_JOBS` figures (a p99 over
/// them cannot hide a slow first job). A first, uncounted round runs on the
/// new database: its first rows create the tables' files and pages and the
/// queue's first segments, which a deployment already has.
pub(super) async fn cold_start() {
    let body = csv(1, 1.0 / 60.0);
    let mut s = stack(1, false).await;
    // The exact commit time needs `track_commit_timestamp` (a server
    // setting, off by default: `ALTER SYSTEM SET track_commit_timestamp =
    // on` and a restart). Without it, two bounds are printed.
    let exact: bool = sqlx::query_scalar("SELECT current_setting('track_commit_timestamp') = 'on'")
        .fetch_one(&s.db)
        .await
        .expect("setting");
    // From a stamp taken just before the upload's statement (its execution
    // and the commit's WAL flush included): an upper bound.
    let mut upper = Series::default();
    // From the upload's commit (the session row's commit timestamp; the row
    // is never updated, so its `xmin` is the upload's transaction).
    let mut commit = Series::default();
    // From the moment the 202 answer arrived (after the commit): a lower
    // bound.
    let mut lower = Series::default();
    s.wait_workers_ready().await;
    for _ in 0..COLD_JOBS {
        let job = s.upload(body.clone()).await;
        s.wait_succeeded(job, 0).await;
    }
    for _ in 0..COLD_ROUNDS {
        s.restart(false).await;
        s.wait_workers_ready().await;
        let mut jobs = Vec::with_capacity(COLD_JOBS);
        for i in 0..COLD_JOBS {
            let job = s.upload(body.clone()).await;
            let answered = chrono::Utc::now();
            s.wait_succeeded(job, i).await;
            jobs.push((job, answered));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        for (i, (job, answered)) in jobs.iter().enumerate() {
            let (from_stamp, from_commit, from_answer): (f64, Option<f64>, f64) = sqlx::query_as(
                "/* bench */ SELECT (EXTRACT(EPOCH FROM (j.started_at - (o.message->>'enqueued_at')::timestamptz)) * 1000)::float8,
                        CASE WHEN $3 THEN (EXTRACT(EPOCH FROM (j.started_at - pg_xact_commit_timestamp(s.xmin))) * 1000)::float8 END,
                        (EXTRACT(EPOCH FROM (j.started_at - $2)) * 1000)::float8
                 FROM jobs j JOIN outbox o ON o.job_id = j.id JOIN sessions s ON s.id = j.session_id
                 WHERE j.id = $1",
            )
            .bind(job)
            .bind(answered)
            .bind(exact)
            .fetch_one(&s.db)
            .await
            .expect("latency");
            upper.push(i, from_stamp);
            if let Some(ms) = from_commit {
                commit.push(i, ms);
            }
            lower.push(i, from_answer);
        }
    }
    drop(s);
    println!(
        "cold start: {COLD_ROUNDS} rounds of a fresh API + worker, {COLD_JOBS} sequential uploads each (first one as soon as both are ready), commit -> job start (targets: p50 <= 2.5 ms, p99 <= 4.5 ms):"
    );
    if exact {
        commit.print("from the upload's commit (track_commit_timestamp)");
    } else {
        println!("  (track_commit_timestamp is off: no exact commit time, two bounds only)");
    }
    upper.print("upper bound, from a stamp before the upload statement");
    lower.print("lower bound, from the 202 answer received");
}

/// One measure of commit -> start: every job, and by position in its round.
#[derive(Default)]
struct Series {
    all: Vec<f64>,
    by_position: Vec<Vec<f64>>,
}

impl Series {
    fn push(&mut self, position: usize, ms: f64) {
        self.all.push(ms);
        if self.by_position.len() <= position {
            self.by_position.resize(position + 1, Vec::new());
        }
        self.by_position[position].push(ms);
    }

    fn print(&mut self, what: &str) {
        self.all.sort_by(f64::total_cmp);
        println!(
            "  {what}, {} jobs: p50 {:.2} ms   p90 {:.2} ms   p99 {:.2} ms   max {:.2} ms",
            self.all.len(),
            pct(&self.all, 0.5),
            pct(&self.all, 0.9),
            pct(&self.all, 0.99),
            pct(&self.all, 1.0)
        );
        for (i, v) in self.by_position.iter_mut().enumerate().take(3) {
            v.sort_by(f64::total_cmp);
            println!(
                "    job {} of each round: median {:.2} ms   max {:.2} ms   ({})",
                i + 1,
                pct(v, 0.5),
                pct(v, 1.0),
                v.iter()
                    .map(|x| format!("{x:.2}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
    }
}
