//! Columnar exports: `hoofbeat analyze PATHS --format parquet --out DIR`
//! writes the analyses of many sessions as Parquet tables for notebooks
//! (pandas, polars, pyarrow, DuckDB), one file per list of the analysis
//! document: `sessions`, `gaits`, `bouts`, `jumps`, `rein`, `symmetry`, and
//! when the sessions can make a trend, the trend document's lists
//! (`trends`, `trend_metrics`, `trend_alerts`, `trend_workload`, …).
//!
//! - [`columns`]: a column described once (name, unit, meaning, reader);
//!   schema, arrays and documentation all come from it.
//! - [`schema`]: the columns of the session lists' files
//!   ([`session_columns`]: `sessions.parquet`'s), and [`docs`]: every
//!   file's documentation (README tables, `--help`).
//! - [`trend_tables`]: the columns and rows of the trend files.
//! - [`write`]: temporary files renamed into place once all are complete.
//!
//! Files are read and analysed in parallel on rayon exactly as the other
//! formats are. A file that fails to read or analyse is reported on stderr
//! (`error: FILE:LINE: …`, like the other formats) and left out; the other
//! sessions are still exported and the exit code is 1 (the CLI's rule for
//! several files). If no file could be analysed nothing is written.

pub mod columns;
pub mod docs;
pub mod schema;
pub mod session_columns;
pub mod trend_load_columns;
pub mod trend_quality_columns;
pub mod trend_tables;
pub mod write;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use arrow_array::RecordBatch;
use arrow_schema::ArrowError;
use rayon::prelude::*;
use trend::{Gait, TrendDocument};

use crate::cli::Progress;
use crate::report::{Lead, Rein, SessionAnalysis, round};
use schema::Item;

/// One analysed session file, with what the file says about itself.
#[derive(Debug, Clone)]
pub struct Session {
    /// The path as the CLI names it.
    pub file: String,
    /// `csv`, `json` or `binary`.
    pub format: &'static str,
    /// The file name ends in `.gz`.
    pub gzip: bool,
    /// The recording's nominal sample rate.
    pub sample_rate_hz: f64,
    /// Sidecar start, else the file's own (Unix ms).
    pub started_at_ms: Option<i64>,
    pub analysis: SessionAnalysis,
}

impl Session {
    /// Reads, decodes and analyses one file; the error names the file (and
    /// the line, where the decoder knows it), as for the other formats.
    pub fn load(path: &Path) -> Result<Self, String> {
        let sidecar = crate::cli_trend::sidecar_time(path)?;
        let f = crate::cli::analyze_file_full(path)?;
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        Ok(Self {
            file: path.display().to_string(),
            format: shared::sensor::Format::from_path(path).map_or("", |f| f.as_str()),
            gzip: name.to_ascii_lowercase().ends_with(".gz"),
            sample_rate_hz: f.sample_rate_hz,
            started_at_ms: sidecar.or(f.started_at_ms),
            analysis: f.analysis,
        })
    }

    /// A list length as a column value (lists never reach 2³² entries).
    pub(crate) fn count(&self, n: usize) -> u32 {
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    pub(crate) fn gap_count(&self) -> u32 {
        self.count(self.analysis.quality.gaps.len())
    }

    pub(crate) fn gap_s(&self) -> f64 {
        round(
            self.analysis
                .quality
                .gaps
                .iter()
                .map(|g| g.end_s - g.start_s)
                .sum(),
            3,
        )
    }

    /// Time in `gait` (0 when the session has none).
    pub(crate) fn gait_s(&self, gait: Gait) -> f64 {
        self.analysis
            .gaits
            .iter()
            .find(|g| g.gait == gait)
            .map_or(0.0, |g| g.time_s)
    }

    /// Time on `rein` over the rein timeline.
    pub(crate) fn rein_s(&self, rein: Rein) -> f64 {
        round(
            self.analysis
                .rein_timeline
                .iter()
                .filter(|s| s.rein == rein)
                .map(|s| s.end_s - s.start_s)
                .sum(),
            3,
        )
    }

    pub(crate) fn rein_balance(&self) -> Option<f64> {
        let (l, r) = (self.rein_s(Rein::Left), self.rein_s(Rein::Right));
        (l + r > 0.0).then(|| round((l - r) / (l + r), 4))
    }

    pub(crate) fn lead_bouts(&self, lead: Lead) -> u32 {
        self.count(
            self.analysis
                .bouts
                .iter()
                .filter(|b| b.gait.has_lead() && b.lead == Some(lead))
                .count(),
        )
    }

    pub(crate) fn counter_canter_bouts(&self) -> u32 {
        self.count(
            self.analysis
                .bouts
                .iter()
                .filter(|b| b.counter_canter == Some(true))
                .count(),
        )
    }
}

/// The rows of one list of every session.
fn items<'a, T>(
    sessions: &'a [Session],
    list: impl Fn(&'a SessionAnalysis) -> &'a [T],
) -> Vec<Item<'a, T>> {
    sessions
        .iter()
        .flat_map(|s| {
            list(&s.analysis)
                .iter()
                .enumerate()
                .map(move |(i, item)| Item {
                    file: &s.file,
                    index: u32::try_from(i).unwrap_or(u32::MAX),
                    item,
                })
        })
        .collect()
}

