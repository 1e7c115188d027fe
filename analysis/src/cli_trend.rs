//! `hoofbeat trend`, `hoofbeat generate-history` and `hoofbeat
//! evaluate-trends`: a horse's trend from local files, with no server.
//!
//! Start times: the binary header and the JSON `started_at` carry one; a CSV
//! file needs a sidecar `FILE.meta.json` with `{"started_at": "<RFC 3339>"}`.
//! A sidecar, when present, wins over the file's own time, like the
//! `started_at` query parameter of an upload does on the server.

use rayon::prelude::*;
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{DateTime, NaiveDate};
use serde::Deserialize;
use trend::{Granularity, SessionFeatures, TrendConfig, TrendDocument, Window};

use crate::cli::{OutputFormat, analyze_file_timed};
use crate::report::SessionAnalysis;

/// Largest analysis document or sidecar read.
const MAX_JSON_BYTES: u64 = 64 << 20;

/// What `hoofbeat trend` was asked.
#[derive(Debug, Clone)]
pub struct TrendArgs {
    pub paths: Vec<PathBuf>,
    pub from_analyses: bool,
    pub format: OutputFormat,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub granularity: Option<Granularity>,
    /// Also draw the document as SVG to this path.
    pub chart: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Sidecar {
    started_at: String,
}

/// An analysis with its start time (as the API or a script may save it).
#[derive(Deserialize)]
struct Envelope {
    started_at: String,
    #[serde(alias = "analysis")]
    result: SessionAnalysis,
}

/// An RFC 3339 time as Unix ms; `origin` names the file in the error.
pub fn parse_time(s: &str, origin: &Path) -> Result<i64, String> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.timestamp_millis())
        .map_err(|e| {
            format!(
                "{}: started_at {s:?} is not an RFC 3339 time: {e}",
                origin.display()
            )
        })
}

fn read_json_text(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.len() > MAX_JSON_BYTES {
        return Err(format!(
            "{}: larger than {MAX_JSON_BYTES} bytes",
            path.display()
        ));
    }
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// `FILE.meta.json` beside a session file.
pub fn sidecar_path(file: &Path) -> PathBuf {
    let mut s = file.as_os_str().to_owned();
    s.push(".meta.json");
    PathBuf::from(s)
}

/// The sidecar's start time, if there is a sidecar.
pub fn sidecar_time(file: &Path) -> Result<Option<i64>, String> {
    let p = sidecar_path(file);
    if !p.exists() {
        return Ok(None);
    }
    let text = read_json_text(&p)?;
    let meta: Sidecar = serde_json::from_str(&text)
        .map_err(|e| format!("{}:{}:{}: {e}", p.display(), e.line(), e.column()))?;
    parse_time(&meta.started_at, &p).map(Some)
}

/// Features of one session file: decode, analyse, start time.
pub fn session_features(path: &Path) -> Result<SessionFeatures, String> {
    let sidecar = sidecar_time(path)?;
    let (a, own) = analyze_file_timed(path)?;
    let started = sidecar.or(own).ok_or_else(|| {
        format!(
            "{}: no start time: CSV files carry none; write {} with {{\"started_at\": \"2026-11-26T09:00:00Z\"}}",
            path.display(),
            sidecar_path(path).display()
        )
    })?;
    Ok(crate::features::from_analysis(&a, started))
}

/// Features of one stored analysis: an envelope with `started_at`, or a bare
/// analysis document with a sidecar.
pub fn analysis_features(path: &Path) -> Result<SessionFeatures, String> {
    let text = read_json_text(path)?;
    let located =
        |e: serde_json::Error| format!("{}:{}:{}: {e}", path.display(), e.line(), e.column());
    if let Some(started) = sidecar_time(path)? {
        let a: SessionAnalysis = serde_json::from_str(&text).map_err(located)?;
        return Ok(crate::features::from_analysis(&a, started));
    }
    let env: Envelope = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{} (expected {{\"started_at\": …, \"result\": <analysis>}} or a sidecar {})",
            located(e),
            sidecar_path(path).display()
        )
    })?;
    Ok(crate::features::from_analysis(
        &env.result,
        parse_time(&env.started_at, path)?,
    ))
}

/// The files named, directories expanded (sorted; sidecars and ground-truth
/// files skipped).
pub fn expand(paths: &[PathBuf], from_analyses: bool) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        if !p.is_dir() {
            out.push(p.clone());
            continue;
        }
        let mut found: Vec<PathBuf> = std::fs::read_dir(p)
            .map_err(|e| format!("{}: {e}", p.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|f| f.is_file())
            .filter(|f| {
                let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
                let skip = name.ends_with(".meta.json") || name.ends_with(".truth.json");
                let fits = if from_analyses {
                    name.ends_with(".json")
                } else {
                    shared::sensor::Format::from_path(f).is_some()
                };
                fits && !skip
            })
            .collect();
        found.sort();
        out.extend(found);
    }
    if out.is_empty() {
        return Err("no session files found".into());
    }
    Ok(out)
}

