//! Upload format tests: round trips, gzip limits, and every rejection rule
//! of the contract documented in `shared::sensor`.

use std::io::Write as _;
use std::time::Instant;

use flate2::Compression;
use flate2::write::GzEncoder;
use shared::sensor::{
    BinaryParams, DecodeError, DecodeErrorKind, Decoded, EncodeError, Format, HBS_HEADER_LEN,
    Issue, MAX_ISSUES, MAX_SAMPLES, Recording, decode, decode_file, encode_binary, encode_csv,
    encode_json, estimate_sample_rate, gunzip_limited,
};

const HEADER: &str = "t,ax,ay,az,gx,gy,gz";

/// A plausible ride-like recording: `n` samples at `rate` Hz, values with
/// many significant digits so that float formatting is really exercised.
fn synth(n: usize, rate: f64) -> Recording {
    let t: Vec<f64> = (0..n).map(|i| i as f64 / rate).collect();
    let wave = |k: f64, amp: f64, off: f64| -> Vec<f64> {
        t.iter()
            .map(|&s| off + amp * (k * s).sin() + 1e-3 * (7.3 * k * s).cos())
            .collect()
    };
    Recording {
        sample_rate_hz: estimate_sample_rate(&t).unwrap_or(rate),
        acc: [
            wave(11.0, 3.0, 0.2),
            wave(7.0, 1.5, -0.1),
            wave(13.0, 4.0, 9.81),
        ],
        gyro: [
            wave(5.0, 40.0, 0.0),
            wave(3.0, 25.0, 1.0),
            wave(2.0, 60.0, -2.0),
        ],
        t,
    }
}

fn csv(rows: &[&str]) -> Vec<u8> {
    let mut s = String::from(HEADER);
    for r in rows {
        s.push('\n');
        s.push_str(r);
    }
    s.push('\n');
    s.into_bytes()
}

/// `n` valid CSV rows at 100 Hz.
fn rows(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("{},0.1,0.2,9.8,1,2,3", i as f64 / 100.0))
        .collect()
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn err(format: Format, bytes: &[u8]) -> DecodeError {
    match decode(format, bytes) {
        Ok(d) => panic!("expected an error, decoded {} samples", d.recording.len()),
        Err(e) => e,
    }
}

fn has_issue(e: &DecodeError, line: Option<u64>, field: Option<&str>, needle: &str) -> bool {
    e.issues
        .iter()
        .any(|i| i.line == line && i.field.as_deref() == field && i.message.contains(needle))
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).expect("write to Vec");
    enc.finish().expect("finish gzip")
}

fn binary_header(rate: f32, count: u32) -> Vec<u8> {
    let mut h = Vec::with_capacity(HBS_HEADER_LEN);
    h.extend_from_slice(b"HBS1");
    h.extend_from_slice(&[1, 6, 0, 0]);
    h.extend_from_slice(&rate.to_le_bytes());
    h.extend_from_slice(&0_i64.to_le_bytes());
    h.extend_from_slice(&0.01_f32.to_le_bytes());
    h.extend_from_slice(&0.1_f32.to_le_bytes());
    h.extend_from_slice(&count.to_le_bytes());
    h.extend_from_slice(&0_u32.to_le_bytes());
    h
}

fn temp_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("hoofbeat-sensor-{}-{name}", std::process::id()))
}

// ---------------------------------------------------------------- round trips

#[test]
fn csv_round_trip_is_exact() {
    let rec = synth(1000, 100.0);
    let bytes = encode_csv(&rec);
    assert!(bytes.starts_with(b"t,ax,ay,az,gx,gy,gz\n"));
    let d = decode(Format::Csv, &bytes).expect("decode");
    assert_eq!(
        d,
        Decoded {
            recording: rec,
            started_at_unix_ms: None
        }
    );
}

#[test]
fn csv_tolerates_crlf_and_missing_final_newline() {
    let rec = synth(50, 50.0);
    let text = String::from_utf8(encode_csv(&rec)).expect("utf8");
    let crlf = text.replace('\n', "\r\n");
    assert_eq!(
        decode(Format::Csv, crlf.as_bytes())
            .expect("crlf")
            .recording,
        rec
    );
    let no_final = text.trim_end_matches('\n');
    assert_eq!(
        decode(Format::Csv, no_final.as_bytes())
            .expect("no final nl")
            .recording,
        rec
    );
}

#[test]
fn json_round_trip_is_exact() {
    let rec = synth(1000, 200.0);
    let started = Some(1_777_000_123_456);
    let d = decode(Format::Json, &encode_json(&rec, started)).expect("decode");
    assert_eq!(
        d,
        Decoded {
            recording: rec.clone(),
            started_at_unix_ms: started
        }
    );
    let d = decode(Format::Json, &encode_json(&rec, None)).expect("decode");
    assert_eq!(d.started_at_unix_ms, None);
}

