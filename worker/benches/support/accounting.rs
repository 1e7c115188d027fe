//! Where a benchmark phase's work went: CPU time per process class (from
//! `/proc/<pid>/stat`) and SQL statements and transactions per job (from
//! `pg_stat_statements`, when the server loads it, and `pg_stat_database`).
//!
//! Process classes: the API process, the worker processes, every `postgres`
//! process (backends, WAL writer, checkpointer… plus the time of backends
//! that exited meanwhile, which the postmaster collects as its children's
//! time), RabbitMQ's Erlang VM, and the bench itself (the HTTP clients that
//! stand in for phones). Linux only.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use sqlx::PgPool;

/// Clock ticks per second of `/proc/<pid>/stat` times (`getconf CLK_TCK`).
fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// `(comm, utime + stime, cutime + cstime)` in ticks, or `None` for a
/// process that has gone.
fn stat(pid: u32) -> Option<(String, u64, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // comm is parenthesised and may hold spaces: split after the last ')'.
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text[open + 1..close].to_owned();
    let fields: Vec<&str> = text[close + 2..].split_whitespace().collect();
    // Fields 14-17 of proc(5) are indexes 11-14 after the state field.
    let num = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok());
    Some((comm, num(11)? + num(12)?, num(13)? + num(14)?))
}

fn class_of(comm: &str) -> Option<&'static str> {
    match comm {
        "postgres" => Some("postgres"),
        "beam.smp" | "erl_child_setup" | "inet_gethost" | "epmd" => Some("rabbitmq"),
        _ => None,
    }
}

/// CPU seconds per process class at one instant.
#[derive(Debug, Default, Clone)]
pub struct CpuSnapshot {
    seconds: BTreeMap<&'static str, f64>,
}

/// Reads the CPU time used so far by the API, the workers, Postgres,
/// RabbitMQ and this bench process.
pub fn snapshot(api: u32, workers: &[u32]) -> CpuSnapshot {
    let tick = clock_ticks();
    let mut seconds: BTreeMap<&'static str, f64> = BTreeMap::new();
    let mut add = |class: &'static str, ticks: u64| {
        *seconds.entry(class).or_default() += ticks as f64 / tick;
    };
    let me = std::process::id();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Some((comm, own, children)) = stat(pid) else {
            continue;
        };
        let class = if pid == api {
            Some("api")
        } else if workers.contains(&pid) {
            Some("worker")
        } else if pid == me {
            Some("bench clients")
        } else {
            class_of(&comm)
        };
        if let Some(class) = class {
            // Postgres backends are the postmaster's children: their time
            // counts when they exit. Other classes do not fork workers.
            add(class, own + if class == "postgres" { children } else { 0 });
        }
    }
    CpuSnapshot { seconds }
}

/// CPU milliseconds per job per class between two snapshots, with the
/// server-side total (everything but the bench's clients).
pub fn cpu_per_job(before: &CpuSnapshot, after: &CpuSnapshot, jobs: f64) -> String {
    let mut out = String::from("CPU per job:");
    let mut total = 0.0;
    for class in ["api", "worker", "postgres", "rabbitmq", "bench clients"] {
        let used = after.seconds.get(class).copied().unwrap_or(0.0)
            - before.seconds.get(class).copied().unwrap_or(0.0);
        let ms = used.max(0.0) * 1000.0 / jobs;
        if class != "bench clients" {
            total += ms;
        }
        let _ = write!(out, " {class} {ms:.2} ms,");
    }
    let _ = write!(out, " server total {total:.2} ms (target <= 2 ms)");
    out
}

/// The statements this database ran, when `pg_stat_statements` is loaded
/// (`shared_preload_libraries = 'pg_stat_statements'`); `None` otherwise.
pub async fn reset_statements(db: &PgPool) -> Option<()> {
    sqlx::query("/* bench */ CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        .execute(db)
        .await
        .ok()?;
    sqlx::query("/* bench */ SELECT pg_stat_statements_reset()")
        .execute(db)
        .await
        .ok()?;
    Some(())
}

/// Committed transactions of this database so far (flushed statistics).
pub async fn commits(db: &PgPool) -> i64 {
    // Backends flush their counters at most once a second when idle.
    sqlx::query("/* bench */ SELECT pg_stat_force_next_flush()")
        .execute(db)
        .await
        .ok();
    sqlx::query_scalar(
        "/* bench */ SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()",
    )
    .fetch_one(db)
    .await
    .unwrap_or(0)
}

/// Statements per job since [`reset_statements`], the bench's own
/// queries (marked `/* bench */`) left out, one line per statement.
pub async fn statements_per_job(db: &PgPool, jobs: f64) -> String {
    let rows: Vec<(String, i64)> = match sqlx::query_as(
        "/* bench */ SELECT regexp_replace(left(query, 90), '\\s+', ' ', 'g'), calls::int8
         FROM pg_stat_statements
         WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND query NOT LIKE '/* bench */%'
         ORDER BY calls DESC",
    )
    .fetch_all(db)
    .await
    {
        Ok(rows) => rows,
        Err(_) => {
            return "SQL statements per job: pg_stat_statements not loaded (add it to shared_preload_libraries to count them)".to_owned();
        }
    };
    let total: i64 = rows.iter().map(|(_, n)| n).sum();
    let mut out = format!("SQL statements per job: {:.2}", total as f64 / jobs);
    for (query, calls) in rows.iter().filter(|(_, n)| *n as f64 >= jobs / 20.0) {
        let _ = write!(out, "\n      {:>6.2}  {query}", *calls as f64 / jobs);
    }
    out
}
