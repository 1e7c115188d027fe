//! The `hoofbeat` command line: offline analysis, synthetic sessions and the
//! accuracy evaluation. Needs no server; `main.rs` only calls [`main`].
//! The subcommands live beside it: `cli_table` (the readable summary),
//! `cli_generate`, `cli_trend`, and `export` (Parquet).

use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};
use rayon::prelude::*;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::report::{SessionAnalysis, to_json};

/// Largest file read (after decompression).
pub const MAX_FILE_BYTES: usize = 1 << 30;

#[derive(Debug, Parser)]
#[command(
    name = "hoofbeat",
    version,
    about = "Offline analysis of girth IMU riding sessions"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
}

/// `hoofbeat analyze --format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AnalyzeFormat {
    /// A readable summary per file.
    Table,
    /// The stored document, one line per file.
    Json,
    /// Parquet tables of all the files into `--out DIR` (schema below).
    #[cfg(feature = "parquet")]
    Parquet,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyse session files (.csv, .json, .hbs, optionally .gz) in parallel.
    #[cfg_attr(
        feature = "parquet",
        command(after_long_help = crate::export::schema::help())
    )]
    Analyze {
        /// Session files, or directories of them (each directory's session
        /// files, sorted; .meta.json and .truth.json files skipped).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// `json` prints the stored document, one line per file; `parquet`
        /// writes tables of all the files into `--out`.
        #[arg(long, value_enum, default_value = "table")]
        format: AnalyzeFormat,
        /// With `--format parquet`: the directory (created) receiving
        /// sessions.parquet, gaits.parquet, bouts.parquet, jumps.parquet,
        /// rein.parquet, symmetry.parquet and, when every session has a start
        /// time, trends.parquet. Each file is written to a temporary name
        /// and renamed once all are complete. A file that fails is reported
        /// and left out (exit code 1); nothing is written when none succeeds.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Also print the bout timeline in the table.
        #[arg(long)]
        bouts: bool,
        /// Also draw each session as SVG: with one file, the chart's path;
        /// with several, a directory (created) receiving `<file stem>.svg`.
        #[arg(long, value_name = "PATH")]
        chart: Option<PathBuf>,
    },
    /// Write synthetic sessions (CSV) with their ground truth (.truth.json).
    Generate {
        /// Directory to write into (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// Number of sessions.
        #[arg(long, default_value_t = 5)]
        count: u32,
        /// Length of each session in minutes.
        #[arg(long, default_value_t = 30.0)]
        minutes: f64,
        /// Seed of the first session; session i uses seed + i.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Device rate in Hz; by default the sessions cycle 50/60/100/200 Hz
        /// (with `--variety wide`: the wide set's rates, 25–400 Hz).
        #[arg(long)]
        rate: Option<f64>,
        /// `wide`: varied sessions (horse size, collection, arena tracks,
        /// spooks/bucks, lateral work, rising trot, radio gaps, soft jumps,
        /// two canter models); the truth then lists the variation, rein
        /// segments and events.
        #[arg(long, value_enum, default_value = "standard")]
        variety: Variety,
    },
    /// Score the analysis on generated sessions; non-zero exit if a target is missed.
    Evaluate {
        /// Number of generated sessions (default 20; 48 with `--variety wide`).
        #[arg(long)]
        count: Option<u32>,
        /// Session length in minutes: `M` or `MIN..MAX` (default 20..60;
        /// 10..30 with `--variety wide`).
        #[arg(long)]
        minutes: Option<String>,
        /// Seed of the evaluation set.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Also list missed and false jumps.
        #[arg(long)]
        details: bool,
        /// `wide`: varied sessions scored against the issue-8 targets,
        /// overall, per variation band, and the gait confusion table.
        #[arg(long, value_enum, default_value = "standard")]
        variety: Variety,
    },
    /// A horse's trend from its session files (or stored analyses), as the server computes it.
    Trend {
        /// Session files or directories of them (.csv needs a FILE.meta.json sidecar).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The files are analysis documents (`{"started_at", "result"}`, or bare with a sidecar).
        #[arg(long)]
        from_analyses: bool,
        /// `json` prints the document the server stores (byte for byte).
        #[arg(long, value_enum, default_value = "table")]
        format: OutputFormat,
        /// First day of the window (YYYY-MM-DD, UTC).
        #[arg(long)]
        from: Option<NaiveDate>,
        /// Last day of the window.
        #[arg(long)]
        to: Option<NaiveDate>,
        /// Keep only the day or the week series.
        #[arg(long, value_enum)]
        granularity: Option<GranularityArg>,
        /// Also draw the trend as SVG (weekly riding, rein, workload ratio,
        /// symmetry against its baseline band, alerts) to this path.
        #[arg(long, value_name = "PATH")]
        chart: Option<PathBuf>,
    },
    /// Write synthetic horse histories: CSV sessions with .meta.json start times.
    GenerateHistory {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 2)]
        horses: usize,
        #[arg(long, default_value_t = 8)]
        weeks: u32,
        /// Session length in minutes: `M` or `MIN..MAX`.
        #[arg(long, default_value = "20..45")]
        minutes: String,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
    /// Score the trend on generated horse histories; non-zero exit if a target is missed.
    EvaluateTrends {
        #[arg(long, default_value_t = 12)]
        horses: usize,
        #[arg(long, default_value_t = 8)]
        weeks: u32,
        /// Session length in minutes: `M` or `MIN..MAX`.
        #[arg(long, default_value = "20..45")]
        minutes: String,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
}

