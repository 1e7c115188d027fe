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
    let mut all = Vec::new();
    // The same start from the moment the 202 answer arrived (after the
    // commit): a lower bound of commit -> start, as `all` (from a stamp
    // taken just before the commit, so the commit's WAL flush included) is
    // an upper bound.
    let mut from_answer = Vec::new();
    let mut by_position: Vec<Vec<f64>> = vec![Vec::new(); COLD_JOBS];
    let mut answer_by_position: Vec<Vec<f64>> = vec![Vec::new(); COLD_JOBS];
    let mut s = stack(1, false).await;
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
            let (ms, after_answer): (f64, f64) = sqlx::query_as(
                "/* bench */ SELECT (EXTRACT(EPOCH FROM (j.started_at - (o.message->>'enqueued_at')::timestamptz)) * 1000)::float8,
                        (EXTRACT(EPOCH FROM (j.started_at - $2)) * 1000)::float8
                 FROM jobs j JOIN outbox o ON o.job_id = j.id WHERE j.id = $1",
            )
            .bind(job)
            .bind(answered)
            .fetch_one(&s.db)
            .await
            .expect("latency");
            all.push(ms);
            from_answer.push(after_answer);
            by_position[i].push(ms);
            answer_by_position[i].push(after_answer);
        }
    }
    drop(s);
    all.sort_by(f64::total_cmp);
    println!(
        "cold start: {COLD_ROUNDS} rounds of a fresh API + worker, {COLD_JOBS} sequential uploads each (first one as soon as both are ready), commit -> job start:"
    );
    println!(
        "  all {} jobs: p50 {:.2} ms   p90 {:.2} ms   p99 {:.2} ms   max {:.2} ms   (targets: p50 <= 2.5 ms, p99 <= 4.5 ms)",
        all.len(),
        pct(&all, 0.5),
        pct(&all, 0.9),
        pct(&all, 0.99),
        pct(&all, 1.0)
    );
    from_answer.sort_by(f64::total_cmp);
    println!(
        "  lower bound, 202 answer received -> job start (negative: started before the answer arrived): p50 {:.2} ms   p99 {:.2} ms   max {:.2} ms",
        pct(&from_answer, 0.5),
        pct(&from_answer, 0.99),
        pct(&from_answer, 1.0)
    );
    for (i, (v, lower)) in by_position
        .iter_mut()
        .zip(&mut answer_by_position)
        .enumerate()
        .take(3)
    {
        v.sort_by(f64::total_cmp);
        lower.sort_by(f64::total_cmp);
        println!(
            "  job {} of each round: median {:.2} ms   max {:.2} ms   (lower bound median {:.2} ms)   ({})",
            i + 1,
            pct(v, 0.5),
            pct(v, 1.0),
            pct(lower, 0.5),
            v.iter()
                .map(|x| format!("{x:.2}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
}
