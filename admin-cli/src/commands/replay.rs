//! `replay ID` and `replay --status dead --since 2h …`: send, then follow
//! the jobs until they end.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use uuid::Uuid;

use crate::cli::{ReplayArgs, Status};
use crate::client::{self, Api};
use crate::commands::{confirm, jobs};
use crate::error::{CliError, CliResult, Outcome};
use crate::model::{AdminJob, BulkReplay, Counts, JobDetail};
use crate::when::human;

/// Between two looks at the jobs.
const POLL: Duration = Duration::from_millis(500);
/// Transient failures (unreachable, 503) tolerated in a row while following.
const TOLERATED_FAILURES: u32 = 5;
/// Jobs per bulk call when `--max` is not given (the API's default too).
const DEFAULT_MAX: u32 = 100;

/// `replay`.
pub async fn run(api: &Api, a: &ReplayArgs) -> CliResult {
    match a.id {
        Some(id) => {
            if !a.filter.is_empty() || a.max.is_some() {
                return Err(CliError::Usage(
                    "give either a job ID or filters (--status, --since…, --max), not both".into(),
                ));
            }
            single(api, id, a).await
        }
        None => bulk(api, a).await,
    }
}

async fn single(api: &Api, id: Uuid, a: &ReplayArgs) -> CliResult {
    let path = format!("/v1/admin/jobs/{id}/replay");
    let v = api.post(&path, None).await?;
    let job: AdminJob = client::decode(&v, &format!("POST {path}"))?;
    eprintln!("replaying job {id} ({}): {}", job.kind, job.status);
    if a.no_wait {
        println!("job {id} replayed: {}", job.status);
        return Ok(Outcome::Done);
    }
    follow_one(api, id, job.status, a.timeout).await
}

/// Follows one job until it succeeds or is dead, or `timeout` passes.
async fn follow_one(api: &Api, id: Uuid, mut status: String, timeout: Duration) -> CliResult {
    let start = Instant::now();
    let tty = std::io::stderr().is_terminal();
    let spinner = ProgressBar::new_spinner();
    spinner.set_message(format!("job {id}: {status}"));
    spinner.enable_steady_tick(Duration::from_millis(120));
    let path = format!("/v1/admin/jobs/{id}");
    let mut failures = 0;
    let last: AdminJob = loop {
        tokio::time::sleep(POLL).await;
        let v = match api.get(&path, &[]).await {
            Ok(v) => {
                failures = 0;
                v
            }
            Err(e) => {
                tolerate(&e, &mut failures, &spinner)?;
                continue;
            }
        };
        let d: JobDetail = client::decode(&v, &format!("GET {path}"))?;
        let j = d.job;
        if j.status != status {
            let line = format!(
                "job {id}: {status} → {} (attempts {}, {})",
                j.status,
                j.attempts,
                human(start.elapsed())
            );
            if tty {
                spinner.println(line);
            } else {
                eprintln!("{line}");
            }
            status = j.status.clone();
        }
        spinner.set_message(format!(
            "job {id}: {} ({})",
            j.status,
            human(start.elapsed())
        ));
        if j.is_final() {
            break j;
        }
        if start.elapsed() >= timeout {
            spinner.finish_and_clear();
            println!(
                "job {id} still {} after {} (--timeout); follow it with hoofbeat-admin job {id}",
                j.status,
                human(timeout)
            );
            return Ok(Outcome::Incomplete);
        }
    };
    spinner.finish_and_clear();
    let attempts = format!(
        "{} attempt{}",
        last.attempts,
        if last.attempts == 1 { "" } else { "s" }
    );
    if last.status == "succeeded" {
        println!("job {id} succeeded after {attempts}");
        return Ok(Outcome::Done);
    }
    let reason = last.dead_reason.as_deref().unwrap_or("dead");
    let error = last
        .last_error
        .as_deref()
        .map(|e| format!(": {}", crate::table::truncate(e, 200)))
        .unwrap_or_default();
    println!("job {id} dead after {attempts} ({reason}){error}");
    Ok(Outcome::Incomplete)
}

/// A transient failure while following: retried a few times, said once.
fn tolerate(e: &CliError, failures: &mut u32, bar: &ProgressBar) -> CliResult<()> {
    // Not a missing route, a refused token or a bad argument: those stay.
    let transient = matches!(e, CliError::Unreachable(_) | CliError::Busy(_));
    *failures += 1;
    if !transient || *failures > TOLERATED_FAILURES {
        bar.finish_and_clear();
        return Err(e.clone());
    }
    bar.suspend(|| eprintln!("hoofbeat-admin: {e} (retrying)"));
    Ok(())
}

