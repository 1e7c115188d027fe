//! CSV codec: header `t,ax,ay,az,gx,gy,gz`, one sample per line.
//!
//! The parser works on bytes: it splits lines and fields without allocating
//! and parses each field with `str::parse::<f64>` (correctly rounded, so the
//! shortest-representation output of [`encode_csv`] round-trips exactly).

use std::fmt::Write as _;

use super::error::{DecodeError, Issue, Issues};
use super::validate::{finish_text, too_many_samples};
use super::{MAX_SAMPLES, Recording};

/// Column names in their required order.
pub const CSV_COLUMNS: [&str; 7] = ["t", "ax", "ay", "az", "gx", "gy", "gz"];
/// The exact header line.
pub const CSV_HEADER: &str = "t,ax,ay,az,gx,gy,gz";

/// Longest excerpt of a bad value quoted back in an issue.
const MAX_QUOTE: usize = 32;

pub(crate) fn decode_csv(bytes: &[u8]) -> Result<Recording, DecodeError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let (header, data) = match bytes.iter().position(|&b| b == b'\n') {
        Some(pos) => (&bytes[..pos], &bytes[pos + 1..]),
        None => (bytes, &[][..]),
    };
    check_header(strip_cr(header))?;

    // A trailing newline is tolerated; after removing it every segment is a
    // data line, so an empty segment is a real empty line.
    let data = data.strip_suffix(b"\n").unwrap_or(data);
    let rows_upper = if data.is_empty() {
        0
    } else {
        data.iter().filter(|&&b| b == b'\n').count() + 1
    };
    if rows_upper > MAX_SAMPLES {
        return Err(too_many_samples(Some(rows_upper as u64), None));
    }

    let mut rec = Recording {
        t: Vec::with_capacity(rows_upper),
        acc: std::array::from_fn(|_| Vec::with_capacity(rows_upper)),
        gyro: std::array::from_fn(|_| Vec::with_capacity(rows_upper)),
        ..Recording::default()
    };
    let mut issues = Issues::default();
    let mut prev_t: Option<(f64, u64)> = None;
    let lines = if data.is_empty() {
        None
    } else {
        Some(data.split(|&b| b == b'\n'))
    };

    for (idx, line) in lines.into_iter().flatten().enumerate() {
        let line_no = idx as u64 + 2;
        let line = strip_cr(line);
        if line.is_empty() {
            if issues.push(Issue::at(line_no, None, "empty line")) {
                break;
            }
            continue;
        }
        let n_fields = line.iter().filter(|&&b| b == b',').count() + 1;
        if n_fields != CSV_COLUMNS.len() {
            let msg = format!("expected {} fields, found {n_fields}", CSV_COLUMNS.len());
            if issues.push(Issue::at(line_no, None, msg)) {
                break;
            }
            continue;
        }
        let mut vals = [0.0_f64; 7];
        let mut row_ok = true;
        for ((slot, field), name) in vals
            .iter_mut()
            .zip(line.split(|&b| b == b','))
            .zip(CSV_COLUMNS)
        {
            match parse_field(field) {
                Ok(v) => *slot = v,
                Err(msg) => {
                    row_ok = false;
                    if issues.push(Issue::at(line_no, Some(name), msg)) {
                        break;
                    }
                }
            }
        }
        if issues.full() {
            break;
        }
        if !row_ok {
            continue;
        }
        let [t, ax, ay, az, gx, gy, gz] = vals;
        if let Some((prev, prev_line)) = prev_t
            && t <= prev
        {
            let msg = format!("time {t} s is not after {prev} s on line {prev_line}");
            if issues.push(Issue::at(line_no, Some("t"), msg)) {
                break;
            }
        }
        prev_t = Some((t, line_no));
        if issues.is_empty() {
            rec.t.push(t);
            rec.acc[0].push(ax);
            rec.acc[1].push(ay);
            rec.acc[2].push(az);
            rec.gyro[0].push(gx);
            rec.gyro[1].push(gy);
            rec.gyro[2].push(gz);
        }
    }
    finish_text(rec, issues, "t")
}

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Parses one field; the error is the issue message.
fn parse_field(field: &[u8]) -> Result<f64, String> {
    let field = field.trim_ascii();
    let Ok(text) = std::str::from_utf8(field) else {
        return Err("not valid UTF-8".to_owned());
    };
    if text.is_empty() {
        return Err("empty value".to_owned());
    }
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(format!("not a finite number: {}", quote(text))),
        Err(_) => Err(format!("not a number: {}", quote(text))),
    }
}

/// Quotes at most [`MAX_QUOTE`] characters of a value.
fn quote(text: &str) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(MAX_QUOTE).collect();
    if chars.next().is_some() {
        format!("\"{head}…\"")
    } else {
        format!("\"{head}\"")
    }
}

fn check_header(header: &[u8]) -> Result<(), DecodeError> {
    if header == CSV_HEADER.as_bytes() {
        return Ok(());
    }
    let Ok(text) = std::str::from_utf8(header) else {
        return Err(DecodeError::bad_encoding(Issue::at(
            1,
            None,
            "header is not UTF-8 text",
        )));
    };
    if text.trim().is_empty() {
        return Err(DecodeError::invalid(vec![Issue::at(
            1,
            None,
            format!("missing header: the first line must be {CSV_HEADER}"),
        )]));
    }
    let names: Vec<&str> = text.split(',').map(str::trim).collect();
    if names == CSV_COLUMNS {
        // Only whitespace around names differed: harmless.
        return Ok(());
    }
    let mut issues = Issues::default();
    for (i, name) in names.iter().enumerate() {
        if !CSV_COLUMNS.contains(name) {
            issues.push(Issue::at(
                1,
                Some(name),
                format!("unexpected column (expected {CSV_HEADER})"),
            ));
        } else if names[..i].contains(name) {
            issues.push(Issue::at(1, Some(name), "duplicate column"));
        }
    }
    for expected in CSV_COLUMNS {
        if !names.contains(&expected) {
            issues.push(Issue::at(1, Some(expected), "missing column"));
        }
    }
    if issues.is_empty() {
        issues.push(Issue::at(
            1,
            None,
            format!("columns must be in the order {CSV_HEADER}"),
        ));
    }
    Err(DecodeError::invalid(issues.0))
}

/// Encodes a recording as CSV with the shortest float representation that
/// parses back to the same `f64`, so `decode(encode_csv(r)) == r` for any
/// valid recording. Columns are assumed to have equal length (as decoders
/// produce); extra values in a longer column are not written.
pub fn encode_csv(rec: &Recording) -> Vec<u8> {
    let mut out = String::with_capacity(CSV_HEADER.len() + 1 + rec.len() * 64);
    out.push_str(CSV_HEADER);
    out.push('\n');
    let [ax, ay, az] = &rec.acc;
    let [gx, gy, gz] = &rec.gyro;
    let rows = rec.t.iter().zip(ax).zip(ay).zip(az).zip(gx).zip(gy).zip(gz);
    for ((((((t, ax), ay), az), gx), gy), gz) in rows {
        // Writing into a String cannot fail.
        let _ = writeln!(out, "{t},{ax},{ay},{az},{gx},{gy},{gz}");
    }
    out.into_bytes()
}