#[test]
fn json_accepts_any_field_order_and_whitespace() {
    let body = br#"
      { "samples" : [
          {"gz":3,"t":0,"ax":0.1,"ay":0.2,"az":9.8,"gx":1,"gy":2},
          {"t":0.01,"ax":0.1,"ay":0.2,"az":9.8,"gx":1,"gy":2,"gz":3}
        ],
        "started_at": "2026-05-01T09:30:00+02:00" }
    "#;
    let d = decode(Format::Json, body).expect("decode");
    assert_eq!(d.recording.gyro[2], vec![3.0, 3.0]);
    assert_eq!(d.started_at_unix_ms, Some(1_777_620_600_000));
}

#[test]
fn binary_round_trip_within_quantisation() {
    let rec = synth(3600, 100.0);
    let p = BinaryParams {
        started_at_unix_ms: 1_700_000_000_000,
        ..BinaryParams::default()
    };
    let bytes = encode_binary(&rec, &p).expect("encode");
    assert_eq!(bytes.len(), HBS_HEADER_LEN + 12 * rec.len());
    let d = decode(Format::Binary, &bytes).expect("decode");
    assert_eq!(d.started_at_unix_ms, Some(p.started_at_unix_ms));
    let out = d.recording;
    assert_eq!(out.sample_rate_hz, 100.0);
    assert_eq!(
        out.t, rec.t,
        "implicit time must reproduce i / rate exactly"
    );
    let tol_acc = f64::from(p.acc_scale) / 2.0 + 1e-12;
    let tol_gyro = f64::from(p.gyro_scale) / 2.0 + 1e-12;
    for axis in 0..3 {
        for (a, b) in rec.acc[axis].iter().zip(&out.acc[axis]) {
            assert!((a - b).abs() <= tol_acc, "acc {a} vs {b}");
        }
        for (a, b) in rec.gyro[axis].iter().zip(&out.gyro[axis]) {
            assert!((a - b).abs() <= tol_gyro, "gyro {a} vs {b}");
        }
    }
    // Re-encoding decoded data is lossless: values are already on the grid.
    let again = encode_binary(&out, &p).expect("re-encode");
    assert_eq!(again, bytes);
}

#[test]
fn encode_binary_rejects_overflow_gaps_and_bad_params() {
    let mut rec = synth(100, 100.0);
    rec.acc[2][10] = 1.0e6;
    assert!(matches!(
        encode_binary(&rec, &BinaryParams::default()),
        Err(EncodeError::ValueOutOfRange {
            sample: 10,
            channel: "az",
            ..
        })
    ));
    let mut rec = synth(100, 100.0);
    rec.gyro[0][3] = f64::NAN;
    assert!(matches!(
        encode_binary(&rec, &BinaryParams::default()),
        Err(EncodeError::ValueOutOfRange {
            sample: 3,
            channel: "gx",
            ..
        })
    ));
    let mut rec = synth(100, 100.0);
    for t in &mut rec.t[50..] {
        *t += 1.0;
    }
    assert!(matches!(
        encode_binary(&rec, &BinaryParams::default()),
        Err(EncodeError::NonUniformTime { sample: 50, .. })
    ));
    let rec = synth(10, 100.0);
    let p = BinaryParams {
        acc_scale: 0.0,
        ..BinaryParams::default()
    };
    assert!(matches!(
        encode_binary(&rec, &p),
        Err(EncodeError::BadParameter {
            name: "acc_scale",
            ..
        })
    ));
    let mut short = synth(10, 100.0);
    short.gyro[1].pop();
    assert_eq!(
        encode_binary(&short, &BinaryParams::default()),
        Err(EncodeError::ColumnLengthMismatch)
    );
}

// ---------------------------------------------------------------------- gzip

#[test]
fn gzip_round_trip_for_each_format() {
    let rec = synth(500, 100.0);
    let bodies = [
        (Format::Csv, encode_csv(&rec)),
        (Format::Json, encode_json(&rec, Some(42))),
        (
            Format::Binary,
            encode_binary(&rec, &BinaryParams::default()).expect("encode"),
        ),
    ];
    for (format, body) in bodies {
        let gz = gzip(&body);
        let raw = gunzip_limited(&gz, body.len()).expect("exactly at the limit is fine");
        assert_eq!(raw, body);
        assert!(
            raw.capacity() <= body.len(),
            "capacity {} > limit",
            raw.capacity()
        );
        let too_small = gunzip_limited(&gz, body.len() - 1).expect_err("one byte over");
        assert_eq!(too_small.kind, DecodeErrorKind::TooLarge, "{format}");
        decode(format, &raw).expect("decode");
        // Forgetting Content-Encoding is reported as such.
        assert_eq!(err(format, &gz).kind, DecodeErrorKind::BadEncoding);
    }
}

#[test]
fn gunzip_handles_concatenated_members_and_rejects_garbage() {
    let mut two = gzip(b"hello ");
    two.extend_from_slice(&gzip(b"world"));
    assert_eq!(
        gunzip_limited(&two, 100).expect("two members"),
        b"hello world"
    );

    let e = gunzip_limited(b"t,ax,ay,az,gx,gy,gz\n", 100).expect_err("not gzip");
    assert_eq!(e.kind, DecodeErrorKind::BadEncoding);
    let mut corrupt = gzip(&vec![7_u8; 10_000]);
    let mid = corrupt.len() / 2;
    corrupt.truncate(mid);
    let e = gunzip_limited(&corrupt, 1 << 20).expect_err("truncated gzip");
    assert_eq!(e.kind, DecodeErrorKind::BadEncoding, "{e}");
}

