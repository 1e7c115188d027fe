//! The single-pass decoder against the line-by-line decoder it replaced
//! (kept here verbatim as the reference): same values bit for bit, same
//! issues, on arbitrary line soups.

use proptest::prelude::*;

use super::*;

/// The chunked count is the plain count, across chunk edges and for
/// runs of newlines longer than a chunk.
#[test]
fn newlines_are_counted_exactly() {
    let mut data = Vec::new();
    for i in 0..3000usize {
        data.push(if i % 7 == 0 || (600..1000).contains(&i) {
            b'\n'
        } else {
            b'1'
        });
        let want = data.iter().filter(|&&b| b == b'\n').count();
        assert_eq!(count_newlines(&data), want, "{} bytes", data.len());
    }
    assert_eq!(count_newlines(b""), 0);
}

/// The previous `decode_csv`: split into lines, count commas, split
/// fields, `str::parse` every field.
fn reference(bytes: &[u8]) -> Result<Recording, DecodeError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let (header, data) = match bytes.iter().position(|&b| b == b'\n') {
        Some(pos) => (&bytes[..pos], &bytes[pos + 1..]),
        None => (bytes, &[][..]),
    };
    check_header(strip_cr(header))?;
    let data = data.strip_suffix(b"\n").unwrap_or(data);
    let rows_upper = if data.is_empty() {
        0
    } else {
        data.iter().filter(|&&b| b == b'\n').count() + 1
    };
    if rows_upper > MAX_SAMPLES {
        return Err(too_many_samples(Some(rows_upper as u64), None));
    }
    let mut rec = Recording::default();
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

/// Every column as bit patterns, so that -0.0 and 0.0 differ.
fn bits(rec: &Recording) -> Vec<Vec<u64>> {
    std::iter::once(&rec.t)
        .chain(&rec.acc)
        .chain(&rec.gyro)
        .map(|c| c.iter().map(|v| v.to_bits()).collect())
        .collect()
}

fn assert_same(body: &[u8]) {
    let (new, old) = (decode_csv(body), reference(body));
    match (&new, &old) {
        (Ok(a), Ok(b)) => {
            assert_eq!(bits(a), bits(b), "{:?}", String::from_utf8_lossy(body));
            assert_eq!(
                a.sample_rate_hz.to_bits(),
                b.sample_rate_hz.to_bits(),
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
        _ => assert_eq!(new, old, "{:?}", String::from_utf8_lossy(body)),
    }
}

/// A field: mostly numbers, sometimes something the fast path declines.
fn field() -> impl Strategy<Value = Vec<u8>> {
    #[rustfmt::skip]
    let odd = prop::sample::select(vec![
        "", " ", "1 ", " 1", "\t-2.5", "1\r", ".", "+", "-", "e5", "1e", "1e+", "5.", ".5",
        "+.5", "-0", "1E-3", "nan", "NaN", "-inf", "infinity", "1e999", "-1e400", "1e-400",
        "0x1", "1_0", "1.2.3", "１", "\u{a0}1", "abc", "4.9e-324", "1.7976931348623159e308",
        "123456789012345678901234567890",
    ])
    .prop_map(|s| s.as_bytes().to_vec());
    prop_oneof![
        4 => any::<f64>().prop_map(|v| v.to_string().into_bytes()),
        4 => (-1000.0..1000.0_f64).prop_map(|v| format!("{v}").into_bytes()),
        2 => (-1000.0..1000.0_f64).prop_map(|v| format!("{v:e}").into_bytes()),
        3 => odd,
        1 => proptest::collection::vec(
            prop::sample::select(b"0123456789.eE+-, \t\r\xffin".to_vec()),
            0..12,
        ),
    ]
}

/// A line: usually seven fields (increasing time in the first column
/// when `t` is given), sometimes another count, or empty.
fn line() -> impl Strategy<Value = Vec<u8>> {
    let join = |fields: Vec<Vec<u8>>| fields.join(&b","[..]);
    prop_oneof![
        8 => proptest::collection::vec(field(), 7).prop_map(join),
        1 => proptest::collection::vec(field(), 0..10).prop_map(join),
        1 => Just(Vec::new()),
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::collection::vec((line(), any::<bool>(), 0_u8..4), 0..40),
        prop::sample::select(vec!["\n", "\r\n", "", "\n\n", "\r"]),
        any::<bool>(),
    )
        .prop_map(|(lines, end, bom)| {
            let mut body = Vec::new();
            if bom {
                body.extend_from_slice(b"\xEF\xBB\xBF");
            }
            body.extend_from_slice(CSV_HEADER.as_bytes());
            for (i, (mut line, keep_t, eol)) in lines.into_iter().enumerate() {
                if keep_t {
                    // A plausible time, so that clean rows are accepted.
                    let t = format!("{}", i as f64 / 100.0).into_bytes();
                    match line.iter().position(|&b| b == b',') {
                        Some(p) => drop(line.splice(..p, t)),
                        None => line = t,
                    }
                }
                body.extend_from_slice(if eol == 0 { b"\r\n" } else { b"\n" });
                body.extend_from_slice(&line);
            }
            body.extend_from_slice(end.as_bytes());
            body
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn single_pass_matches_the_line_by_line_decoder(body in body()) {
        assert_same(&body);
    }

    #[test]
    fn clean_rows_decode_the_same(
        vals in proptest::collection::vec(any::<f64>().prop_filter("finite", |v| v.is_finite()), 6 * 5),
        crlf in any::<bool>(),
        final_newline in any::<bool>(),
    ) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut body = String::from(CSV_HEADER);
        for (i, row) in vals.chunks(6).enumerate() {
            body.push_str(eol);
            body.push_str(&format!("{}", i as f64 / 50.0));
            for v in row {
                body.push_str(&format!(",{v}"));
            }
        }
        if final_newline {
            body.push_str(eol);
        }
        let rec = decode_csv(body.as_bytes()).expect("clean rows");
        prop_assert_eq!(rec.len(), 5);
        assert_same(body.as_bytes());
    }
}

#[test]
fn line_ends_and_empty_lines() {
    let row = "0,1,2,3,4,5,6";
    let row2 = "0.01,1,2,3,4,5,6";
    for body in [
        format!("{CSV_HEADER}\n{row}\n{row2}\n"),
        format!("{CSV_HEADER}\n{row}\n{row2}"),
        format!("{CSV_HEADER}\n{row}\n{row2}\r"),
        format!("{CSV_HEADER}\n{row}\n{row2}\r\n"),
        format!("{CSV_HEADER}\n{row}\n{row2}\n\n"),
        format!("{CSV_HEADER}\n{row}\n{row2}\r\r\n"),
        format!("{CSV_HEADER}\n{row}\n\n{row2}\n"),
        format!("{CSV_HEADER}\n{row}\r\n\r\n{row2}\n"),
        format!("{CSV_HEADER}\n{row}\r{row2}\n"),
        format!("{CSV_HEADER}\r\n{row}\n{row2},\n"),
        format!("{CSV_HEADER}\n"),
        format!("{CSV_HEADER}\n\n"),
        format!("{CSV_HEADER}\n\n\n"),
        CSV_HEADER.to_owned(),
    ] {
        assert_same(body.as_bytes());
    }
}
