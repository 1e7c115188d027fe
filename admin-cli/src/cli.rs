//! The command line (clap derive).

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::error::EXIT_CODES_HELP;
use crate::when;

/// Admin CLI of Hoofbeat: failed jobs, replays, re-analysis, the queues, the audit log.
#[derive(Debug, Parser)]
#[command(name = "hoofbeat-admin", version, after_help = EXIT_CODES_HELP)]
pub struct Cli {
    /// The Hoofbeat API.
    #[arg(
        long,
        env = "HOOFBEAT_API_URL",
        hide_env_values = true,
        default_value = "http://127.0.0.1:8080",
        global = true
    )]
    pub url: String,
    /// The token file (default $XDG_CONFIG_HOME/hoofbeat/admin-token, else ~/.config/hoofbeat/admin-token).
    #[arg(
        long,
        env = "HOOFBEAT_ADMIN_TOKEN_FILE",
        hide_env_values = true,
        value_name = "PATH",
        global = true
    )]
    pub token_file: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Log in as an admin and keep the token in the token file (mode 0600).
    /// The password comes from HOOFBEAT_ADMIN_PASSWORD, else a prompt without echo.
    Login {
        /// The admin's email.
        #[arg(long)]
        email: String,
    },
    /// Revoke the token and delete the token file.
    Logout,
    /// List jobs (newest change first) with their counts per status.
    Jobs(JobsArgs),
    /// One job with its attempt history.
    Job {
        /// The job's id.
        id: Uuid,
        /// Print the API's JSON.
        #[arg(long)]
        json: bool,
    },
    /// Replay one dead or failed job (ID), or those matching filters (dry run
    /// first, then confirmation), then follow them until they end.
    Replay(ReplayArgs),
    /// Enqueue fresh analyses (or trends) for results of an older algorithm version.
    Reanalyze(ReanalyzeArgs),
    /// Queues, outbox, jobs of the last hour, stuck jobs, dead letters.
    Overview {
        /// Print the API's JSON.
        #[arg(long)]
        json: bool,
    },
    /// The audit log of admin actions, newest first.
    Audit {
        /// How many entries, 1–500.
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=500))]
        limit: u32,
        /// Print the API's JSON.
        #[arg(long)]
        json: bool,
    },
}

/// A job's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum Status {
    /// Waiting in the queue.
    Queued,
    /// A worker holds it.
    Running,
    /// Done.
    Succeeded,
    /// An attempt failed; a retry is scheduled.
    Failed,
    /// Gave up.
    Dead,
}

impl Status {
    /// As the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Running => "running",
            Status::Succeeded => "succeeded",
            Status::Failed => "failed",
            Status::Dead => "dead",
        }
    }
}

/// A job's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum Kind {
    /// A session's analysis.
    AnalyzeSession,
    /// A horse's trend.
    ComputeTrend,
}

impl Kind {
    /// As the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::AnalyzeSession => "analyze_session",
            Kind::ComputeTrend => "compute_trend",
        }
    }
}

/// The job filter shared by `jobs` and `replay`.
#[derive(Debug, Clone, Default, Args)]
pub struct Filter {
    /// Jobs of this status.
    #[arg(long, value_enum)]
    pub status: Option<Status>,
    /// Jobs of this kind.
    #[arg(long, value_enum)]
    pub kind: Option<Kind>,
    /// Jobs whose last error contains TEXT (case-insensitive).
    #[arg(long, value_name = "TEXT")]
    pub error: Option<String>,
    /// Changed at or after WHEN: a duration before now (2h, 30m, 7d) or an RFC 3339 time.
    #[arg(long, value_name = "WHEN", value_parser = when::parse_when)]
    pub since: Option<DateTime<Utc>>,
    /// Changed at or before WHEN (same forms as --since).
    #[arg(long, value_name = "WHEN", value_parser = when::parse_when)]
    pub until: Option<DateTime<Utc>>,
    /// Jobs of this horse.
    #[arg(long, value_name = "ID")]
    pub horse: Option<Uuid>,
    /// Jobs of this session.
    #[arg(long, value_name = "ID")]
    pub session: Option<Uuid>,
    /// Jobs last run by this worker version, e.g. aggregation/1.1.0.
    #[arg(long, value_name = "V")]
    pub algorithm_version: Option<String>,
    /// Jobs touched by this bulk replay (its id, as `replay` prints it).
    #[arg(long, value_name = "N")]
    pub replay_id: Option<i64>,
}