#[test]
fn gzip_bomb_is_stopped_early() {
    // 1 GiB of zeros compresses to about 1 MB.
    let started = Instant::now();
    let chunk = vec![0_u8; 1 << 20];
    let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
    for _ in 0..1024 {
        enc.write_all(&chunk).expect("write");
    }
    let bomb = enc.finish().expect("finish");
    let built = started.elapsed();
    assert!(bomb.len() < 8 << 20, "bomb is {} bytes", bomb.len());

    let limit = 16 << 20;
    let started = Instant::now();
    let e = gunzip_limited(&bomb, limit).expect_err("bomb");
    let took = started.elapsed();
    assert_eq!(e.kind, DecodeErrorKind::TooLarge);
    assert!(e.to_string().contains("exceeds 16777216 bytes"), "{e}");
    eprintln!(
        "bomb: {} bytes, built in {built:?}, rejected in {took:?}",
        bomb.len()
    );
    // Only about `limit` bytes were inflated, not the whole GiB.
    assert!(took.as_secs() < 10, "took {took:?}");
}

#[test]
fn decode_file_picks_format_and_gunzips() {
    let rec = synth(300, 100.0);
    let csv_gz = temp_path("ride.csv.gz");
    std::fs::write(&csv_gz, gzip(&encode_csv(&rec))).expect("write");
    assert_eq!(
        decode_file(&csv_gz, 1 << 20).expect("csv.gz").recording,
        rec
    );

    // Gzip magic is detected even without the .gz suffix.
    let json = temp_path("ride.json");
    std::fs::write(&json, gzip(&encode_json(&rec, Some(5)))).expect("write");
    let d = decode_file(&json, 1 << 20).expect("json");
    assert_eq!((d.recording, d.started_at_unix_ms), (rec.clone(), Some(5)));

    let hbs = temp_path("ride.HBS");
    std::fs::write(
        &hbs,
        encode_binary(&rec, &BinaryParams::default()).expect("enc"),
    )
    .expect("write");
    assert_eq!(
        decode_file(&hbs, 1 << 20).expect("hbs").recording.len(),
        300
    );
    assert_eq!(
        decode_file(&hbs, 100).expect_err("limit").kind,
        DecodeErrorKind::TooLarge
    );

    let e = decode_file(&temp_path("ride.txt"), 1 << 20).expect_err("extension");
    assert!(
        has_issue(&e, None, Some("path"), "unknown extension"),
        "{e}"
    );
    let e = decode_file(&temp_path("missing.csv"), 1 << 20).expect_err("missing");
    assert!(has_issue(&e, None, Some("path"), "cannot open"), "{e}");
    for p in [csv_gz, json, hbs] {
        let _ = std::fs::remove_file(p);
    }
}

// ------------------------------------------------------------------- binary

#[test]
fn binary_truncated_and_trailing_bytes_report_offsets() {
    let rec = synth(100, 100.0);
    let bytes = encode_binary(&rec, &BinaryParams::default()).expect("encode");
    let e = err(Format::Binary, &bytes[..bytes.len() - 5]);
    assert_eq!(e.kind, DecodeErrorKind::Invalid);
    assert!(
        has_issue(&e, None, Some("payload"), "truncated at byte 1231"),
        "{e}"
    );
    assert!(
        has_issue(&e, None, Some("payload"), "frame 99 is incomplete"),
        "{e}"
    );

    let mut longer = bytes.clone();
    longer.extend_from_slice(&[0, 0, 0]);
    let e = err(Format::Binary, &longer);
    assert!(
        has_issue(
            &e,
            None,
            Some("payload"),
            "3 trailing bytes from byte offset 1236"
        ),
        "{e}"
    );

    let e = err(Format::Binary, &bytes[..20]);
    assert!(
        has_issue(&e, None, Some("header"), "truncated at byte 20"),
        "{e}"
    );
}

#[test]
fn binary_bad_checksum_magic_version() {
    let rec = synth(100, 100.0);
    let bytes = encode_binary(&rec, &BinaryParams::default()).expect("encode");
    let mut flipped = bytes.clone();
    flipped[HBS_HEADER_LEN + 7] ^= 0x40;
    let e = err(Format::Binary, &flipped);
    assert!(
        has_issue(&e, None, Some("crc32"), "checksum mismatch"),
        "{e}"
    );

    let mut magic = bytes.clone();
    magic[0] = b'X';
    let e = err(Format::Binary, &magic);
    assert_eq!(e.kind, DecodeErrorKind::BadEncoding);
    assert!(has_issue(&e, None, Some("magic"), "HBS1"), "{e}");

    let mut version = bytes.clone();
    version[4] = 2;
    let e = err(Format::Binary, &version);
    assert_eq!(e.kind, DecodeErrorKind::BadEncoding);
    assert!(
        has_issue(&e, None, Some("version"), "unsupported version 2"),
        "{e}"
    );
}