/// `--variety` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Variety {
    /// The base generator (unchanged sessions for a seed).
    Standard,
    /// The issue-8 variety (`synth::variety`).
    Wide,
}

/// `--granularity` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum GranularityArg {
    Day,
    Week,
}

/// Runs the CLI with the process arguments.
pub fn main() -> ExitCode {
    run(Cli::parse())
}

/// Runs one parsed command; output goes to stdout, diagnostics to stderr.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Analyze {
            files,
            format,
            out,
            bouts,
            chart,
        } => analyze(&files, format, out.as_deref(), bouts, chart.as_deref()),
        Command::Generate {
            out,
            count,
            minutes,
            seed,
            rate,
            variety,
        } => crate::cli_generate::generate(&out, count, minutes, seed, rate, variety),
        Command::Trend {
            paths,
            from_analyses,
            format,
            from,
            to,
            granularity,
            chart,
        } => crate::cli_trend::trend(&crate::cli_trend::TrendArgs {
            paths,
            from_analyses,
            format,
            from,
            to,
            granularity: granularity.map(|g| match g {
                GranularityArg::Day => trend::Granularity::Day,
                GranularityArg::Week => trend::Granularity::Week,
            }),
            chart,
        }),
        Command::GenerateHistory {
            out,
            horses,
            weeks,
            minutes,
            seed,
        } => with_minutes(&minutes, |m| {
            crate::cli_trend::generate_history(&out, horses, weeks, m, seed)
        }),
        Command::EvaluateTrends {
            horses,
            weeks,
            minutes,
            seed,
        } => with_minutes(&minutes, |m| {
            crate::cli_trend::evaluate_trends(horses, weeks, m, seed)
        }),
        Command::Evaluate {
            count,
            minutes,
            seed,
            details,
            variety,
        } => {
            let wide = variety == Variety::Wide;
            let count = count.unwrap_or(if wide { 48 } else { 20 });
            let minutes = minutes.unwrap_or_else(|| if wide { "10..30" } else { "20..60" }.into());
            match parse_minutes(&minutes) {
                Some((lo, hi)) => {
                    let (mut text, pass, notes) = if wide {
                        let sessions = crate::eval_wide::evaluate_wide(count, lo, hi, seed);
                        let (text, pass) = crate::eval_wide::wide_report(&sessions);
                        let notes: Vec<String> =
                            sessions.into_iter().flat_map(|s| s.score.notes).collect();
                        (text, pass, notes)
                    } else {
                        let score = crate::eval::evaluate(count, lo, hi, seed);
                        (score.to_string(), score.all_pass(), score.notes)
                    };
                    if details {
                        for n in &notes {
                            text.push_str(n);
                            text.push('\n');
                        }
                    }
                    // A closed pipe (`| head`) is not an error worth a panic.
                    let _ = std::io::stdout().lock().write_all(text.as_bytes());
                    if pass {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::FAILURE
                    }
                }
                None => {
                    eprintln!("hoofbeat: --minutes must be M or MIN..MAX with 0 < MIN ≤ MAX ≤ 240");
                    ExitCode::from(2)
                }
            }
        }
    }
}

fn with_minutes(s: &str, f: impl FnOnce((f64, f64)) -> ExitCode) -> ExitCode {
    match parse_minutes(s) {
        Some(m) => f(m),
        None => {
            eprintln!("hoofbeat: --minutes must be M or MIN..MAX with 0 < MIN ≤ MAX ≤ 240");
            ExitCode::from(2)
        }
    }
}

/// Parses `M` or `MIN..MAX`.
pub fn parse_minutes(s: &str) -> Option<(f64, f64)> {
    let (lo, hi) = match s.split_once("..") {
        Some((a, b)) => (a.trim().parse::<f64>().ok()?, b.trim().parse::<f64>().ok()?),
        None => {
            let m = s.trim().parse::<f64>().ok()?;
            (m, m)
        }
    };
    (lo > 0.0 && lo <= hi && hi <= 240.0).then_some((lo, hi))
}

/// Decodes and analyses one file; the error names the file (and the line,
/// through the decoder's issues).
pub fn analyze_file(path: &Path) -> Result<SessionAnalysis, String> {
    analyze_file_timed(path).map(|(a, _)| a)
}

/// Like [`analyze_file`], also giving the start time the file carries
/// (binary header, JSON `started_at`; Unix ms).
pub fn analyze_file_timed(path: &Path) -> Result<(SessionAnalysis, Option<i64>), String> {
    analyze_file_full(path).map(|f| (f.analysis, f.started_at_ms))
}

