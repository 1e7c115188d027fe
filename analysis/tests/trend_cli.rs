//! `hoofbeat generate-history`, `hoofbeat trend` and `evaluate-trends`
//! through the real binary: the document is the same from session files and
//! from stored analyses, in any file order; CSV without a start time is an
//! error naming the file; windows work.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_hoofbeat");

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("run hoofbeat")
}

fn ok(args: &[&str]) -> Vec<u8> {
    let out = run(args);
    assert!(
        out.status.success(),
        "hoofbeat {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hoofbeat-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn csv_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    v.sort();
    v
}

#[test]
fn trend_from_files_and_from_analyses_is_the_same_document() {
    let dir = scratch("trend-cli");
    let d = dir.to_str().unwrap();
    ok(&[
        "generate-history",
        "--out",
        d,
        "--horses",
        "1",
        "--weeks",
        "3",
        "--minutes",
        "6..7",
        "--seed",
        "11",
    ]);
    let horse = dir.join("horse-01");
    let files = csv_files(&horse);
    assert!(files.len() >= 9, "{} sessions", files.len());

    let json = ok(&["trend", "--format", "json", horse.to_str().unwrap()]);
    let doc: trend::TrendDocument = serde_json::from_slice(&json).expect("trend JSON");
    assert_eq!(doc.sessions as usize, files.len());
    assert_eq!(doc.algorithm_version, trend::TREND_VERSION);
    assert_eq!(doc.volume.weekly.len(), 3);
    assert_eq!(
        doc.volume.daily.iter().map(|v| v.sessions).sum::<u32>() as usize,
        files.len()
    );

    // Files named in another order: the same bytes.
    let mut reversed: Vec<&str> = files.iter().map(|p| p.to_str().unwrap()).collect();
    reversed.reverse();
    let mut args = vec!["trend", "--format", "json"];
    args.extend(&reversed);
    assert_eq!(ok(&args), json);

    // From stored analyses: envelopes {"started_at", "result"} and a bare
    // document with a sidecar.
    let stored = dir.join("analyses");
    std::fs::create_dir_all(&stored).unwrap();
    for (i, f) in files.iter().enumerate() {
        let analysis = ok(&["analyze", "--format", "json", f.to_str().unwrap()]);
        let meta = std::fs::read_to_string(analysis::cli_trend::sidecar_path(f)).unwrap();
        let name = stored.join(format!("a{i:03}.json"));
        if i % 2 == 0 {
            let started: serde_json::Value = serde_json::from_str(&meta).unwrap();
            let env = format!(
                "{{\"started_at\":{},\"result\":{}}}",
                started["started_at"],
                String::from_utf8(analysis).unwrap().trim()
            );
            std::fs::write(&name, env).unwrap();
        } else {
            std::fs::write(&name, analysis).unwrap();
            std::fs::write(analysis::cli_trend::sidecar_path(&name), meta).unwrap();
        }
    }
    let from_analyses = ok(&[
        "trend",
        "--from-analyses",
        "--format",
        "json",
        stored.to_str().unwrap(),
    ]);
    assert_eq!(from_analyses, json);

    // A window at week granularity.
    let week = ok(&[
        "trend",
        "--format",
        "json",
        "--granularity",
        "week",
        "--from",
        "2026-09-14",
        "--to",
        "2026-09-20",
        horse.to_str().unwrap(),
    ]);
    let w: trend::TrendDocument = serde_json::from_slice(&week).unwrap();
    assert!(w.volume.daily.is_empty());
    assert_eq!(w.volume.weekly.len(), 1);
    assert_eq!(w.volume.weekly[0].period, "2026-W38");

    // The table names the weeks.
    let table = String::from_utf8(ok(&["trend", horse.to_str().unwrap()])).unwrap();
    assert!(
        table.contains("2026-W37") && table.contains("alerts:"),
        "{table}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn csv_without_a_start_time_names_the_file() {
    let dir = scratch("trend-nostart");
    let s = analysis::synth::generate(&analysis::synth::SynthConfig {
        seed: 5,
        minutes: 1.0,
        rate_hz: 50.0,
    });
    let f = dir.join("ride.csv");
    std::fs::write(&f, shared::sensor::encode_csv(&s.recording)).unwrap();
    let out = run(&["trend", f.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("ride.csv") && err.contains("ride.csv.meta.json"),
        "{err}"
    );

    std::fs::write(
        analysis::cli_trend::sidecar_path(&f),
        "{\"started_at\": \"yesterday\"}",
    )
    .unwrap();
    let err = String::from_utf8_lossy(&run(&["trend", f.to_str().unwrap()]).stderr).into_owned();
    assert!(
        err.contains("ride.csv.meta.json") && err.contains("RFC 3339"),
        "{err}"
    );

    std::fs::write(analysis::cli_trend::sidecar_path(&f), "{\"started\": 1}").unwrap();
    let err = String::from_utf8_lossy(&run(&["trend", f.to_str().unwrap()]).stderr).into_owned();
    assert!(err.contains("ride.csv.meta.json:1:"), "{err}");

    std::fs::write(
        analysis::cli_trend::sidecar_path(&f),
        "{\"started_at\": \"2026-11-26T09:00:00Z\"}",
    )
    .unwrap();
    let json = ok(&["trend", "--format", "json", f.to_str().unwrap()]);
    let doc: trend::TrendDocument = serde_json::from_slice(&json).unwrap();
    assert_eq!(
        doc.first_session.as_deref(),
        Some("2026-11-26T09:00:00.000Z")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A small evaluation (4 horses, 8 weeks, short sessions): the issue's
/// targets hold end to end, with the real analysis of every session.
#[test]
fn evaluate_trends_meets_the_targets_on_a_small_set() {
    let score = analysis::eval_trend::evaluate(4, 8, (8.0, 12.0), 7);
    assert_eq!(score.horses.len(), 4);
    assert!(score.horses.iter().any(|h| h.must_alert));
    assert!(score.all_pass(), "\n{score}");
}
