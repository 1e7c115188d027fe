//! Decoding throughput on a realistic upload (1 h at 100 Hz = 360,000
//! frames), per format. Run with `cargo bench -p shared --bench decode`.
//!
//! The values have full double precision (17 significant digits in the
//! CSV and JSON text); `csv-3dp` is the same recording rounded to three
//! decimals, as phone apps usually export it.
//!
//! Then gzip as the API stores text uploads (level 1) and as the worker
//! reads them back ([`gunzip_limited`]): the hour of `csv-3dp`, and one
//! second of it (100 rows, a short session's whole body) timed per call.

use std::time::Instant;

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use shared::sensor::{
    BinaryParams, Format, Recording, decode, encode_binary, encode_csv, encode_json,
    estimate_sample_rate, gunzip_limited,
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
    gzip_round_trip(&encode_csv(&rounded(&rec)));
}

/// Best time of `runs` calls of `f`.
fn best(runs: usize, mut f: impl FnMut()) -> std::time::Duration {
    (0..runs)
        .map(|_| {
            let started = Instant::now();
            f();
            started.elapsed()
        })
        .min()
        .unwrap_or_default()
}

/// Level-1 gzip (the API's, for text uploads sent uncompressed) and the
/// worker's gunzip, on the whole body and on its first 100 rows.
fn gzip_round_trip(csv: &[u8]) {
    let gzip = |body: &[u8]| {
        let mut e = GzEncoder::new(Vec::new(), Compression::fast());
        e.write_all(body)
            .and_then(|()| e.finish())
            .unwrap_or_default()
    };
    let rows_end = |rows: usize| {
        csv.iter()
            .enumerate()
            .filter(|&(_, b)| *b == b'\n')
            .nth(rows)
            .map_or(csv.len(), |(i, _)| i + 1)
    };
    for (name, body, runs) in [("1 h", csv, 5), ("1 s", &csv[..rows_end(100)], 2000)] {
        let packed = gzip(body);
        let zip = best(runs, || {
            std::hint::black_box(gzip(std::hint::black_box(body)));
        });
        let unzip = best(runs, || {
            let out = gunzip_limited(std::hint::black_box(&packed), usize::MAX);
            assert_eq!(out.map(|o| o.len()).ok(), Some(body.len()));
        });
        let mb = body.len() as f64 / 1e6;
        println!(
            "gzip {name} of csv-3dp ({:.3} MB → {:.3} MB): level 1 in {zip:?} ({:.0} MB/s), \
             gunzip in {unzip:?} ({:.0} MB/s)",
            mb,
            packed.len() as f64 / 1e6,
            mb / zip.as_secs_f64(),
            mb / unzip.as_secs_f64(),
        );
    }
}