#[test]
fn binary_bad_header_fields_are_all_reported() {
    let mut h = binary_header(f32::NAN, 2);
    h[5] = 3; // channels
    h[6] = 1; // reserved
    h[20..24].copy_from_slice(&(-1.0_f32).to_le_bytes());
    h[24..28].copy_from_slice(&f32::INFINITY.to_le_bytes());
    h.extend_from_slice(&[0; 24]);
    let e = err(Format::Binary, &h);
    assert_eq!(e.kind, DecodeErrorKind::Invalid);
    for field in [
        "channels",
        "reserved",
        "sample_rate_hz",
        "acc_scale",
        "gyro_scale",
        "crc32",
    ] {
        assert!(
            e.issues.iter().any(|i| i.field.as_deref() == Some(field)),
            "{field}: {e}"
        );
    }
}

#[test]
fn binary_huge_declared_count_is_rejected_before_allocating() {
    for count in [u32::MAX, MAX_SAMPLES as u32 + 1] {
        let e = err(Format::Binary, &binary_header(100.0, count));
        assert_eq!(e.kind, DecodeErrorKind::TooLarge);
        assert!(
            has_issue(&e, None, Some("sample_count"), "exceed the limit"),
            "{e}"
        );
    }
}

#[test]
fn binary_rate_and_duration_limits() {
    for rate in [10.0_f32, 1000.0, 0.0, -5.0] {
        let mut b = binary_header(rate, 2);
        b.extend_from_slice(&[0; 24]);
        let e = err(Format::Binary, &b);
        assert!(
            e.issues
                .iter()
                .any(|i| i.field.as_deref() == Some("sample_rate_hz")),
            "{rate}: {e}"
        );
    }
    // 25 Hz for a bit more than 4 h: rejected from the header alone.
    let count = 25 * (4 * 3600 + 10);
    let e = err(Format::Binary, &binary_header(25.0, count));
    assert!(
        has_issue(&e, None, Some("sample_count"), "longer than"),
        "{e}"
    );
    let mut one = binary_header(100.0, 1);
    one.extend_from_slice(&[0; 12]);
    assert!(has_issue(
        &err(Format::Binary, &one),
        None,
        Some("sample_count"),
        "at least 2"
    ));
}

// ---------------------------------------------------------------------- CSV

#[test]
fn csv_non_finite_values_are_located() {
    let mut r = rows(12);
    r[10] = "0.1,0.1,0.2,9.8,1,2,NaN".to_owned();
    r[3] = "0.03,inf,0.2,9.8,1,2,3".to_owned();
    r[5] = "0.05,0.1,1e999,9.8,1,2,3".to_owned();
    r[7] = "0.07,0.1,0.2,abc,1,2,3".to_owned();
    let e = err(Format::Csv, &csv(&refs(&r)));
    assert_eq!(e.kind, DecodeErrorKind::Invalid);
    assert!(
        has_issue(&e, Some(12), Some("gz"), "not a finite number"),
        "{e}"
    );
    assert!(
        has_issue(&e, Some(5), Some("ax"), "not a finite number"),
        "{e}"
    );
    assert!(
        has_issue(&e, Some(7), Some("ay"), "not a finite number"),
        "{e}"
    );
    assert!(
        has_issue(&e, Some(9), Some("az"), "not a number: \"abc\""),
        "{e}"
    );
    assert!(
        e.to_string()
            .contains("line 12, column gz: not a finite number"),
        "{e}"
    );
}

/// What the CSV contract says a field means, spelled out with the standard
/// library: ASCII whitespace around it is ignored, the rest must be UTF-8
/// that `str::parse::<f64>` reads as a finite number; otherwise the issue
/// message, quoting at most 32 characters.
fn field_by_std(field: &[u8]) -> Result<f64, String> {
    let Ok(text) = std::str::from_utf8(field.trim_ascii()) else {
        return Err("not valid UTF-8".to_owned());
    };
    if text.is_empty() {
        return Err("empty value".to_owned());
    }
    let head: String = text.chars().take(32).collect();
    let quoted = if text.chars().count() > 32 {
        format!("\"{head}…\"")
    } else {
        format!("\"{head}\"")
    };
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(format!("not a finite number: {quoted}")),
        Err(_) => Err(format!("not a number: {quoted}")),
    }
}

/// Deterministic xorshift64*, so that failures are reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn digits(&mut self, max: usize) -> String {
        let n = self.below(max + 1);
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }
}

