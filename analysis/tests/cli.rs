//! The CLI's library side: file errors name the file and the line.

use analysis::cli::{analyze_file, parse_minutes};

#[test]
fn decode_errors_name_file_and_line() {
    let dir = std::env::temp_dir().join(format!("hoofbeat-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        "t,ax,ay,az,gx,gy,gz\n0,0,0,9.81,0,0,0\n0.01,0,0,9.81,0,0,oops\n",
    )
    .expect("write");
    let err = analyze_file(&bad).expect_err("bad file");
    assert!(err.contains("bad.csv") && err.contains("line 3"), "{err}");
    let good = dir.join("good.csv");
    let s = analysis::synth::generate(&analysis::synth::SynthConfig {
        seed: 3,
        minutes: 1.0,
        rate_hz: 50.0,
    });
    std::fs::write(&good, shared::sensor::encode_csv(&s.recording)).expect("write");
    let a = analyze_file(&good).expect("good file");
    assert_eq!(
        analysis::to_json(&a),
        analysis::to_json(&analysis::analyze(&s.recording).expect("valid"))
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn minutes_ranges() {
    assert_eq!(parse_minutes("20..60"), Some((20.0, 60.0)));
    assert_eq!(parse_minutes("5"), Some((5.0, 5.0)));
    assert_eq!(parse_minutes("60..20"), None);
    assert_eq!(parse_minutes("x"), None);
}
