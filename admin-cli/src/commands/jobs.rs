//! `jobs` (the list) and `job ID` (one job with its attempts).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::cli::JobsArgs;
use crate::client::{self, Api};
use crate::commands::print_json;
use crate::error::{CliResult, Outcome};
use crate::model::{AdminJob, Counts, JobDetail, JobPage};
use crate::table::{Table, or_dash, truncate};
use crate::when::age;

/// Width of the error column.
const ERROR_WIDTH: usize = 48;

/// One page of the list, and the JSON it came from.
pub struct Page {
    /// Typed.
    pub page: JobPage,
    /// The jobs as received.
    pub raw_jobs: Vec<Value>,
    /// The counts as received.
    pub raw_counts: Value,
}

/// `GET /v1/admin/jobs` with a query.
pub async fn fetch(api: &Api, query: &[(String, String)]) -> CliResult<Page> {
    let v = api.get("/v1/admin/jobs", query).await?;
    let page: JobPage = client::decode(&v, "GET /v1/admin/jobs")?;
    Ok(Page {
        page,
        raw_jobs: v["jobs"].as_array().cloned().unwrap_or_default(),
        raw_counts: v.get("counts").cloned().unwrap_or(Value::Null),
    })
}

/// The table of jobs.
pub fn table(jobs: &[AdminJob], now: DateTime<Utc>) -> Table {
    let mut t = Table::new(&[
        "ID",
        "KIND",
        "STATUS",
        "ATTEMPTS",
        "DEAD REASON",
        "UPDATED",
        "ERROR",
    ]);
    for j in jobs {
        t.row(vec![
            j.id.to_string(),
            j.kind.clone(),
            j.status.clone(),
            j.attempts.to_string(),
            or_dash(j.dead_reason.as_deref()),
            age(j.updated_at, now),
            j.last_error
                .as_deref()
                .map_or_else(String::new, |e| truncate(e, ERROR_WIDTH)),
        ]);
    }
    t
}

/// `jobs`.
pub async fn list(api: &Api, a: &JobsArgs) -> CliResult {
    let mut base = a.filter.query();
    let limit = a.limit.or(a.all.then_some(500));
    if let Some(l) = limit {
        base.push(("limit".into(), l.to_string()));
    }
    let mut jobs: Vec<AdminJob> = Vec::new();
    let mut raw_jobs = Vec::new();
    let mut counts: Option<Counts> = None;
    let mut raw_counts = Value::Null;
    let mut cursor: Option<String> = None;
    loop {
        let mut q = base.clone();
        if let Some(c) = &cursor {
            q.push(("cursor".into(), c.clone()));
        }
        let p = fetch(api, &q).await?;
        if counts.is_none() {
            counts = p.page.counts;
            raw_counts = p.raw_counts;
        }
        jobs.extend(p.page.jobs);
        raw_jobs.extend(p.raw_jobs);
        cursor = p.page.next_cursor;
        if !a.all || cursor.is_none() {
            break;
        }
    }
    if a.json {
        print_json(&json!({"jobs": raw_jobs, "counts": raw_counts, "next_cursor": cursor}));
        return Ok(Outcome::Done);
    }
    if let Some(c) = counts {
        let scope = a
            .filter
            .status
            .map_or(String::new(), |_| " (all statuses)".into());
        println!("{}{scope}", c.line());
    }
    if jobs.is_empty() {
        println!("no jobs match");
    } else {
        println!("{}", table(&jobs, Utc::now()).render());
    }
    if cursor.is_some() {
        println!(
            "… more: {} shown; --all for every page, or --limit (up to 500)",
            jobs.len()
        );
    }
    Ok(Outcome::Done)
}

/// `job ID`.
pub async fn show(api: &Api, id: Uuid, json_out: bool) -> CliResult {
    let path = format!("/v1/admin/jobs/{id}");
    let v = api.get(&path, &[]).await?;
    if json_out {
        print_json(&v);
        return Ok(Outcome::Done);
    }
    let d: JobDetail = client::decode(&v, &format!("GET {path}"))?;
    print!("{}", detail_text(&d, Utc::now()));
    Ok(Outcome::Done)
}