/// A few thousand field spellings: edge cases (signs, `.5`, `5.`,
/// exponents, whitespace, subnormals, the overflow boundary, halfway cases,
/// long mantissas, inf/nan spellings, garbage) and random numbers, random
/// bit patterns and their near misses. None contains `,` or `\n`.
fn field_spellings() -> Vec<Vec<u8>> {
    #[rustfmt::skip]
    let fixed: &[&str] = &[
        "0", "-0", "+0", "0.0", "-0.0", "00", "007", "1", "-1", "+1", ".5", "-.5", "+.5", "5.",
        "-5.", "+5.", "5.e3", ".5e-3", ".", "+", "-", "+-1", "--1", "++1", "", " ", "\t", "e5",
        "E5", ".e5", "1e", "1e+", "1e-", "1E5", "1e+5", "1e-5", "1e05", "1e+0", "1e-0", "1ee5",
        "1e5e5", "1e5.0", "1.2.3", "1..2", "0x10", "0b1", "1_000", "1f", "1d", "1.0f64", "1 2",
        " 1", "1 ", "  -2.5  ", "\t3\t", "\x0c4", "\r5", "5\r", "5\r\r", "\x0b6", "\u{a0}7",
        "7\u{a0}", "１", "٣", "1.5e308", "1.7976931348623157e308", "-1.7976931348623157e308",
        "1.7976931348623158e308", "1.7976931348623159e308", "1.8e308", "1e308", "1e309",
        "-1e309", "1e999", "1e99999999999999999999", "-1e99999999999999999999",
        "0e99999999999999999999", "0e-99999999999999999999", "1e-99999999999999999999",
        "2.2250738585072014e-308", "2.2250738585072011e-308", "2.2250738585072012e-308",
        "4.9406564584124654e-324", "4.9e-324", "5e-324", "3e-324", "2.5e-324",
        "2.4703282292062327e-324", "2.4703282292062328e-324", "2e-324", "1e-400", "-1e-400",
        "9007199254740992", "9007199254740993", "9007199254740994", "9007199254740995",
        "18446744073709551615", "18446744073709551616", "99999999999999999999",
        "0.1", "0.2", "0.3", "0.30000000000000004", "0.1000000000000000055511151231257827",
        "0.1000000000000000055511151231257828", "123456789012345678901234567890",
        "1.00000000000000011102230246251565404236316680908203125",
        "1.00000000000000011102230246251565404236316680908203124",
        "1.00000000000000011102230246251565404236316680908203126",
        "7.2057594037927933e16", "3.141592653589793238462643383279502884197",
        "inf", "-inf", "+inf", "INF", "Inf", "infinity", "Infinity", "-Infinity", "+infinity",
        "INFINITY", "infinit", "infinityy", "in", "i", "nan", "NaN", "NAN", "-nan", "+nan",
        "nan1", "na", "nan(1)", "snan", "abc", "x", "9.81m/s", "\u{feff}1", "é", "\u{1F40E}",
    ];
    let mut out: Vec<Vec<u8>> = fixed.iter().map(|s| s.as_bytes().to_vec()).collect();
    for bad in [&b"\xff"[..], b"1\xff", b"\xc3", b"1.\x80", b" \xfe1 "] {
        out.push(bad.to_vec());
    }
    // A long run of zeros on either side of the point, and an exponent that
    // is capped while parsing.
    let zeros = "0".repeat(800);
    out.push(format!("0.{zeros}1e810").into_bytes());
    out.push(format!("{zeros}1.5").into_bytes());
    out.push(format!("1{zeros}").into_bytes());
    out.push(format!("1{zeros}e-800").into_bytes());
    out.push(format!("0.{}1e70000", "0".repeat(70_000)).into_bytes());
    out.push(format!("1.{}1", "0".repeat(40)).into_bytes());
    out.push("9".repeat(400).into_bytes());

    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let signs = ["", "", "-", "+"];
    let spaces = ["", "", "", " ", "\t", "  ", "\r"];
    for _ in 0..2000 {
        // Built from the grammar's parts, sometimes malformed.
        let mut s = String::new();
        s.push_str(signs[rng.below(signs.len())]);
        s.push_str(&rng.digits(22));
        if rng.below(3) > 0 {
            s.push('.');
            s.push_str(&rng.digits(22));
        }
        if rng.below(3) == 0 {
            s.push(*rng.pick(&['e', 'E']));
            s.push_str(signs[rng.below(signs.len())]);
            s.push_str(&rng.digits(4));
        }
        if rng.below(8) == 0 {
            let junk = *rng.pick(&['.', 'e', '+', '-', 'x', 'i', ' ', '0']);
            let at = rng.below(s.len() + 1);
            if s.is_char_boundary(at) {
                s.insert(at, junk);
            }
        }
        out.push(format!("{}{s}{}", rng.pick(&spaces), rng.pick(&spaces)).into_bytes());
    }
    for _ in 0..1500 {
        // Any finite double, in both notations, and its digits cut short or
        // nudged by one in the last place (halfway and near-halfway cases).
        let v = f64::from_bits(rng.next());
        if !v.is_finite() {
            continue;
        }
        let plain = format!("{v}");
        let sci = format!("{v:e}");
        let long = format!("{v:.25e}");
        for s in [plain, sci, long] {
            let cut = s.len().saturating_sub(rng.below(4));
            out.push(s.as_bytes()[..cut].to_vec());
            let mut nudged = s.into_bytes();
            if let Some(d) = nudged.iter().rposition(u8::is_ascii_digit) {
                nudged[d] = if nudged[d] == b'9' {
                    b'0'
                } else {
                    nudged[d] + 1
                };
            }
            out.push(nudged);
        }
    }
    for _ in 0..1000 {
        // Sensor-like values: what real uploads are made of.
        let v = (rng.next() as f64 / u64::MAX as f64 - 0.5) * 200.0;
        out.push(format!("{v}").into_bytes());
        out.push(format!("{v:.3}").into_bytes());
        out.push(format!("{}", v as f32).into_bytes());
    }
    out
}

