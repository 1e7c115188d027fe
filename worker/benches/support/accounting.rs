//! Where a benchmark phase's work went: CPU time per process class (from
//! `/proc/<pid>/stat`) and SQL statements and transactions per job (from
//! `pg_stat_statements`, when the server loads it, and `pg_stat_database`).
//!
//! Process classes: the API process, the worker processes, the Postgres
//! backends of the bench's database split by the process they serve (the
//! API, the workers, the bench's own polling) and the server's shared
//! background processes (WAL writer, checkpointer, autovacuum), RabbitMQ's
//! Erlang VM (all of it: other vhosts' work cannot be told apart), and the
//! bench itself (the HTTP clients that stand in for phones). Other
//! databases' backends are left out. Linux only (`/proc`, `ss`).

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
        "beam.smp" | "erl_child_setup" | "inet_gethost" | "epmd" => Some("rabbitmq"),
        _ => None,
    }
}

/// The classes reported, in order; the last one is the bench's own and not
/// part of the server total.
const CLASSES: [&str; 7] = [
    "api",
    "worker",
    "pg for api",
    "pg for worker",
    "pg shared",
    "rabbitmq",
    "bench clients",
];

/// A `pg_stat_activity` row: pid, backend type, of this database, client port.
type Activity = (i32, Option<String>, Option<bool>, Option<i32>);

/// Whom each Postgres process of interest serves: this database's client
/// backends by the process at the other end of their socket (`api`,
/// `worker`, the bench), the server's own background processes (WAL writer,
/// checkpointer, autovacuum…) as shared. Backends of other databases (other
/// tests, other builds on the machine) are left out, so the figures are this
/// stack's alone.
pub async fn postgres_roles(db: &PgPool, api: u32, workers: &[u32]) -> BTreeMap<u32, &'static str> {
    let rows: Vec<Activity> = sqlx::query_as(
        "/* bench */ SELECT pid, backend_type, datname = current_database(), client_port
         FROM pg_stat_activity",
    )
    .fetch_all(db)
    .await
    .unwrap_or_default();
    let owners = socket_owners();
    let me = std::process::id();
    let mut roles = BTreeMap::new();
    for (pid, backend_type, ours, port) in rows {
        let role = match (backend_type.as_deref(), ours) {
            (Some("client backend"), Some(true)) => {
                match port.and_then(|p| owners.get(&(p as u16))) {
                    Some(&owner) if owner == api => "pg for api",
                    Some(owner) if workers.contains(owner) => "pg for worker",
                    Some(&owner) if owner == me => "pg for bench",
                    _ => continue,
                }
            }
            (Some("client backend"), _) => continue,
            // Autovacuum workers of other databases are counted too: they
            // come and go, and cannot be told apart by the time they used.
            _ => "pg shared",
        };
        roles.insert(pid as u32, role);
    }
    roles
}

/// Local TCP port → owning process, for the established connections to
/// Postgres (`ss -tnpH`).
fn socket_owners() -> BTreeMap<u16, u32> {
    let out = std::process::Command::new("ss")
        .args(["-tnpH", "state", "established", "( dport = :5432 )"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .unwrap_or_default();
    let mut owners = BTreeMap::new();
    for line in out.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        // Recv-Q Send-Q Local:Port Peer:Port users:(("name",pid=N,fd=M))
        let port = fields
            .get(2)
            .and_then(|l| l.rsplit(':').next())
            .and_then(|p| p.parse::<u16>().ok());
        let pid = line
            .split("pid=")
            .nth(1)
            .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|p| p.parse::<u32>().ok());
        if let (Some(port), Some(pid)) = (port, pid) {
            owners.insert(port, pid);
        }
    }
    owners
}

/// CPU seconds per process at one instant, with the process's class.
#[derive(Debug, Default, Clone)]
pub struct CpuSnapshot {
    seconds: BTreeMap<u32, (&'static str, f64)>,
}

/// Reads the CPU time used so far by the API, the workers, the Postgres
/// processes in `postgres` (see [`postgres_roles`]), RabbitMQ and this bench
/// process.
pub fn snapshot(api: u32, workers: &[u32], postgres: &BTreeMap<u32, &'static str>) -> CpuSnapshot {
    let tick = clock_ticks();
    let mut seconds = BTreeMap::new();
    let me = std::process::id();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Some((comm, own, _children)) = stat(pid) else {
            continue;
        };
        let class = if pid == api {
            Some("api")
        } else if workers.contains(&pid) {
            Some("worker")
        } else if pid == me {
            Some("bench clients")
        } else if comm == "postgres" {
            postgres.get(&pid).copied()
        } else {
            class_of(&comm)
        };
        if let Some(class) = class {
            seconds.insert(pid, (class, own as f64 / tick));
        }
    }
    CpuSnapshot { seconds }
}

/// CPU milliseconds per job per class between two snapshots, with the
/// server-side total (everything but the bench's clients and the bench's
/// own queries). A process that appeared meanwhile counts whole; one that
/// exited meanwhile (a Postgres backend closed by its pool) is lost, and
/// their number is said.
pub fn cpu_per_job(before: &CpuSnapshot, after: &CpuSnapshot, jobs: f64) -> String {
    let mut used: BTreeMap<&'static str, f64> = BTreeMap::new();
    for (pid, (class, secs)) in &after.seconds {
        let start = before.seconds.get(pid).map_or(0.0, |(_, s)| *s);
        *used.entry(class).or_default() += (secs - start).max(0.0);
    }
    let lost = before
        .seconds
        .keys()
        .filter(|pid| !after.seconds.contains_key(pid))
        .count();
    let mut out = String::from("CPU per job:");
    let mut total = 0.0;
    for class in CLASSES {
        let ms = used.get(class).copied().unwrap_or(0.0) * 1000.0 / jobs;
        if class != "bench clients" {
            total += ms;
        }
        let _ = write!(out, " {class} {ms:.2} ms,");
    }
    let _ = write!(out, " server total {total:.2} ms (target <= 2 ms)");
    if lost > 0 {
        let _ = write!(
            out,
            "; {lost} process(es) exited during the phase (not counted)"
        );
    }
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

/// The cluster's WAL so far (`pg_stat_wal`, flushed statistics): flushes to
/// disk (`wal_sync`: each one an `fdatasync` a committing backend or the WAL
/// writer waits for) and bytes written. Cluster-wide: the bench expects no
/// other database to be busy.
pub async fn wal(db: &PgPool) -> (i64, i64) {
    sqlx::query_as("/* bench */ SELECT wal_sync, wal_bytes::bigint FROM pg_stat_wal")
        .fetch_one(db)
        .await
        .unwrap_or((0, 0))
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
