//! `hoofbeat analyze DIR --format parquet --out DIR2` through the real
//! binary: every table read back with the parquet crate's Arrow reader and
//! checked row by row against the `--format json` documents (and the trend
//! table against `hoofbeat trend --format json`); a bad file is reported
//! and left out with exit code 1; no temporary file is left behind; the
//! README's schema section is the one the code builds.
#![cfg(feature = "parquet")]

mod export_support;
#[path = "../../trend/tests/common/mod.rs"]
mod trend_common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use export_support::expected::{DAY_MS, T0_MS, session_cell};
use export_support::rows::{cell, check_rows, field, read};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_hoofbeat");

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("run hoofbeat")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hoofbeat-export-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Four generated sessions, one per reading path: CSV with a sidecar,
/// gzipped CSV with a sidecar, binary (start in the header), JSON with
/// `started_at`, on four different days.
fn sessions_dir(name: &str) -> PathBuf {
    let dir = scratch(name);
    for (k, seed) in [11u64, 12, 13, 14].into_iter().enumerate() {
        let s = analysis::synth::generate(&analysis::synth::SynthConfig {
            seed,
            minutes: 7.0,
            rate_hz: [50.0, 100.0, 60.0, 100.0][k],
        });
        let started = T0_MS + k as i64 * DAY_MS;
        let stamp = trend::calendar::timestamp(started);
        let sidecar = |p: &Path| {
            let mut m = p.as_os_str().to_owned();
            m.push(".meta.json");
            std::fs::write(PathBuf::from(m), json!({ "started_at": stamp }).to_string())
                .expect("sidecar");
        };
        match k {
            0 => {
                let p = dir.join(format!("s{k}.csv"));
                std::fs::write(&p, shared::sensor::encode_csv(&s.recording)).expect("csv");
                sidecar(&p);
            }
            1 => {
                let p = dir.join(format!("s{k}.csv.gz"));
                let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                std::io::Write::write_all(&mut gz, &shared::sensor::encode_csv(&s.recording))
                    .expect("gzip");
                std::fs::write(&p, gz.finish().expect("gzip")).expect("csv.gz");
                sidecar(&p);
            }
            2 => {
                let params = shared::sensor::BinaryParams {
                    started_at_unix_ms: started,
                    ..Default::default()
                };
                // The binary format's time is implicit (t = i / rate): the
                // generator's clock jitter is dropped.
                let mut rec = s.recording.clone();
                let rate = rec.sample_rate_hz;
                rec.t = (0..rec.len()).map(|i| i as f64 / rate).collect();
                let bytes = shared::sensor::encode_binary(&rec, &params).expect("hbs");
                std::fs::write(dir.join(format!("s{k}.hbs")), bytes).expect("hbs");
            }
            _ => {
                let bytes = shared::sensor::encode_json(&s.recording, Some(started));
                std::fs::write(dir.join(format!("s{k}.json")), bytes).expect("json");
            }
        }
        // Ground truth beside the sessions, as `hoofbeat generate` leaves it:
        // skipped when the directory is expanded.
        std::fs::write(dir.join(format!("s{k}.truth.json")), "{}").expect("truth");
    }
    dir
}