/// One file's analysis with what the decoder learnt about the recording.
#[derive(Debug, Clone)]
pub struct FileAnalysis {
    pub analysis: SessionAnalysis,
    /// The start time the file carries (Unix ms), if any.
    pub started_at_ms: Option<i64>,
    /// Nominal sample rate: the binary header's, or the one estimated from
    /// the median time step for CSV and JSON.
    pub sample_rate_hz: f64,
}

/// Like [`analyze_file`], with the file's start time and nominal rate.
pub fn analyze_file_full(path: &Path) -> Result<FileAnalysis, String> {
    let decoded = shared::sensor::decode_file(path, MAX_FILE_BYTES)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let a = crate::analyze(&decoded.recording).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(FileAnalysis {
        analysis: a,
        started_at_ms: decoded.started_at_unix_ms,
        sample_rate_hz: decoded.recording.sample_rate_hz,
    })
}

/// A one-line progress bar on stderr for multi-file runs, drawn only when
/// stderr is a terminal (never into a log or a pipe).
#[derive(Debug)]
pub struct Progress {
    total: usize,
    done: AtomicUsize,
    draw: bool,
}

impl Progress {
    /// A bar for `total` files (drawn when stderr is a terminal and there
    /// is more than one file).
    pub fn new(total: usize) -> Self {
        Self {
            total,
            done: AtomicUsize::new(0),
            draw: std::io::stderr().is_terminal() && total > 1,
        }
    }

    /// One more file done (from any thread).
    pub fn tick(&self) {
        if !self.draw {
            return;
        }
        let n = (self.done.fetch_add(1, Ordering::Relaxed) + 1).min(self.total);
        let width = 30;
        let filled = n * width / self.total;
        eprint!(
            "\r[{}{}] {n}/{}",
            "#".repeat(filled),
            " ".repeat(width - filled),
            self.total
        );
        if n == self.total {
            eprintln!();
        }
    }
}

/// Runs `hoofbeat analyze`: directories expanded, then the chosen format.
fn analyze(
    paths: &[PathBuf],
    format: AnalyzeFormat,
    out: Option<&Path>,
    bouts: bool,
    chart: Option<&Path>,
) -> ExitCode {
    let files = match crate::cli_trend::expand(paths, false) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let text = match format {
        AnalyzeFormat::Table => OutputFormat::Table,
        AnalyzeFormat::Json => OutputFormat::Json,
        #[cfg(feature = "parquet")]
        AnalyzeFormat::Parquet => {
            let Some(out) = out else {
                eprintln!("hoofbeat: --format parquet needs --out DIR");
                return ExitCode::from(2);
            };
            if chart.is_some() || bouts {
                eprintln!("hoofbeat: --chart and --bouts apply to --format table and json only");
                return ExitCode::from(2);
            }
            return crate::export::run(&files, out);
        }
    };
    if out.is_some() {
        eprintln!("hoofbeat: --out applies to --format parquet only");
        return ExitCode::from(2);
    }
    analyze_files(&files, text, bouts, chart)
}

fn analyze_files(
    files: &[PathBuf],
    format: OutputFormat,
    bouts: bool,
    chart: Option<&Path>,
) -> ExitCode {
    let progress = Progress::new(files.len());
    let results: Vec<Result<SessionAnalysis, String>> = files
        .par_iter()
        .map(|f| {
            let r = analyze_file(f);
            progress.tick();
            r
        })
        .collect();
    let mut failed = false;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for (path, r) in files.iter().zip(results) {
        match r {
            Ok(a) => {
                let text = match format {
                    OutputFormat::Json => {
                        let mut b = to_json(&a);
                        b.push(b'\n');
                        b
                    }
                    OutputFormat::Table => crate::cli_table::table(path, &a, bouts).into_bytes(),
                };
                if out.write_all(&text).is_err() {
                    return ExitCode::FAILURE;
                }
                if let Some(target) = chart
                    && let Err(e) = write_chart(target, files.len() > 1, path, &a)
                {
                    failed = true;
                    eprintln!("error: {e}");
                }
            }
            Err(e) => {
                failed = true;
                eprintln!("error: {e}");
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Writes the session chart of `path` to `target` (a directory when
/// `several` files are analysed); the error names the file written.
fn write_chart(
    target: &Path,
    several: bool,
    path: &Path,
    a: &SessionAnalysis,
) -> Result<(), String> {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let out = if several {
        std::fs::create_dir_all(target).map_err(|e| format!("{}: {e}", target.display()))?;
        let stem = name
            .split('.')
            .next()
            .filter(|s| !s.is_empty())
            .unwrap_or("session");
        target.join(format!("{stem}.svg"))
    } else {
        target.to_path_buf()
    };
    std::fs::write(&out, crate::chart::session_svg(a, &name))
        .map_err(|e| format!("{}: {e}", out.display()))
}