fn rfc3339(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl Filter {
    /// The filter's fields as the API names them.
    fn fields(&self) -> Vec<(&'static str, String)> {
        let mut f = Vec::new();
        if let Some(s) = self.status {
            f.push(("status", s.as_str().to_owned()));
        }
        if let Some(k) = self.kind {
            f.push(("kind", k.as_str().to_owned()));
        }
        if let Some(e) = &self.error {
            f.push(("error", e.clone()));
        }
        if let Some(t) = &self.since {
            f.push(("since", rfc3339(t)));
        }
        if let Some(t) = &self.until {
            f.push(("until", rfc3339(t)));
        }
        if let Some(h) = self.horse {
            f.push(("horse_id", h.to_string()));
        }
        if let Some(s) = self.session {
            f.push(("session_id", s.to_string()));
        }
        if let Some(v) = &self.algorithm_version {
            f.push(("algorithm_version", v.clone()));
        }
        if let Some(r) = self.replay_id {
            f.push(("replay_id", r.to_string()));
        }
        f
    }

    /// As a query string.
    pub fn query(&self) -> Vec<(String, String)> {
        self.fields()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect()
    }

    /// As the JSON `filter` of a POST.
    pub fn json(&self) -> Value {
        let m: Map<String, Value> = self
            .fields()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), Value::String(v)))
            .collect();
        Value::Object(m)
    }

    /// True when no field is set.
    pub fn is_empty(&self) -> bool {
        self.fields().is_empty()
    }

    /// `status=dead since=… ` for messages.
    pub fn describe(&self) -> String {
        self.fields()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// `jobs`.
#[derive(Debug, Clone, Args)]
pub struct JobsArgs {
    /// Which jobs.
    #[command(flatten)]
    pub filter: Filter,
    /// Jobs per page, 1–500 (default: the API's, 100; 500 with --all).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=500))]
    pub limit: Option<u32>,
    /// Follow the pages to the end.
    #[arg(long)]
    pub all: bool,
    /// Print JSON: {"jobs": [...], "counts": {...}, "next_cursor": ...}.
    #[arg(long)]
    pub json: bool,
}

/// `replay`.
#[derive(Debug, Clone, Args)]
pub struct ReplayArgs {
    /// The job to replay; without it, the jobs matching the filters (dead by default).
    pub id: Option<Uuid>,
    /// Which jobs (bulk replay; --status must be dead or failed).
    #[command(flatten)]
    pub filter: Filter,
    /// Replay at most N jobs in this call, 1–1000 (default: the API's, 100).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub max: Option<u32>,
    /// Do not ask for confirmation (required when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Stop following the jobs after this long (e.g. 30s, 10m, 1h).
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = when::parse_duration)]
    pub timeout: Duration,
    /// Send the replay and return without following the jobs.
    #[arg(long)]
    pub no_wait: bool,
}

/// What to re-analyse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Target {
    /// Session analyses.
    Analysis,
    /// Horse trends.
    Trend,
}