/// The `--format json` documents of the directory, by file, in the order
/// the CLI analyses them.
fn json_docs(dir: &Path) -> Vec<(String, Value)> {
    let files = analysis::cli_trend::expand(&[dir.to_path_buf()], false).expect("files");
    let out = run(&["analyze", "--format", "json", dir.to_str().expect("utf-8")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let docs: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(docs.len(), files.len());
    files
        .iter()
        .map(|f| f.display().to_string())
        .zip(docs)
        .collect()
}

fn items(docs: &[(String, Value)], list: &str) -> Vec<(String, usize, Value)> {
    docs.iter()
        .flat_map(|(f, d)| {
            d[list]
                .as_array()
                .expect("list")
                .iter()
                .enumerate()
                .map(|(i, v)| (f.clone(), i, v.clone()))
        })
        .collect()
}

#[test]
fn tables_equal_the_json_documents() {
    let dir = sessions_dir("ok");
    let out = dir.join("tables");
    let r = run(&[
        "analyze",
        dir.to_str().expect("utf-8"),
        "--format",
        "parquet",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(r.status.success(), "{stderr}");
    // Not a terminal: no progress bar.
    assert!(!stderr.contains('['), "{stderr}");
    let docs = json_docs(&dir);
    assert_eq!(docs.len(), 4);

    let sessions = read(&out.join("sessions.parquet"));
    let rows: Vec<(String, usize, Value)> = docs
        .iter()
        .enumerate()
        .map(|(k, (f, d))| (f.clone(), k, d.clone()))
        .collect();
    // Rows in file order: s0.csv, s1.csv.gz, s2.hbs, s3.json.
    check_rows("sessions", &sessions, &rows, &|n, f, k, d| {
        session_cell(n, f, k, d)
    });
    let gaits = read(&out.join("gaits.parquet"));
    check_rows("gaits", &gaits, &items(&docs, "gaits"), &|n, f, _, it| {
        if n == "file" {
            json!(f)
        } else {
            field(it, n, &[])
        }
    });
    let bouts = read(&out.join("bouts.parquet"));
    let bout_items = items(&docs, "bouts");
    assert!(bout_items.len() > 20, "{} bouts", bout_items.len());
    check_rows("bouts", &bouts, &bout_items, &|n, f, i, it| match n {
        "file" => json!(f),
        "index" => json!(i),
        "symmetry_index"
        | "symmetry_score"
        | "symmetry_strides"
        | "symmetry_min_diff_mm"
        | "symmetry_max_diff_mm" => {
            let key = match n {
                "symmetry_index" => "symmetry_index",
                "symmetry_score" => "score",
                other => other.trim_start_matches("symmetry_"),
            };
            match &it["symmetry"] {
                Value::Null => Value::Null,
                s => s[key].clone(),
            }
        }
        _ => field(it, n, &[("rein_", "rein")]),
    });
    let jumps = read(&out.join("jumps.parquet"));
    let jump_items = items(&docs, "jumps");
    assert!(!jump_items.is_empty(), "the sessions have jumps");
    check_rows("jumps", &jumps, &jump_items, &|n, f, i, it| match n {
        "file" => json!(f),
        "index" => json!(i),
        _ => field(it, n, &[]),
    });
    for (table, list) in [
        ("rein", "rein_timeline"),
        ("symmetry", "symmetry_stretches"),
    ] {
        let batch = read(&out.join(format!("{table}.parquet")));
        check_rows(table, &batch, &items(&docs, list), &|n, f, i, it| match n {
            "file" => json!(f),
            "index" => json!(i),
            _ => field(it, n, &[]),
        });
    }

    // trends.parquet and the trend_* files: `hoofbeat trend DIR`'s lists.
    let t = run(&["trend", dir.to_str().expect("utf-8"), "--format", "json"]);
    assert!(t.status.success(), "{}", String::from_utf8_lossy(&t.stderr));
    let doc: Value = serde_json::from_slice(&t.stdout).expect("trend json");
    let counts = export_support::trend::check(&|name| read(&out.join(name)), &doc);
    for table in [
        "trends.parquet",
        "trend_metrics.parquet",
        "trend_workload.parquet",
        "trend_volume.parquet",
        "trend_volume_gaits.parquet",
    ] {
        let rows = counts.iter().find(|(n, _)| *n == table).map_or(0, |c| c.1);
        assert!(rows > 0, "{table} has rows from these sessions");
    }

    // Units and meanings travel as field metadata.
    let schema = sessions.schema();
    let f = schema.field_with_name("duration_s").expect("field");
    assert_eq!(f.metadata().get("unit").map(String::as_str), Some("s"));
    assert!(f.metadata().contains_key("description"));
    // Nothing but the tables in the output directory.
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .expect("out")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, {
        let mut all: Vec<&str> = analysis::export::schema::tables()
            .iter()
            .map(|t| t.file)
            .collect();
        all.sort_unstable();
        all
    });
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_file_is_reported_and_left_out() {
    let dir = sessions_dir("bad");
    let out = dir.join("tables");
    let arg = |p: &Path| p.to_str().expect("utf-8").to_owned();
    // A first, complete export (with trends) into the same directory.
    let first = run(&[
        "analyze",
        &arg(&dir),
        "--format",
        "parquet",
        "--out",
        &arg(&out),
    ]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    for name in analysis::export::trend_tables::file_names() {
        assert!(out.join(name).exists(), "{name} written");
    }

    std::fs::write(
        dir.join("bad.csv"),
        "t,ax,ay,az,gx,gy,gz\n0,0,0,9.81,0,0,0\n0.01,0,0,9.81,0,0,oops\n",
    )
    .expect("bad");
    let r = run(&[
        "analyze",
        &arg(&dir),
        "--format",
        "parquet",
        "--out",
        &arg(&out),
    ]);
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error: ") && stderr.contains("bad.csv") && stderr.contains("line 3"),
        "{stderr}"
    );
    assert!(
        stderr.contains("trends.parquet and the trend_* files not written"),
        "{stderr}"
    );
    // The good sessions are exported; the stale trend of the first run is gone.
    let sessions = read(&out.join("sessions.parquet"));
    assert_eq!(sessions.num_rows(), 4);
    let files: Vec<Value> = (0..4).map(|r| cell(&sessions, "file", r)).collect();
    assert!(
        files
            .iter()
            .all(|f| !f.as_str().unwrap_or("").ends_with("bad.csv"))
    );
    for name in analysis::export::trend_tables::file_names() {
        assert!(!out.join(name).exists(), "stale {name} removed");
    }
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .expect("out")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Nothing analysable: nothing written, exit 1.
    let only_bad = scratch("only-bad");
    std::fs::copy(dir.join("bad.csv"), only_bad.join("bad.csv")).expect("copy");
    let empty_out = only_bad.join("tables");
    let r = run(&[
        "analyze",
        &arg(&only_bad),
        "--format",
        "parquet",
        "--out",
        &arg(&empty_out),
    ]);
    assert_eq!(r.status.code(), Some(1));
    assert!(!empty_out.exists());
    // Usage errors: exit 2.
    assert_eq!(
        run(&["analyze", &arg(&dir), "--format", "parquet"])
            .status
            .code(),
        Some(2)
    );
    let r = run(&[
        "analyze",
        &arg(&dir),
        "--format",
        "json",
        "--out",
        &arg(&out),
    ]);
    assert_eq!(r.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&only_bad);
}

/// Every trend table against the trend document, on a history that has
/// what four short sessions lack: baselines, slopes, open and cleared
/// alerts with their evidence, exclusions, jumps and several weeks.
#[test]
fn trend_tables_equal_a_trend_document_with_alerts() {
    use trend_common::{session, with_min_diff, wobble};
    let mut sessions: Vec<trend::SessionFeatures> = (0..6i64)
        .flat_map(|w| [0, 1, 3, 5].map(|d| w * 7 + d))
        .enumerate()
        .map(|(i, day)| with_min_diff(session(day), 0.5 + wobble(i as i64, 1.0)))
        .collect();
    // An asymmetry episode that clears, one that stays open, a short
    // session (excluded) and jumps.
    sessions.push(with_min_diff(session(43), 8.0));
    sessions.push(with_min_diff(session(44), 8.5));
    sessions.push(with_min_diff(session(45), 0.4));
    sessions.push(with_min_diff(session(47), 9.0));
    sessions.push(with_min_diff(session(48), 9.5));
    let mut short = session(46);
    short.duration_s = 60.0;
    short.analysed_s = 60.0;
    sessions.push(short);
    for s in sessions.iter_mut().step_by(5) {
        s.jumps = 12;
    }
    let doc = trend::compute(&sessions, &trend::TrendConfig::default());
    assert!(
        doc.alerts.iter().any(|a| a.status == "cleared"),
        "{:#?}",
        doc.alerts
    );
    assert!(
        doc.alerts.iter().any(|a| a.status == "open"),
        "{:#?}",
        doc.alerts
    );
    assert!(!doc.exclusions.is_empty(), "the short session is excluded");
    let tables = analysis::export::trend_tables::tables(&doc).expect("tables");
    let names: Vec<&str> = tables.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, analysis::export::trend_tables::file_names());
    let json: Value = serde_json::from_slice(&trend::to_json(&doc)).expect("json");
    let counts = export_support::trend::check(
        &|name| {
            tables
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, b)| b.clone())
                .unwrap_or_else(|| panic!("no {name}"))
        },
        &json,
    );
    for (table, rows) in counts {
        assert!(rows > 0, "{table}: no rows to check");
    }
}

/// The README's schema section is the one `schema::markdown` renders
/// (`HOOFBEAT_BLESS=1` rewrites it).
#[test]
fn readme_schema_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let text = std::fs::read_to_string(&path).expect("README");
    let (begin, end) = (
        "<!-- export-schema:begin -->\n",
        "<!-- export-schema:end -->",
    );
    let a = text.find(begin).expect("begin marker") + begin.len();
    let b = text.find(end).expect("end marker");
    let want = analysis::export::schema::markdown();
    if std::env::var_os("HOOFBEAT_BLESS").is_some() {
        std::fs::write(&path, format!("{}{want}{}", &text[..a], &text[b..])).expect("write");
        return;
    }
    assert_eq!(
        &text[a..b],
        want,
        "run with HOOFBEAT_BLESS=1 to update README.md"
    );
    // And `--help` lists every column of every table.
    let help = String::from_utf8(run(&["analyze", "--help"]).stdout).expect("utf-8");
    let mut columns = 0;
    for t in analysis::export::schema::tables() {
        assert!(help.contains(t.file), "{}", t.file);
        for c in &t.columns {
            columns += 1;
            assert!(
                help.contains(&format!("  {:<26} {}", c.name, c.type_name)),
                "{}",
                c.name
            );
        }
    }
    assert!(columns > 90, "{columns} columns");
}