/// The trend document of these sessions' features, as `hoofbeat trend` and
/// the worker compute it (default configuration), optionally windowed.
pub fn document(
    features: &[SessionFeatures],
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    granularity: Option<Granularity>,
) -> TrendDocument {
    let doc = trend::compute(features, &TrendConfig::default());
    if from.is_some() || to.is_some() || granularity.is_some() {
        doc.window(Window { from, to }, granularity)
    } else {
        doc
    }
}

/// Runs `hoofbeat trend`.
pub fn trend(args: &TrendArgs) -> ExitCode {
    let files = match expand(&args.paths, args.from_analyses) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let results: Vec<Result<SessionFeatures, String>> = files
        .par_iter()
        .map(|f| {
            if args.from_analyses {
                analysis_features(f)
            } else {
                session_features(f)
            }
        })
        .collect();
    let mut features = Vec::with_capacity(results.len());
    let mut failed = false;
    for r in results {
        match r {
            Ok(f) => features.push(f),
            Err(e) => {
                failed = true;
                eprintln!("error: {e}");
            }
        }
    }
    if failed {
        return ExitCode::FAILURE;
    }
    let doc = document(&features, args.from, args.to, args.granularity);
    if let Some(out) = &args.chart {
        let title = args.paths[0].file_name().map_or_else(
            || args.paths[0].display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        if let Err(e) = std::fs::write(out, crate::chart::trend_svg(&doc, &title)) {
            eprintln!("error: {}: {e}", out.display());
            return ExitCode::FAILURE;
        }
    }
    let mut bytes = match args.format {
        OutputFormat::Json => trend::to_json(&doc),
        OutputFormat::Table => table(&doc).into_bytes(),
    };
    bytes.push(b'\n');
    match std::io::stdout().lock().write_all(&bytes) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::FAILURE,
    }
}

