//! `overview`: queues, outbox, recent jobs, stuck jobs, dead letters.

use crate::client::{self, Api};
use crate::commands::print_json;
use crate::error::{CliResult, Outcome};
use crate::model::Overview;
use crate::table::{Table, or_dash};

/// `overview`.
pub async fn run(api: &Api, json: bool) -> CliResult {
    let v = api.get("/v1/admin/overview", &[]).await?;
    if json {
        print_json(&v);
        return Ok(Outcome::Done);
    }
    let o: Overview = client::decode(&v, "GET /v1/admin/overview")?;
    print!("{}", text(&o));
    Ok(Outcome::Done)
}

/// The overview as text.
pub fn text(o: &Overview) -> String {
    let mut out = String::new();
    let source = match o.queues.source.as_str() {
        "management_api" => "RabbitMQ management API",
        "passive_declare" => "passive declares; unacked counts need the management API",
        other => other,
    };
    if o.queues.available {
        out.push_str(&format!("queues (source: {source})\n"));
        let mut t = Table::new(&["QUEUE", "ROLE", "READY", "UNACKED", "CONSUMERS"]);
        for q in &o.queues.queues {
            t.row(vec![
                q.name.clone(),
                or_dash(q.role.as_deref()),
                or_dash(q.ready),
                or_dash(q.unacked),
                or_dash(q.consumers),
            ]);
        }
        out.push_str(&t.render());
        out.push('\n');
    } else {
        out.push_str(&format!(
            "queues: unavailable (the broker did not answer; {source})\n"
        ));
    }
    let oldest = o
        .outbox
        .oldest_age_s
        .map_or_else(String::new, |s| format!(", oldest {s:.1} s"));
    out.push_str(&format!(
        "\noutbox          {} unpublished{oldest}\n",
        o.outbox.backlog
    ));
    out.push_str(&format!("jobs last hour  {}\n", o.jobs_last_hour.line()));
    out.push_str(&format!("stuck jobs      {}\n", o.stuck_jobs));
    out.push_str(&format!("dead letters    {}\n", o.dead_letters));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn overview_text() {
        let o: Overview = serde_json::from_value(json!({
            "queues": {"source": "passive_declare", "available": true, "queues": [
                {"name": "hoofbeat.jobs", "role": "work", "ready": 3, "unacked": null, "consumers": 2},
                {"name": "hoofbeat.dead", "role": "dead", "ready": 0, "unacked": null, "consumers": null}
            ]},
            "outbox": {"backlog": 1, "oldest_age_s": 2.5},
            "jobs_last_hour": {"queued": 1, "running": 0, "succeeded": 40, "failed": 0, "dead": 2},
            "stuck_jobs": 0, "dead_letters": 4, "generated_at": "2026-12-02T10:00:00Z"
        }))
        .unwrap();
        let t = text(&o);
        assert!(
            t.starts_with(
                "queues (source: passive declares; unacked counts need the management API)\nQUEUE"
            ),
            "{t}"
        );
        assert!(
            t.contains("hoofbeat.jobs  work  3      -        2\n"),
            "{t}"
        );
        assert!(
            t.contains("outbox          1 unpublished, oldest 2.5 s\n"),
            "{t}"
        );
        assert!(t.contains("succeeded 40"), "{t}");
        assert!(t.contains("dead letters    4\n"), "{t}");
    }
}