async fn bulk(api: &Api, a: &ReplayArgs) -> CliResult {
    if a.filter.is_empty() {
        return Err(CliError::Usage(
            "give a job ID, or filters for a bulk replay (e.g. --status dead --since 2h)".into(),
        ));
    }
    let status = a.filter.status.unwrap_or(Status::Dead);
    if !matches!(status, Status::Dead | Status::Failed) {
        return Err(CliError::Usage(format!(
            "only dead or failed jobs can be replayed, not {}",
            status.as_str()
        )));
    }
    let mut filter = a.filter.clone();
    filter.status = Some(status);
    let max = a.max.unwrap_or(DEFAULT_MAX);
    let body = |dry_run: bool| json!({"filter": filter.json(), "dry_run": dry_run, "max": max});
    let what = "POST /v1/admin/jobs/replay";
    let dry: BulkReplay = client::decode(
        &api.post("/v1/admin/jobs/replay", Some(&body(true))).await?,
        what,
    )?;
    println!("{} jobs match {}", dry.matched, filter.describe());
    if dry.matched == 0 {
        println!("nothing to replay");
        return Ok(Outcome::Done);
    }
    let n = dry.matched.min(u64::from(max));
    let question = if n < dry.matched {
        format!("Replay {n} of them (--max {max})?")
    } else {
        format!("Replay {n}?")
    };
    if !confirm(&question, a.yes)? {
        println!("nothing replayed");
        return Ok(Outcome::Incomplete);
    }
    let done: BulkReplay = client::decode(
        &api.post("/v1/admin/jobs/replay", Some(&body(false)))
            .await?,
        what,
    )?;
    let Some(replay_id) = done.replay_id.filter(|_| done.replayed > 0) else {
        println!("nothing replayed: no job matches any more");
        return Ok(Outcome::Done);
    };
    println!(
        "replaying {} jobs (replay {replay_id}: hoofbeat-admin jobs --replay-id {replay_id} lists them)",
        done.replayed
    );
    if a.no_wait {
        return Ok(Outcome::Done);
    }
    follow_bulk(api, replay_id, done.replayed, a.timeout).await
}

/// Follows a bulk replay through the counts of its jobs until none is
/// pending or `timeout` passes; prints the summary.
async fn follow_bulk(api: &Api, replay_id: i64, total: u64, timeout: Duration) -> CliResult {
    let start = Instant::now();
    let tty = std::io::stderr().is_terminal();
    let bar = ProgressBar::new(total);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:30} {pos}/{len} ended · {msg} · {elapsed}")
    {
        bar.set_style(style);
    }
    let query = vec![
        ("replay_id".to_owned(), replay_id.to_string()),
        ("limit".to_owned(), "1".to_owned()),
    ];
    let mut failures = 0;
    let mut shown: Option<Counts> = None;
    let counts = loop {
        let c = match jobs::fetch(api, &query).await {
            Ok(p) => {
                failures = 0;
                p.page.counts.ok_or_else(|| {
                    CliError::Other(
                        "the API gave no counts for the replay: is it older than this CLI?".into(),
                    )
                })?
            }
            Err(e) => {
                tolerate(&e, &mut failures, &bar)?;
                tokio::time::sleep(POLL).await;
                continue;
            }
        };
        let ended = c.succeeded + c.dead;
        bar.set_length(total.max(ended + c.pending()));
        bar.set_position(ended);
        bar.set_message(format!(
            "{} succeeded, {} dead, {} pending",
            c.succeeded,
            c.dead,
            c.pending()
        ));
        if !tty && shown != Some(c) {
            eprintln!(
                "progress: {ended}/{total} ended ({} succeeded, {} dead, {} queued, {} running, {} retrying)",
                c.succeeded, c.dead, c.queued, c.running, c.failed
            );
        }
        shown = Some(c);
        if c.pending() == 0 || start.elapsed() >= timeout {
            break c;
        }
        tokio::time::sleep(POLL).await;
    };
    bar.finish_and_clear();
    let mut summary = format!(
        "replayed {total}: {} succeeded, {} dead",
        counts.succeeded, counts.dead
    );
    if counts.pending() > 0 {
        summary.push_str(&format!(
            ", {} still pending after {} (--timeout)",
            counts.pending(),
            human(timeout)
        ));
    }
    println!("{summary}");
    if counts.dead == 0 && counts.pending() == 0 {
        Ok(Outcome::Done)
    } else {
        Ok(Outcome::Incomplete)
    }
}
