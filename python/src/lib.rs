//! `hoofbeat._native`: the Rust half of the `hoofbeat` Python package.
//!
//! Thin by design: every figure comes from the `analysis`, `trend` and
//! `shared::sensor` crates the worker and the `hoofbeat` CLI run. Results
//! cross to Python as the canonical JSON documents (`analysis::to_json`,
//! `trend::to_json`), so a dict built from them equals the CLI's
//! `--format json` output. The Python half (`hoofbeat/__init__.py`) picks the
//! columns out of arrays and DataFrames, builds dicts and DataFrames, and
//! defines the exception classes raised here.
//!
//! The GIL is released (`Python::detach`) around decoding and analysis, so
//! other Python threads run meanwhile.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use analysis::cli::MAX_FILE_BYTES;
use analysis::{AnalysisError, Samples, SessionAnalysis};
use chrono::NaiveDate;
use numpy::ndarray::{Array2, ShapeBuilder};
use numpy::{IntoPyArray, PyArray2, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use rayon::prelude::*;
use shared::sensor::{DecodeError, Decoded, Format, Issue};

/// A failure on its way to Python: the class (defined in
/// `hoofbeat/_errors.py`) and its attributes.
#[derive(Debug, Clone)]
struct Failure {
    class: &'static str,
    code: String,
    message: String,
    path: Option<String>,
    line: Option<u64>,
    column: Option<String>,
    index: Option<usize>,
    issues: Vec<Issue>,
}

impl Failure {
    fn decode(e: DecodeError, path: Option<&Path>) -> Self {
        // The first located issue gives line and column (CSV: line and column
        // name; JSON: parser line or path such as `samples[12].t`; binary:
        // header field).
        let located = e
            .issues
            .iter()
            .find(|i| i.line.is_some())
            .or_else(|| e.issues.iter().find(|i| i.field.is_some()));
        Failure {
            class: "DecodeError",
            code: e.kind.as_str().to_owned(),
            message: e.to_string(),
            path: path.map(|p| p.display().to_string()),
            line: located.and_then(|i| i.line),
            column: located.and_then(|i| i.field.clone()),
            index: None,
            issues: e.issues,
        }
    }

    fn analysis(e: AnalysisError, path: Option<&Path>) -> Self {
        let (code, index) = match &e {
            AnalysisError::LengthMismatch => ("length_mismatch", None),
            AnalysisError::NonIncreasingTime { index } => ("non_increasing_time", Some(*index)),
            AnalysisError::NonFinite { index } => ("non_finite", Some(*index)),
            AnalysisError::TooLong { .. } => ("too_long", None),
        };
        Failure {
            class: "AnalysisError",
            code: code.to_owned(),
            message: e.to_string(),
            path: path.map(|p| p.display().to_string()),
            line: None,
            column: None,
            index,
            issues: Vec::new(),
        }
    }

    /// A problem with a trend input (sidecar, stored analysis, start time);
    /// `message` is the CLI's, which already names the file.
    fn trend_input(message: String, path: Option<&Path>) -> Self {
        let path_text = path.map(|p| p.display().to_string());
        // The CLI's messages start with "PATH: " or "PATH:LINE:COLUMN: ".
        let message = match &path_text {
            Some(p) => message
                .strip_prefix(p.as_str())
                .and_then(|m| m.strip_prefix(": "))
                .map(str::to_owned)
                .unwrap_or(message),
            None => message,
        };
        Failure {
            class: "TrendInputError",
            code: "trend_input".to_owned(),
            message,
            path: path_text,
            line: None,
            column: None,
            index: None,
            issues: Vec::new(),
        }
    }

    fn cancelled(path: &Path) -> Self {
        Failure {
            class: "HoofbeatError",
            code: "cancelled".to_owned(),
            message: "not analysed: the run was interrupted".to_owned(),
            path: Some(path.display().to_string()),
            line: None,
            column: None,
            index: None,
            issues: Vec::new(),
        }
    }

    /// The Python exception instance (not raised).
    fn to_object<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let class = py.import("hoofbeat._errors")?.getattr(self.class)?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("code", &self.code)?;
        kwargs.set_item("path", &self.path)?;
        kwargs.set_item("line", self.line)?;
        kwargs.set_item("column", &self.column)?;
        kwargs.set_item("index", self.index)?;
        let issues = self
            .issues
            .iter()
            .map(|i| {
                let d = PyDict::new(py);
                d.set_item("line", i.line)?;
                d.set_item("field", &i.field)?;
                d.set_item("message", &i.message)?;
                Ok(d)
            })
            .collect::<PyResult<Vec<_>>>()?;
        kwargs.set_item("issues", issues)?;
        class.call((&self.message,), Some(&kwargs))
    }

    fn into_pyerr(self, py: Python<'_>) -> PyErr {
        match self.to_object(py) {
            Ok(obj) => PyErr::from_value(obj),
            Err(e) => e,
        }
    }
}

