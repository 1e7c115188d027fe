//! CSV codec: header `t,ax,ay,az,gx,gy,gz`, one sample per line.
//!
//! The parser works on bytes and makes one pass over the data lines. Each
//! line first goes through a fast path ([`fast_row`]): seven numbers read
//! with `fast_float2::parse_partial`, separated by exactly one comma and
//! ended by the line end. Anything else (whitespace, an empty field, a
//! non-number, NaN/inf/overflow, a wrong field count) sends the line to the
//! general path ([`slow_row`]), which trims, checks UTF-8 and parses each
//! field with `str::parse::<f64>` and produces the located issues. Both
//! parsers are correctly rounded and the fast path only accepts fields
//! written in the grammar `str::parse` accepts, so the values are
//! bit-identical either way, and the shortest-representation output of
//! [`encode_csv`] round-trips exactly.

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
        count_newlines(data) + 1
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
    // Start of the current line in `data`; `None` once the last line (the
    // one not ended by a newline) has been read.
    let mut next_line = (!data.is_empty()).then_some(0_usize);
    let mut line_no = 1_u64;

    while let Some(start) = next_line {
        line_no += 1;
        let rest = &data[start..];
        let vals = match fast_row(rest) {
            Some((vals, next)) => {
                next_line = next.map(|next| start + next);
                vals
            }
            None => {
                let (line, used) = match rest.iter().position(|&b| b == b'\n') {
                    Some(end) => (&rest[..end], Some(end + 1)),
                    None => (rest, None),
                };
                next_line = used.map(|used| start + used);
                match slow_row(strip_cr(line), line_no, &mut issues) {
                    Row::Values(vals) => vals,
                    Row::Skip => continue,
                    Row::Stop => break,
                }
            }
        };
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

/// Number of `\n` bytes. Counted in chunks of 255 bytes into a `u8`
/// (which cannot overflow there): that loop vectorises to byte compares
/// and subtractions, sixteen bytes at a time, where a `filter().count()`
/// over the bytes ran about a sixth of the whole decode.
fn count_newlines(data: &[u8]) -> usize {
    data.chunks(255)
        .map(|c| c.iter().fold(0u8, |n, &b| n + u8::from(b == b'\n')) as usize)
        .sum()
}

/// The common line: seven finite numbers, each exactly as `str::parse`
/// would read it (no whitespace), separated by single commas and ended by
/// `\n`, `\r\n`, a final `\r` or the end of the data. `rest` is the data
/// from the start of the line on. Returns the values and where the next line
/// starts in `rest` (`None` when this line is the last one, not ended by a
/// newline); `None` sends the line to [`slow_row`].
///
/// `fast_float2::parse_partial` consumes the longest prefix matching
/// `[+-]? digits? ('.' digits?)? ([eE] [+-]? digits)?` with at least one
/// digit (or `inf`/`infinity`/`nan`, which are not finite and so leave the
/// fast path): every field accepted here is a whole field that `str::parse`
/// accepts too, and both round correctly, so the value is the same.
#[inline]
fn fast_row(rest: &[u8]) -> Option<([f64; 7], Option<usize>)> {
    let mut vals = [0.0_f64; 7];
    let mut pos = 0;
    for (i, slot) in vals.iter_mut().enumerate() {
        let (v, n) = fast_float2::parse_partial::<f64, _>(rest.get(pos..)?).ok()?;
        if !v.is_finite() {
            return None;
        }
        *slot = v;
        pos += n;
        if i < 6 {
            if rest.get(pos) != Some(&b',') {
                return None;
            }
            pos += 1;
        }
    }
    match rest.get(pos..)? {
        [] | [b'\r'] => Some((vals, None)),
        [b'\n', ..] => Some((vals, Some(pos + 1))),
        [b'\r', b'\n', ..] => Some((vals, Some(pos + 2))),
        _ => None,
    }
}

/// What [`slow_row`] made of a line.
enum Row {
    /// Seven finite values.
    Values([f64; 7]),
    /// The line had issues (recorded); go on with the next one.
    Skip,
    /// The issue list is full: stop reading.
    Stop,
}

/// The general line parser (CR already stripped), recording every problem
/// with its line and column.
#[cold]
fn slow_row(line: &[u8], line_no: u64, issues: &mut Issues) -> Row {
    if line.is_empty() {
        return if issues.push(Issue::at(line_no, None, "empty line")) {
            Row::Stop
        } else {
            Row::Skip
        };
    }
    let n_fields = line.iter().filter(|&&b| b == b',').count() + 1;
    if n_fields != CSV_COLUMNS.len() {
        let msg = format!("expected {} fields, found {n_fields}", CSV_COLUMNS.len());
        return if issues.push(Issue::at(line_no, None, msg)) {
            Row::Stop
        } else {
            Row::Skip
        };
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
        Row::Stop
    } else if row_ok {
        Row::Values(vals)
    } else {
        Row::Skip
    }
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

#[cfg(test)]
mod tests;