#[test]
fn csv_fields_parse_exactly_as_str_parse() {
    let spellings = field_spellings();
    assert!(spellings.len() > 5000, "{}", spellings.len());
    let mut accepted = 0;
    for s in &spellings {
        assert!(!s.contains(&b',') && !s.contains(&b'\n'), "{s:?}");
        // In a middle column and in the last one (where the line's CR is
        // stripped first), once on a fast-path-looking line and once after
        // a line that ends with CRLF.
        let mut body = b"t,ax,ay,az,gx,gy,gz\n0,".to_vec();
        body.extend_from_slice(s);
        body.extend_from_slice(b",0,0,0,0,");
        body.extend_from_slice(s);
        body.extend_from_slice(b"\r\n0.01,0,0,0,0,0,0\n");
        let shown = String::from_utf8_lossy(s);
        match (field_by_std(s), decode(Format::Csv, &body)) {
            (Ok(v), Ok(d)) => {
                accepted += 1;
                let r = &d.recording;
                assert_eq!(r.acc[0][0].to_bits(), v.to_bits(), "{shown:?}");
                assert_eq!(r.gyro[2][0].to_bits(), v.to_bits(), "{shown:?}");
            }
            (Err(msg), Err(e)) => {
                assert_eq!(e.kind, DecodeErrorKind::Invalid, "{shown:?}");
                assert_eq!(
                    e.issues,
                    vec![
                        Issue::at(2, Some("ax"), msg.clone()),
                        Issue::at(2, Some("gz"), msg)
                    ],
                    "{shown:?}"
                );
            }
            (want, got) => panic!("{shown:?}: expected {want:?}, got {got:?}"),
        }
    }
    // Most spellings are numbers; enough of the rest are rejected.
    assert!(accepted > spellings.len() / 2, "{accepted}");
    assert!(accepted < spellings.len() - 300, "{accepted}");
}

#[test]
fn csv_non_monotonic_time_reports_the_line() {
    let mut r = rows(20);
    r[9] = "0.075,0.1,0.2,9.8,1,2,3".to_owned(); // line 11, before line 10's 0.08
    r[15] = "0.14,0.1,0.2,9.8,1,2,3".to_owned(); // line 17, equal to line 16
    let e = err(Format::Csv, &csv(&refs(&r)));
    assert!(
        has_issue(
            &e,
            Some(11),
            Some("t"),
            "0.075 s is not after 0.08 s on line 10"
        ),
        "{e}"
    );
    assert!(
        has_issue(
            &e,
            Some(17),
            Some("t"),
            "0.14 s is not after 0.14 s on line 16"
        ),
        "{e}"
    );
    assert_eq!(e.issues.len(), 2, "{e}");
}

#[test]
fn csv_gaps_are_allowed() {
    let mut r = rows(20);
    r.push("100,0.1,0.2,9.8,1,2,3".to_owned());
    r.push("100.01,0.1,0.2,9.8,1,2,3".to_owned());
    let d = decode(Format::Csv, &csv(&refs(&r))).expect("gap is fine");
    assert!((d.recording.sample_rate_hz - 100.0).abs() < 1e-6);
    assert!((d.recording.duration_s() - 100.01).abs() < 1e-9);
}

#[test]
fn csv_header_problems() {
    let body = |header: &str| format!("{header}\n0,0,0,9.8,0,0,0\n0.01,0,0,9.8,0,0,0\n");
    let e = err(Format::Csv, body("t,ax,ay,az,gx,gy").as_bytes());
    assert!(has_issue(&e, Some(1), Some("gz"), "missing column"), "{e}");
    let e = err(Format::Csv, body("t,ax,ay,az,gx,gy,gz,temp").as_bytes());
    assert!(
        has_issue(&e, Some(1), Some("temp"), "unexpected column"),
        "{e}"
    );
    let e = err(Format::Csv, body("time,ax,ay,az,gx,gy,gz").as_bytes());
    assert!(
        has_issue(&e, Some(1), Some("time"), "unexpected column"),
        "{e}"
    );
    assert!(has_issue(&e, Some(1), Some("t"), "missing column"), "{e}");
    let e = err(Format::Csv, body("t,ay,ax,az,gx,gy,gz").as_bytes());
    assert!(has_issue(&e, Some(1), None, "order"), "{e}");
    let e = err(Format::Csv, body("t,ax,ax,az,gx,gy,gz").as_bytes());
    assert!(has_issue(&e, Some(1), Some("ax"), "duplicate"), "{e}");
    assert!(has_issue(&e, Some(1), Some("ay"), "missing"), "{e}");
    let e = err(Format::Csv, b"0,0,0,9.8,0,0,0\n0.01,0,0,9.8,0,0,0\n");
    assert_eq!(e.kind, DecodeErrorKind::Invalid);
    // Tolerated: BOM and spaces around names.
    decode(
        Format::Csv,
        body("\u{feff}t, ax, ay, az, gx, gy, gz").as_bytes(),
    )
    .expect("lenient header");
}