fn decode_path(path: &Path) -> Result<Decoded, Failure> {
    shared::sensor::decode_file(path, MAX_FILE_BYTES).map_err(|e| Failure::decode(e, Some(path)))
}

fn analyse_decoded(d: &Decoded, path: &Path) -> Result<SessionAnalysis, Failure> {
    analysis::analyze(&d.recording).map_err(|e| Failure::analysis(e, Some(path)))
}

fn json_string(bytes: Vec<u8>) -> PyResult<String> {
    String::from_utf8(bytes).map_err(|e| PyRuntimeError::new_err(e.to_string()))
}

/// Reads a session file (`.csv`, `.json`, `.hbs`, optionally `.gz`) with the
/// decoder the API uses. Returns `(array, meta)`: an n × 7 float64 array in
/// Fortran order (columns t, ax, ay, az, gx, gy, gz, each contiguous) and a
/// dict with `format`, `sample_rate_hz`, `samples`, `duration_s` and
/// `started_at_unix_ms` (None when the file carries no start time).
#[pyfunction]
fn read<'py>(
    py: Python<'py>,
    path: PathBuf,
) -> PyResult<(Bound<'py, PyArray2<f64>>, Bound<'py, PyDict>)> {
    let decoded = py
        .detach(|| decode_path(&path))
        .map_err(|f| f.into_pyerr(py))?;
    let format = Format::from_path(&path).map(Format::as_str);
    let Decoded {
        recording: rec,
        started_at_unix_ms,
    } = decoded;
    let n = rec.len();
    let meta = PyDict::new(py);
    meta.set_item("format", format)?;
    meta.set_item("sample_rate_hz", rec.sample_rate_hz)?;
    meta.set_item("samples", n)?;
    meta.set_item("duration_s", rec.duration_s())?;
    meta.set_item("started_at_unix_ms", started_at_unix_ms)?;
    // Column-major: the seven columns one after the other, moved into numpy
    // without a copy.
    let mut data = Vec::with_capacity(7 * n);
    data.extend_from_slice(&rec.t);
    for c in rec.acc.iter().chain(rec.gyro.iter()) {
        data.extend_from_slice(c);
    }
    drop(rec);
    let array = Array2::from_shape_vec((n, 7).f(), data)
        .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    Ok((array.into_pyarray(py), meta))
}

/// Analyses seven contiguous float64 columns (no copy) with the GIL
/// released; returns the canonical JSON document.
#[pyfunction]
#[pyo3(signature = (t, ax, ay, az, gx, gy, gz, sample_rate_hz=None))]
fn analyze_columns(
    py: Python<'_>,
    t: PyReadonlyArray1<'_, f64>,
    ax: PyReadonlyArray1<'_, f64>,
    ay: PyReadonlyArray1<'_, f64>,
    az: PyReadonlyArray1<'_, f64>,
    gx: PyReadonlyArray1<'_, f64>,
    gy: PyReadonlyArray1<'_, f64>,
    gz: PyReadonlyArray1<'_, f64>,
    sample_rate_hz: Option<f64>,
) -> PyResult<String> {
    fn slice<'a>(a: &'a PyReadonlyArray1<'_, f64>, name: &str) -> PyResult<&'a [f64]> {
        a.as_slice()
            .map_err(|e| PyValueError::new_err(format!("column {name}: {e}")))
    }
    let t = slice(&t, "t")?;
    let acc = [slice(&ax, "ax")?, slice(&ay, "ay")?, slice(&az, "az")?];
    let gyro = [slice(&gx, "gx")?, slice(&gy, "gy")?, slice(&gz, "gz")?];
    let samples = Samples {
        sample_rate_hz: sample_rate_hz.unwrap_or(f64::NAN),
        t,
        acc,
        gyro,
    };
    let doc = py
        .detach(|| analysis::analyze_samples(samples).map(|a| analysis::to_json(&a)))
        .map_err(|e| Failure::analysis(e, None).into_pyerr(py))?;
    json_string(doc)
}