/// `reanalyze`.
#[derive(Debug, Clone, Args)]
pub struct ReanalyzeArgs {
    /// Analyses or trends.
    #[arg(long, value_enum, default_value = "analysis")]
    pub target: Target,
    /// Results older than this version, e.g. aggregation/1.0.0 (default: older than the current one).
    #[arg(long, value_name = "VERSION")]
    pub older_than: Option<String>,
    /// Only this horse.
    #[arg(long, value_name = "ID")]
    pub horse: Option<Uuid>,
    /// Sessions started at or after WHEN (2h, 7d, or RFC 3339).
    #[arg(long, value_name = "WHEN", value_parser = when::parse_when)]
    pub since: Option<DateTime<Utc>>,
    /// Sessions started at or before WHEN.
    #[arg(long, value_name = "WHEN", value_parser = when::parse_when)]
    pub until: Option<DateTime<Utc>>,
    /// Enqueue at most N jobs in this call, 1–1000 (default: the API's, 100).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub max: Option<u32>,
    /// Do not ask for confirmation (required when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

impl ReanalyzeArgs {
    /// The request body.
    pub fn body(&self, dry_run: bool) -> Value {
        let mut b = json!({
            "target": match self.target { Target::Analysis => "analysis", Target::Trend => "trend" },
            "dry_run": dry_run,
        });
        let o = b.as_object_mut().expect("an object");
        if let Some(v) = &self.older_than {
            o.insert("older_than".into(), json!(v));
        }
        if let Some(h) = self.horse {
            o.insert("horse_id".into(), json!(h));
        }
        if let Some(t) = &self.since {
            o.insert("since".into(), json!(rfc3339(t)));
        }
        if let Some(t) = &self.until {
            o.insert("until".into(), json!(rfc3339(t)));
        }
        if let Some(m) = self.max {
            o.insert("max".into(), json!(m));
        }
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn filters_map_to_the_api_names() {
        let cli = Cli::try_parse_from([
            "hoofbeat-admin",
            "jobs",
            "--status",
            "dead",
            "--kind",
            "analyze_session",
            "--error",
            "Timeout",
            "--since",
            "2026-12-01T08:00:00Z",
            "--horse",
            "6f1e3c3e-8f57-4a43-9a0e-3b2f8f4f7f10",
            "--algorithm-version",
            "aggregation/1.1.0",
        ])
        .unwrap();
        let Command::Jobs(a) = cli.command else {
            panic!("jobs")
        };
        assert_eq!(
            a.filter.query(),
            vec![
                ("status".to_owned(), "dead".to_owned()),
                ("kind".to_owned(), "analyze_session".to_owned()),
                ("error".to_owned(), "Timeout".to_owned()),
                ("since".to_owned(), "2026-12-01T08:00:00Z".to_owned()),
                (
                    "horse_id".to_owned(),
                    "6f1e3c3e-8f57-4a43-9a0e-3b2f8f4f7f10".to_owned()
                ),
                (
                    "algorithm_version".to_owned(),
                    "aggregation/1.1.0".to_owned()
                ),
            ]
        );
        assert_eq!(a.filter.json()["status"], "dead");
    }

    #[test]
    fn bad_values_are_usage_errors() {
        for args in [
            vec!["hoofbeat-admin", "jobs", "--since", "yesterday"],
            vec!["hoofbeat-admin", "jobs", "--status", "lost"],
            vec!["hoofbeat-admin", "jobs", "--limit", "0"],
            vec!["hoofbeat-admin", "replay", "not-a-uuid"],
            vec!["hoofbeat-admin", "replay", "--max", "1001"],
            vec!["hoofbeat-admin", "replay", "--timeout", "10"],
        ] {
            let e = Cli::try_parse_from(&args).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{args:?}");
        }
    }

    #[test]
    fn reanalysis_body() {
        let cli = Cli::try_parse_from([
            "hoofbeat-admin",
            "reanalyze",
            "--older-than",
            "aggregation/1.0.0",
            "--max",
            "5",
        ])
        .unwrap();
        let Command::Reanalyze(a) = cli.command else {
            panic!("reanalyze")
        };
        assert_eq!(
            a.body(true),
            json!({"target": "analysis", "older_than": "aggregation/1.0.0", "max": 5, "dry_run": true})
        );
    }
}