#[test]
fn csv_row_shape_problems() {
    let mut r = rows(10);
    r[2] = "0.02,0.1,0.2,9.8,1,2".to_owned();
    r[4] = "0.04,0.1,0.2,9.8,1,2,3,4".to_owned();
    r[6] = String::new();
    let e = err(Format::Csv, &csv(&refs(&r)));
    assert!(
        has_issue(&e, Some(4), None, "expected 7 fields, found 6"),
        "{e}"
    );
    assert!(
        has_issue(&e, Some(6), None, "expected 7 fields, found 8"),
        "{e}"
    );
    assert!(has_issue(&e, Some(8), None, "empty line"), "{e}");
}

#[test]
fn issues_are_capped() {
    let r: Vec<String> = (0..100).map(|i| format!("{i},x,0,0,0,0,0")).collect();
    let e = err(Format::Csv, &csv(&refs(&r)));
    assert_eq!(e.issues.len(), MAX_ISSUES);
}

#[test]
fn csv_sample_rate_limits() {
    let at = |rate: f64| -> Vec<u8> {
        let r: Vec<String> = (0..20)
            .map(|i| format!("{},0,0,9.8,0,0,0", i as f64 / rate))
            .collect();
        csv(&refs(&r))
    };
    for rate in [10.0, 1000.0] {
        let e = err(Format::Csv, &at(rate));
        assert!(
            has_issue(&e, None, Some("t"), "outside 25–400 Hz"),
            "{rate}: {e}"
        );
    }
    for rate in [25.0, 400.0] {
        let d = decode(Format::Csv, &at(rate)).expect("bounds are inclusive");
        assert!((d.recording.sample_rate_hz - rate).abs() < 1e-6);
    }
}

#[test]
fn csv_longer_than_four_hours() {
    let mut r = rows(10);
    r.push("14400.5,0,0,9.8,0,0,0".to_owned());
    let e = err(Format::Csv, &csv(&refs(&r)));
    assert!(has_issue(&e, None, Some("t"), "longer than"), "{e}");
}

#[test]
fn csv_too_many_rows_is_too_large() {
    let mut body = csv(&[]);
    body.extend(std::iter::repeat_n(b'\n', MAX_SAMPLES + 2));
    assert_eq!(err(Format::Csv, &body).kind, DecodeErrorKind::TooLarge);
}