thread_local! {
    /// Columns of the last C-order array analysed on this thread.
    static SCRATCH: std::cell::RefCell<Vec<f64>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Largest scratch buffer kept between calls (values): 1 h at 200 Hz.
const SCRATCH_KEEP: usize = 7 * 200 * 3600;

/// Analyses an n × 7 float64 array (columns t, ax, ay, az, gx, gy, gz)
/// that is contiguous in either order, with the GIL released. Fortran order
/// is read in place (each column is a contiguous run); C order (rows) is
/// split into seven columns in one sequential pass first. Returns the
/// canonical JSON document.
#[pyfunction]
#[pyo3(signature = (samples, sample_rate_hz=None))]
fn analyze_array(
    py: Python<'_>,
    samples: PyReadonlyArray2<'_, f64>,
    sample_rate_hz: Option<f64>,
) -> PyResult<String> {
    let [n, width] = [samples.shape()[0], samples.shape()[1]];
    if width != 7 {
        return Err(PyValueError::new_err(format!(
            "expected an n x 7 array, got n x {width}"
        )));
    }
    let fortran = samples.is_fortran_contiguous();
    let data = samples
        .as_slice()
        .map_err(|e| PyValueError::new_err(format!("samples: {e}")))?;
    let doc = py.detach(|| {
        let analyse = |t: &[f64], acc: [&[f64]; 3], gyro: [&[f64]; 3]| {
            let samples = Samples {
                // Metadata only (the analysis works from `t`): not
                // estimated when not given, which would cost a pass and a
                // median over all time steps.
                sample_rate_hz: sample_rate_hz.unwrap_or(f64::NAN),
                t,
                acc,
                gyro,
            };
            analysis::analyze_samples(samples).map(|a| analysis::to_json(&a))
        };
        if fortran || n <= 1 {
            let col = |j: usize| &data[j * n..(j + 1) * n];
            analyse(col(0), [col(1), col(2), col(3)], [col(4), col(5), col(6)])
        } else {
            // Rows to columns in one sequential pass, into this thread's
            // scratch buffer: fresh 20-MB allocations cost more in page
            // faults than the copy itself (seen 10–80 ms on a VM).
            SCRATCH.with_borrow_mut(|buf| {
                if buf.len() < 7 * n {
                    buf.resize(7 * n, 0.0);
                }
                let (t, rest) = buf[..7 * n].split_at_mut(n);
                let (ax, rest) = rest.split_at_mut(n);
                let (ay, rest) = rest.split_at_mut(n);
                let (az, rest) = rest.split_at_mut(n);
                let (gx, rest) = rest.split_at_mut(n);
                let (gy, gz) = rest.split_at_mut(n);
                for (i, row) in data.chunks_exact(7).enumerate() {
                    t[i] = row[0];
                    ax[i] = row[1];
                    ay[i] = row[2];
                    az[i] = row[3];
                    gx[i] = row[4];
                    gy[i] = row[5];
                    gz[i] = row[6];
                }
                let r = analyse(t, [ax, ay, az], [gx, gy, gz]);
                if buf.len() > SCRATCH_KEEP {
                    *buf = Vec::new();
                }
                r
            })
        }
    });
    json_string(doc.map_err(|e| Failure::analysis(e, None).into_pyerr(py))?)
}

/// One file of `analyze_files`: its document and start time (the sidecar's
/// when there is one, as `hoofbeat trend` takes it, else the file's own).
fn analyse_path(path: &Path) -> Result<(Vec<u8>, Option<i64>), Failure> {
    let sidecar = analysis::cli_trend::sidecar_time(path)
        .map_err(|m| Failure::trend_input(m, Some(&analysis::cli_trend::sidecar_path(path))))?;
    let d = decode_path(path)?;
    let a = analyse_decoded(&d, path)?;
    Ok((analysis::to_json(&a), sidecar.or(d.started_at_unix_ms)))
}

/// Runs `work` on every path on a rayon pool (`threads`, or rayon's global
/// pool) with the GIL released. The calling thread waits for completions and
/// takes the GIL for each one only to call `progress(done, total)` and to
/// check for signals (Ctrl-C); an exception there stops the run (files not
/// yet started are skipped) and is raised once the running ones finish.
fn run_parallel<T: Send>(
    py: Python<'_>,
    paths: &[PathBuf],
    threads: Option<usize>,
    progress: Option<Py<PyAny>>,
    work: impl Fn(&Path) -> Result<T, Failure> + Sync,
) -> PyResult<Vec<Result<T, Failure>>> {
    let pool = match threads {
        Some(0) => return Err(PyValueError::new_err("threads must be at least 1")),
        Some(n) => Some(
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map_err(|e| PyRuntimeError::new_err(e.to_string()))?,
        ),
        None => None,
    };
    let total = paths.len();
    let stop = AtomicBool::new(false);
    let (results, interrupted) = py.detach(|| {
        let (tx, rx) = mpsc::channel::<()>();
        std::thread::scope(|s| {
            let stop = &stop;
            let work = &work;
            let handle = s.spawn(move || {
                let run = || {
                    paths
                        .par_iter()
                        .map_with(tx, |tx, p| {
                            let r = if stop.load(Ordering::Relaxed) {
                                Err(Failure::cancelled(p))
                            } else {
                                work(p)
                            };
                            let _ = tx.send(());
                            r
                        })
                        .collect::<Vec<_>>()
                };
                match &pool {
                    Some(pool) => pool.install(run),
                    None => run(),
                }
            });
            let mut interrupted: Option<PyErr> = None;
            let mut done = 0usize;
            while rx.recv().is_ok() {
                done += 1;
                if interrupted.is_some() {
                    continue;
                }
                let r = Python::attach(|py| {
                    py.check_signals()?;
                    if let Some(cb) = &progress {
                        cb.call1(py, (done, total))?;
                    }
                    Ok::<(), PyErr>(())
                });
                if let Err(e) = r {
                    stop.store(true, Ordering::Relaxed);
                    interrupted = Some(e);
                }
            }
            let results = handle.join();
            (results, interrupted)
        })
    });
    if let Some(e) = interrupted {
        return Err(e);
    }
    results.map_err(|_| PyRuntimeError::new_err("hoofbeat: a worker thread panicked"))
}

/// Analyses files in parallel. Returns one item per path, in order: a tuple
/// `(json, started_at_unix_ms)`, or the exception instance for a file that
/// failed.
#[pyfunction]
#[pyo3(signature = (paths, threads=None, progress=None))]
fn analyze_files(
    py: Python<'_>,
    paths: Vec<PathBuf>,
    threads: Option<usize>,
    progress: Option<Py<PyAny>>,
) -> PyResult<Vec<Bound<'_, PyAny>>> {
    let results = run_parallel(py, &paths, threads, progress, analyse_path)?;
    results
        .into_iter()
        .map(|r| match r {
            Ok((doc, started)) => {
                let doc = json_string(doc)?;
                Ok(PyTuple::new(
                    py,
                    [
                        doc.into_pyobject(py)?.into_any(),
                        started.into_pyobject(py)?,
                    ],
                )?
                .into_any())
            }
            Err(f) => f.to_object(py),
        })
        .collect()
}