/// The readable summary of a trend document.
pub fn table(d: &TrendDocument) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "== {} sessions, {} → {} ({})",
        d.sessions,
        d.first_session.as_deref().unwrap_or("-"),
        d.last_session.as_deref().unwrap_or("-"),
        d.algorithm_version
    );
    let _ = writeln!(
        s,
        "{:<9} {:>8} {:>9} {:>8} {:>6} {:>9} {:>8} {:>7}",
        "week", "sessions", "riding", "load", "jumps", "monotony", "strain", "ACWR"
    );
    for w in &d.volume.weekly {
        let wl = d.workload.weekly.iter().find(|x| x.week == w.period);
        let acwr = d
            .workload
            .daily
            .iter()
            .filter(|x| x.date >= w.start)
            .take(7)
            .filter_map(|x| x.ratio)
            .last();
        let opt = |v: Option<f64>, p: usize| v.map_or("-".to_owned(), |x| format!("{x:.p$}"));
        let _ = writeln!(
            s,
            "{:<9} {:>8} {:>8.0}m {:>8.1} {:>6} {:>9} {:>8} {:>7}",
            w.period,
            w.sessions,
            w.riding_s / 60.0,
            w.load,
            w.jumps,
            opt(wl.and_then(|x| x.monotony), 2),
            opt(wl.and_then(|x| x.strain), 0),
            opt(acwr, 2)
        );
    }
    let _ = writeln!(
        s,
        "\n{:<22} {:>9} {:>18} {:>9} {:>24}",
        "metric", "latest", "baseline", "dev", "slope/week [95% CI]"
    );
    for m in &d.quality {
        let Some(l) = &m.latest else { continue };
        let base = m.baseline.as_ref().map_or("-".to_owned(), |b| {
            format!("{:.2} ± {:.2}", b.centre, b.spread)
        });
        let slope = m.slope.as_ref().map_or("-".to_owned(), |sl| {
            format!(
                "{:+.3} [{:+.3}, {:+.3}]",
                sl.per_week, sl.ci_low, sl.ci_high
            )
        });
        let _ = writeln!(
            s,
            "{:<22} {:>9.2} {:>18} {:>9} {:>24}",
            m.metric,
            l.value,
            base,
            l.deviation.map_or("-".to_owned(), |v| format!("{v:+.1}")),
            slope
        );
    }
    let _ = writeln!(s, "\nalerts: {}", d.alerts.len());
    for a in &d.alerts {
        let _ = writeln!(
            s,
            "  [{}] {} {} since {}{}: {}",
            a.severity,
            a.status,
            a.kind,
            a.started_at,
            a.cleared_at
                .as_deref()
                .map_or(String::new(), |c| format!(", cleared {c}")),
            a.message
        );
    }
    let _ = write!(s, "exclusions: {}", d.exclusions.len());
    s
}

/// Runs `hoofbeat generate-history`: CSV sessions with `.meta.json` sidecars
/// and the plan (`horse-NN/history.truth.json`).
pub fn generate_history(
    out: &Path,
    horses: usize,
    weeks: u32,
    minutes: (f64, f64),
    seed: u64,
) -> ExitCode {
    let histories = crate::synth::history::plan(horses, weeks, minutes, seed);
    let jobs: Vec<(usize, usize)> = histories
        .iter()
        .enumerate()
        .flat_map(|(h, x)| (0..x.sessions.len()).map(move |k| (h, k)))
        .collect();
    for h in &histories {
        let dir = out.join(format!("horse-{:02}", h.horse_index + 1));
        let plan = serde_json::json!({
            "scenario": h.scenario,
            "symmetry_sd_mm": h.symmetry_sd_mm,
            "sessions": h.sessions.len(),
        });
        let r = std::fs::create_dir_all(&dir).and_then(|_| {
            std::fs::write(
                dir.join("history.truth.json"),
                serde_json::to_vec_pretty(&plan).unwrap_or_default(),
            )
        });
        if let Err(e) = r {
            eprintln!("hoofbeat: cannot write {}: {e}", dir.display());
            return ExitCode::FAILURE;
        }
    }
    let errors: Vec<String> = jobs
        .par_iter()
        .filter_map(|&(h, k)| {
            let hist = &histories[h];
            let planned = &hist.sessions[k];
            let session = hist.generate(planned);
            let dir = out.join(format!("horse-{:02}", h + 1));
            let csv = dir.join(format!("session-{:03}.csv", k + 1));
            let meta = serde_json::json!({ "started_at": trend::calendar::timestamp(planned.started_at_ms) });
            let r = std::fs::write(&csv, shared::sensor::encode_csv(&session.recording))
                .and_then(|_| std::fs::write(sidecar_path(&csv), meta.to_string()));
            r.err().map(|e| format!("{}: {e}", csv.display()))
        })
        .collect();
    for e in &errors {
        eprintln!("error: {e}");
    }
    if errors.is_empty() {
        let _ = writeln!(
            std::io::stdout().lock(),
            "{} horses, {} sessions in {}",
            histories.len(),
            jobs.len(),
            out.display()
        );
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Runs `hoofbeat evaluate-trends`.
pub fn evaluate_trends(horses: usize, weeks: u32, minutes: (f64, f64), seed: u64) -> ExitCode {
    let score = crate::eval_trend::evaluate(horses, weeks, minutes, seed);
    let text = score.to_string();
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    if score.all_pass() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