#[test]
fn too_few_samples_and_empty_bodies() {
    for format in Format::ALL {
        let e = err(format, b"");
        assert_eq!(e.kind, DecodeErrorKind::Invalid, "{format}");
        assert!(e.to_string().contains("empty body"), "{e}");
    }
    let e = err(Format::Csv, format!("{HEADER}\n").as_bytes());
    assert!(has_issue(&e, None, None, "at least 2 samples"), "{e}");
    let e = err(Format::Csv, &csv(&["0,0,0,9.8,0,0,0"]));
    assert!(
        has_issue(&e, None, None, "at least 2 samples are needed, got 1"),
        "{e}"
    );
    let e = err(Format::Json, br#"{"samples":[]}"#);
    assert!(
        has_issue(&e, None, None, "at least 2 samples are needed, got 0"),
        "{e}"
    );
}

// --------------------------------------------------------------------- JSON

#[test]
fn json_nan_and_infinity_are_rejected_with_a_line() {
    let nan = b"{\"samples\":[\n{\"t\":0,\"ax\":0,\"ay\":0,\"az\":9.8,\"gx\":0,\"gy\":0,\"gz\":0},\n{\"t\":0.01,\"ax\":NaN,\"ay\":0,\"az\":9.8,\"gx\":0,\"gy\":0,\"gz\":0}]}";
    let e = err(Format::Json, nan);
    assert_eq!(e.kind, DecodeErrorKind::BadEncoding);
    assert_eq!(e.issues[0].line, Some(3), "{e}");
    let big = br#"{"samples":[{"t":0,"ax":0,"ay":0,"az":1e999,"gx":0,"gy":0,"gz":0},{"t":0.01,"ax":0,"ay":0,"az":9.8,"gx":0,"gy":0,"gz":0}]}"#;
    let e = err(Format::Json, big);
    assert!(e.to_string().contains("out of range"), "{e}");
    let e = err(
        Format::Json,
        br#"{"samples":[{"t":0,"ax":"Infinity","ay":0,"az":0,"gx":0,"gy":0,"gz":0}]}"#,
    );
    assert_eq!(e.kind, DecodeErrorKind::Invalid, "{e}");
}

#[test]
fn json_unknown_and_missing_fields() {
    let e = err(
        Format::Json,
        br#"{"samples":[{"t":0,"ax":0,"ay":0,"az":9.8,"gx":0,"gy":0,"gz":0,"temp":20}]}"#,
    );
    assert_eq!(e.kind, DecodeErrorKind::Invalid);
    assert!(e.to_string().contains("unknown field `temp`"), "{e}");
    let e = err(Format::Json, br#"{"samples":[],"device":"x"}"#);
    assert!(e.to_string().contains("unknown field `device`"), "{e}");
    let e = err(
        Format::Json,
        br#"{"samples":[{"t":0,"ax":0,"ay":0,"az":9.8,"gx":0,"gy":0}]}"#,
    );
    assert!(e.to_string().contains("missing field `gz`"), "{e}");
    let e = err(Format::Json, br#"{"started_at":null}"#);
    assert!(e.to_string().contains("missing field `samples`"), "{e}");
    let e = err(Format::Json, br#"{"samples":[],"samples":[]}"#);
    assert!(e.to_string().contains("duplicate field `samples`"), "{e}");
    let e = err(Format::Json, br#"[1,2]"#);
    assert_eq!(e.kind, DecodeErrorKind::Invalid, "{e}");
    let e = err(Format::Json, br#"{"samples":[]} trailing"#);
    assert_eq!(e.kind, DecodeErrorKind::BadEncoding, "{e}");
}

#[test]
fn json_bad_started_at_and_time_order() {
    let mut rec = synth(10, 100.0);
    rec.t.swap(4, 5);
    let text = String::from_utf8(encode_json(&rec, None)).expect("utf8");
    let text = text.replacen('{', r#"{"started_at":"yesterday","#, 1);
    let e = err(Format::Json, text.as_bytes());
    assert!(has_issue(&e, None, Some("started_at"), "RFC 3339"), "{e}");
    assert!(
        has_issue(&e, None, Some("samples[5].t"), "not after"),
        "{e}"
    );
    assert!(
        e.to_string()
            .contains("samples[5].t: time 0.04 s is not after 0.05 s"),
        "{e}"
    );
}

#[test]
fn json_sample_rate_and_duration_limits() {
    let rec = synth(10, 1000.0);
    let e = err(Format::Json, &encode_json(&rec, None));
    assert!(has_issue(&e, None, Some("samples.t"), "outside"), "{e}");
    let mut rec = synth(10, 100.0);
    rec.t[9] = 5.0 * 3600.0;
    let e = err(Format::Json, &encode_json(&rec, None));
    assert!(has_issue(&e, None, Some("samples.t"), "longer than"), "{e}");
}

// ------------------------------------------------------------ error shapes

#[test]
fn issue_display_and_serialisation() {
    let e = DecodeError {
        kind: DecodeErrorKind::Invalid,
        issues: vec![
            Issue::at(12, Some("gz"), "not a finite number"),
            Issue::field("crc32", "checksum mismatch"),
            Issue::new("empty body"),
        ],
    };
    assert_eq!(
        e.to_string(),
        "line 12, column gz: not a finite number; crc32: checksum mismatch; empty body"
    );
    let json = serde_json::to_value(&e.issues).expect("serialize");
    assert_eq!(
        json,
        serde_json::json!([
            {"line": 12, "field": "gz", "message": "not a finite number"},
            {"field": "crc32", "message": "checksum mismatch"},
            {"message": "empty body"}
        ])
    );
    assert_eq!(DecodeErrorKind::TooLarge.as_str(), "too_large");
}

#[test]
fn validate_agrees_with_decode_on_binary() {
    use shared::sensor::{BinaryParams, Format, Recording, decode, encode_binary, validate};
    let n = 500;
    let t: Vec<f64> = (0..n).map(|i| f64::from(i) / 50.0).collect();
    let wave: Vec<f64> = t.iter().map(|s| (s * 3.0).sin()).collect();
    let rec = Recording {
        sample_rate_hz: 50.0,
        acc: [
            wave.clone(),
            wave.clone(),
            wave.iter().map(|w| 9.81 + w).collect(),
        ],
        gyro: [wave.clone(), wave.clone(), wave.clone()],
        t,
    };
    let good = encode_binary(&rec, &BinaryParams::default()).unwrap();
    let s = validate(Format::Binary, &good).unwrap();
    let d = decode(Format::Binary, &good).unwrap();
    assert_eq!(s.sample_count, d.recording.len());
    assert_eq!(s.sample_rate_hz, d.recording.sample_rate_hz);
    assert!((s.duration_s - d.recording.duration_s()).abs() < 1e-9);
    assert_eq!(s.started_at_unix_ms, d.started_at_unix_ms);

    let mut bad_crc = good.clone();
    let last = bad_crc.len() - 1;
    bad_crc[last] ^= 1;
    let mut huge = good.clone();
    huge[28..32].copy_from_slice(&u32::MAX.to_le_bytes());
    for bad in [
        bad_crc,
        huge,
        good[..good.len() - 3].to_vec(),
        good[..10].to_vec(),
        Vec::new(),
    ] {
        let (v, d) = (
            validate(Format::Binary, &bad).unwrap_err(),
            decode(Format::Binary, &bad).unwrap_err(),
        );
        assert_eq!(v, d, "validate and decode must refuse alike");
    }
}