/// Trend features of one session file, as `hoofbeat trend` derives them.
fn file_features(path: &Path) -> Result<trend::SessionFeatures, Failure> {
    let sidecar_path = analysis::cli_trend::sidecar_path(path);
    let sidecar = analysis::cli_trend::sidecar_time(path)
        .map_err(|m| Failure::trend_input(m, Some(&sidecar_path)))?;
    let d = decode_path(path)?;
    let a = analyse_decoded(&d, path)?;
    let started = sidecar.or(d.started_at_unix_ms).ok_or_else(|| {
        Failure::trend_input(
            format!(
                "no start time: CSV files carry none; write {} with {{\"started_at\": \"2026-11-26T09:00:00Z\"}}",
                sidecar_path.display()
            ),
            Some(path),
        )
    })?;
    Ok(analysis::features::from_analysis(&a, started))
}

/// The trend document (canonical JSON) of session files (or stored analysis
/// files with `from_analyses`) and in-memory analyses `(json, started_at_ms)`.
#[pyfunction]
#[pyo3(signature = (paths, analyses, from_analyses=false, from_date=None, to_date=None, granularity=None, threads=None))]
fn trend_document(
    py: Python<'_>,
    paths: Vec<PathBuf>,
    analyses: Vec<(String, i64)>,
    from_analyses: bool,
    from_date: Option<String>,
    to_date: Option<String>,
    granularity: Option<String>,
    threads: Option<usize>,
) -> PyResult<String> {
    let date = |s: Option<String>, what: &str| -> PyResult<Option<NaiveDate>> {
        s.map(|s| {
            NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                .map_err(|e| PyValueError::new_err(format!("{what}: {s:?} is not YYYY-MM-DD: {e}")))
        })
        .transpose()
    };
    let (from, to) = (date(from_date, "from_date")?, date(to_date, "to_date")?);
    let granularity = match granularity.as_deref() {
        None => None,
        Some("day") => Some(trend::Granularity::Day),
        Some("week") => Some(trend::Granularity::Week),
        Some(other) => {
            return Err(PyValueError::new_err(format!(
                "granularity must be 'day' or 'week', not {other:?}"
            )));
        }
    };
    let mut features = Vec::new();
    for (i, (text, started)) in analyses.iter().enumerate() {
        let a: SessionAnalysis = serde_json::from_str(text).map_err(|e| {
            Failure::trend_input(format!("analysis {i}: not an analysis document: {e}"), None)
                .into_pyerr(py)
        })?;
        features.push(analysis::features::from_analysis(&a, *started));
    }
    if !paths.is_empty() {
        let files = analysis::cli_trend::expand(&paths, from_analyses)
            .map_err(|m| Failure::trend_input(m, None).into_pyerr(py))?;
        let results = run_parallel(py, &files, threads, None, |p| {
            if from_analyses {
                analysis::cli_trend::analysis_features(p)
                    .map_err(|m| Failure::trend_input(m, Some(p)))
            } else {
                file_features(p)
            }
        })?;
        for r in results {
            features.push(r.map_err(|f| f.into_pyerr(py))?);
        }
    }
    let doc = py.detach(|| {
        trend::to_json(&analysis::cli_trend::document(
            &features,
            from,
            to,
            granularity,
        ))
    });
    json_string(doc)
}