/// The trend of the sessions, as `hoofbeat trend` computes it for the same
/// files, when every session has a start time.
pub fn trend_of(sessions: &[Session]) -> Option<TrendDocument> {
    let features: Option<Vec<_>> = sessions
        .iter()
        .map(|s| {
            s.started_at_ms
                .map(|t| crate::features::from_analysis(&s.analysis, t))
        })
        .collect();
    features.map(|f| crate::cli_trend::document(&f, None, None, None))
}

/// Every export table: `(file name, rows)`; the trend files only with a
/// trend document.
pub fn tables(
    sessions: &[Session],
    trend: Option<&TrendDocument>,
) -> Result<Vec<(&'static str, RecordBatch)>, ArrowError> {
    let mut out = vec![
        (
            "sessions.parquet",
            columns::batch(&schema::sessions(), sessions)?,
        ),
        (
            "gaits.parquet",
            columns::batch(&schema::gaits(), &items(sessions, |a| &a.gaits))?,
        ),
        (
            "bouts.parquet",
            columns::batch(&schema::bouts(), &items(sessions, |a| &a.bouts))?,
        ),
        (
            "jumps.parquet",
            columns::batch(&schema::jumps(), &items(sessions, |a| &a.jumps))?,
        ),
        (
            "rein.parquet",
            columns::batch(&schema::rein(), &items(sessions, |a| &a.rein_timeline))?,
        ),
        (
            "symmetry.parquet",
            columns::batch(
                &schema::symmetry(),
                &items(sessions, |a| &a.symmetry_stretches),
            )?,
        ),
    ];
    if let Some(doc) = trend {
        out.extend(trend_tables::tables(doc)?);
    }
    Ok(out)
}

/// Runs the export of `files` (directories already expanded) into `out`.
pub fn run(files: &[PathBuf], out: &Path) -> ExitCode {
    let progress = Progress::new(files.len());
    let results: Vec<Result<Session, String>> = files
        .par_iter()
        .map(|f| {
            let r = Session::load(f);
            progress.tick();
            r
        })
        .collect();
    let mut sessions = Vec::with_capacity(results.len());
    let mut failed = 0usize;
    for r in results {
        match r {
            Ok(s) => sessions.push(s),
            Err(e) => {
                failed += 1;
                eprintln!("error: {e}");
            }
        }
    }
    if sessions.is_empty() {
        eprintln!(
            "error: no session could be analysed; nothing written to {}",
            out.display()
        );
        return ExitCode::FAILURE;
    }
    // A trend of some of the files would not be the horse's trend.
    let trend = if failed == 0 {
        trend_of(&sessions)
    } else {
        None
    };
    if trend.is_none() {
        let why = if failed > 0 {
            format!("{failed} file(s) failed")
        } else {
            let untimed = sessions
                .iter()
                .filter(|s| s.started_at_ms.is_none())
                .count();
            format!(
                "{untimed} session(s) have no start time (a CSV file needs FILE.meta.json with {{\"started_at\": …}})"
            )
        };
        eprintln!("note: trends.parquet and the trend_* files not written: {why}");
    }
    let tables = match tables(&sessions, trend.as_ref()) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let stale = if trend.is_none() {
        trend_tables::file_names()
    } else {
        Vec::new()
    };
    match write::write_tables(out, &tables, &stale) {
        Ok(paths) => {
            let mut stdout = std::io::stdout().lock();
            for (p, (_, batch)) in paths.iter().zip(&tables) {
                let _ = writeln!(stdout, "{}\t{} rows", p.display(), batch.num_rows());
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    }
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