fn time(t: Option<DateTime<Utc>>) -> String {
    or_dash(t.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string()))
}

/// The job's fields, then its attempts.
pub fn detail_text(d: &JobDetail, now: DateTime<Utc>) -> String {
    let j = &d.job;
    let mut out = String::new();
    let mut field = |k: &str, v: String| out.push_str(&format!("{k:<18}{v}\n"));
    field("id", j.id.to_string());
    field("kind", j.kind.clone());
    field("status", j.status.clone());
    field("attempts", j.attempts.to_string());
    field("dead reason", or_dash(j.dead_reason.as_deref()));
    field(
        "last error",
        or_dash(j.last_error.as_deref().map(crate::table::clean)),
    );
    field("session", or_dash(j.session_id));
    field("horse", or_dash(j.horse_id));
    field("owner", or_dash(j.owner_id));
    field("algorithm version", or_dash(j.algorithm_version.as_deref()));
    field("trace id", or_dash(j.trace_id.as_deref()));
    field("created", time(Some(j.created_at)));
    field(
        "updated",
        format!("{} ({})", time(Some(j.updated_at)), age(j.updated_at, now)),
    );
    field("started", time(j.started_at));
    field("finished", time(j.finished_at));
    out.push('\n');
    if d.history.is_empty() {
        out.push_str("no attempts recorded\n");
        return out;
    }
    let mut t = Table::new(&[
        "ATTEMPT", "STARTED", "FINISHED", "OUTCOME", "WORKER", "ERROR",
    ]);
    for a in &d.history {
        t.row(vec![
            a.attempt.to_string(),
            time(a.started_at),
            time(a.finished_at),
            a.outcome.clone(),
            or_dash(a.worker_id.as_deref()),
            a.error
                .as_deref()
                .map_or_else(String::new, |e| truncate(e, ERROR_WIDTH)),
        ]);
    }
    out.push_str(&t.render());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_and_its_history() {
        let v = json!({
            "id": "0193a0e4-0000-7000-8000-000000000001", "kind": "analyze_session", "version": 1,
            "status": "dead", "attempts": 5, "last_error": "samples missing\nat line 3",
            "dead_reason": "attempts_exhausted", "owner_id": null,
            "session_id": "0193a0e4-0000-7000-8000-000000000002", "horse_id": null,
            "payload": {}, "algorithm_version": "aggregation/1.1.0", "trace_id": null,
            "created_at": "2026-12-02T09:00:00Z", "updated_at": "2026-12-02T09:58:00Z",
            "started_at": "2026-12-02T09:57:00Z", "finished_at": "2026-12-02T09:58:00Z",
            "history": [
                {"attempt": 1, "started_at": "2026-12-02T09:57:00Z", "finished_at": "2026-12-02T09:58:00Z",
                 "outcome": "dead", "error": "samples missing", "worker_id": "w-1"}
            ]
        });
        let d: JobDetail = serde_json::from_value(v).unwrap();
        let text = detail_text(&d, "2026-12-02T10:00:00Z".parse().unwrap());
        assert!(text.contains("status            dead\n"), "{text}");
        assert!(
            text.contains("last error        samples missing at line 3\n"),
            "{text}"
        );
        assert!(
            text.contains("updated           2026-12-02 09:58:00 (2m ago)"),
            "{text}"
        );
        assert!(text.contains("1        2026-12-02 09:57:00  2026-12-02 09:58:00  dead     w-1     samples missing"), "{text}");
        let t = table(
            std::slice::from_ref(&d.job),
            "2026-12-02T10:00:00Z".parse().unwrap(),
        )
        .render();
        assert!(t.starts_with("ID  "), "{t}");
        assert!(t.contains("analyze_session  dead    5         attempts_exhausted  2m ago   samples missing at line 3"), "{t}");
    }
}