/// An RFC 3339 time as Unix milliseconds, parsed as `hoofbeat trend` parses
/// `started_at`.
#[pyfunction]
fn parse_time(s: &str) -> PyResult<i64> {
    analysis::cli_trend::parse_time(s, Path::new("started_at")).map_err(PyValueError::new_err)
}

/// Unix milliseconds as the RFC 3339 text the trend documents use.
#[pyfunction]
fn format_time(ms: i64) -> String {
    trend::calendar::timestamp(ms)
}

/// For `bench.py`: decodes `path` once, then times `analysis::analyze` on
/// the decoded `Recording` `repeats` times in Rust (the library with no
/// Python in between); seconds per run (wall clock, GIL released).
#[pyfunction]
fn bench_rust_analyze(py: Python<'_>, path: PathBuf, repeats: usize) -> PyResult<Vec<f64>> {
    let d = py
        .detach(|| decode_path(&path))
        .map_err(|f| f.into_pyerr(py))?;
    py.detach(|| {
        (0..repeats)
            .map(|_| {
                let t0 = std::time::Instant::now();
                let a = analysis::analyze(std::hint::black_box(&d.recording));
                let dt = t0.elapsed().as_secs_f64();
                a.map(|a| {
                    std::hint::black_box(a);
                    dt
                })
            })
            .collect::<Result<Vec<f64>, AnalysisError>>()
    })
    .map_err(|e| Failure::analysis(e, Some(&path)).into_pyerr(py))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("ALGORITHM_VERSION", analysis::ALGORITHM_VERSION)?;
    m.add("MAX_FILE_BYTES", MAX_FILE_BYTES)?;
    m.add_function(wrap_pyfunction!(read, m)?)?;
    m.add_function(wrap_pyfunction!(analyze_columns, m)?)?;
    m.add_function(wrap_pyfunction!(analyze_array, m)?)?;
    m.add_function(wrap_pyfunction!(analyze_files, m)?)?;
    m.add_function(wrap_pyfunction!(trend_document, m)?)?;
    m.add_function(wrap_pyfunction!(parse_time, m)?)?;
    m.add_function(wrap_pyfunction!(format_time, m)?)?;
    m.add_function(wrap_pyfunction!(bench_rust_analyze, m)?)?;
    Ok(())
}
