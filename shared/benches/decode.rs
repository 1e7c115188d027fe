//! Decoding throughput on a realistic upload (1 h at 100 Hz = 360,000
//! frames), per format. Run with `cargo bench -p shared --bench decode`.
//!
//! The values have full double precision (17 significant digits in the
//! CSV and JSON text); `csv-3dp` is the same recording rounded to three
//! decimals, as phone apps usually export it.

use std::time::Instant;

use shared::sensor::{
    BinaryParams, Format, Recording, decode, encode_binary, encode_csv, encode_json,
    estimate_sample_rate,
};

fn hour_at_100hz() -> Recording {
    let n = 360_000;
    let t: Vec<f64> = (0..n).map(|i| f64::from(i) / 100.0).collect();
    let wave = |k: f64, amp: f64| -> Vec<f64> { t.iter().map(|&s| amp * (k * s).sin()).collect() };
    Recording {
        sample_rate_hz: estimate_sample_rate(&t).unwrap_or(100.0),
        acc: [wave(11.0, 3.0), wave(7.0, 1.5), wave(13.0, 9.0)],
        gyro: [wave(5.0, 40.0), wave(3.0, 25.0), wave(2.0, 60.0)],
        t,
    }
}

/// The recording with every value rounded to three decimals.
fn rounded(rec: &Recording) -> Recording {
    let round = |c: &Vec<f64>| c.iter().map(|v| (v * 1000.0).round() / 1000.0).collect();
    Recording {
        sample_rate_hz: rec.sample_rate_hz,
        t: rec.t.clone(),
        acc: rec.acc.each_ref().map(round),
        gyro: rec.gyro.each_ref().map(round),
    }
}

fn main() {
    let rec = hour_at_100hz();
    let bodies = [
        ("csv", Format::Csv, encode_csv(&rec)),
        ("json", Format::Json, encode_json(&rec, None)),
        (
            "binary",
            Format::Binary,
            encode_binary(&rec, &BinaryParams::default()).unwrap_or_default(),
        ),
        ("csv-3dp", Format::Csv, encode_csv(&rounded(&rec))),
    ];
    for (name, format, body) in bodies {
        // Best of five, to keep other load on the machine out of the figure.
        let mut took = std::time::Duration::MAX;
        for _ in 0..5 {
            let started = Instant::now();
            let d = decode(format, &body);
            took = took.min(started.elapsed());
            assert_eq!(
                d.map(|d| d.recording.len()).ok(),
                Some(rec.len()),
                "{format}"
            );
        }
        println!(
            "{name}: {:.1} MB decoded in {took:?} ({:.0} MB/s)",
            body.len() as f64 / 1e6,
            body.len() as f64 / 1e6 / took.as_secs_f64()
        );
    }
}
