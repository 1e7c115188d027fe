//! JSON codec: `{"samples":[{"t":..,"ax":..,...}], "started_at": RFC3339?}`.
//!
//! Decoding streams the samples straight into the recording's columns
//! through serde visitors (no `serde_json::Value` tree, no intermediate
//! `Vec<Sample>`), and stops as soon as the sample limit is passed.

use std::fmt::{self, Write as _};

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::error::{DecodeError, DecodeErrorKind, Issue, Issues};
use super::validate::{finish_text, too_many_samples};
use super::{MAX_SAMPLES, Recording};

/// Smallest possible encoded sample (`{"t":0,"ax":0,...,"gz":0},`): bounds
/// the preallocation by the body size.
const MIN_SAMPLE_BYTES: usize = 48;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SampleIn {
    t: f64,
    ax: f64,
    ay: f64,
    az: f64,
    gx: f64,
    gy: f64,
    gz: f64,
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum TopField {
    Samples,
    StartedAt,
}

#[derive(Default)]
struct State {
    rec: Recording,
    started_at: Option<String>,
    overflow: bool,
}

struct DocSeed<'a>(&'a mut State);

impl<'de> DeserializeSeed<'de> for DocSeed<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for DocSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"an object {"samples": [...], "started_at": "RFC 3339"?}"#)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let (mut seen_samples, mut seen_started) = (false, false);
        while let Some(key) = map.next_key::<TopField>()? {
            match key {
                TopField::Samples => {
                    if seen_samples {
                        return Err(de::Error::duplicate_field("samples"));
                    }
                    seen_samples = true;
                    map.next_value_seed(SamplesSeed(&mut *self.0))?;
                }
                TopField::StartedAt => {
                    if seen_started {
                        return Err(de::Error::duplicate_field("started_at"));
                    }
                    seen_started = true;
                    self.0.started_at = map.next_value::<Option<String>>()?;
                }
            }
        }
        if seen_samples {
            Ok(())
        } else {
            Err(de::Error::missing_field("samples"))
        }
    }
}

struct SamplesSeed<'a>(&'a mut State);

impl<'de> DeserializeSeed<'de> for SamplesSeed<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for SamplesSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of samples")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let rec = &mut self.0.rec;
        // Each sample is an object: an array of numbers would otherwise fill
        // the fields by position.
        while let Some(crate::json::ObjectOnly(s)) =
            seq.next_element::<crate::json::ObjectOnly<SampleIn>>()?
        {
            if rec.t.len() >= MAX_SAMPLES {
                self.0.overflow = true;
                return Err(de::Error::custom("too many samples"));
            }
            rec.t.push(s.t);
            rec.acc[0].push(s.ax);
            rec.acc[1].push(s.ay);
            rec.acc[2].push(s.az);
            rec.gyro[0].push(s.gx);
            rec.gyro[1].push(s.gy);
            rec.gyro[2].push(s.gz);
        }
        Ok(())
    }
}

/// Decodes a JSON upload; returns the recording and `started_at` in Unix ms.
pub(crate) fn decode_json(bytes: &[u8]) -> Result<(Recording, Option<i64>), DecodeError> {
    let cap = (bytes.len() / MIN_SAMPLE_BYTES).min(MAX_SAMPLES);
    let mut state = State {
        rec: Recording {
            t: Vec::with_capacity(cap),
            acc: std::array::from_fn(|_| Vec::with_capacity(cap)),
            gyro: std::array::from_fn(|_| Vec::with_capacity(cap)),
            ..Recording::default()
        },
        ..State::default()
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed = DocSeed(&mut state)
        .deserialize(&mut de)
        .and_then(|()| de.end());
    if let Err(e) = parsed {
        if state.overflow {
            return Err(too_many_samples(None, Some("samples")));
        }
        return Err(json_error(&e));
    }

    let mut issues = Issues::default();
    let started_at_unix_ms = match state.started_at.as_deref() {
        None => None,
        Some(s) => match chrono::DateTime::parse_from_rfc3339(s) {
            Ok(dt) => Some(dt.timestamp_millis()),
            Err(e) => {
                issues.push(Issue::field(
                    "started_at",
                    format!("not an RFC 3339 timestamp: {e}"),
                ));
                None
            }
        },
    };
    // serde_json rejects NaN, infinities and out-of-range numbers, so only
    // the ordering of time is left to check here.
    for (i, w) in state.rec.t.windows(2).enumerate() {
        if w[1] <= w[0] {
            let msg = format!(
                "time {} s is not after {} s of the previous sample",
                w[1], w[0]
            );
            if issues.push(Issue::field(format!("samples[{}].t", i + 1), msg)) {
                break;
            }
        }
    }
    let rec = finish_text(state.rec, issues, "samples.t")?;
    Ok((rec, started_at_unix_ms))
}

/// Maps a serde_json error to an issue at its line; syntax errors mean the
/// body is not JSON at all, data errors (unknown or missing field, wrong type)
/// mean it breaks the contract.
fn json_error(e: &serde_json::Error) -> DecodeError {
    let kind = match e.classify() {
        serde_json::error::Category::Data => DecodeErrorKind::Invalid,
        _ => DecodeErrorKind::BadEncoding,
    };
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = match text.strip_suffix(&suffix) {
        Some(head) if e.line() > 0 => format!("{head} (column {})", e.column()),
        _ => text,
    };
    let issue = Issue {
        line: (e.line() > 0).then_some(e.line() as u64),
        field: None,
        message,
    };
    DecodeError::one(kind, issue)
}

/// Encodes a recording as JSON, one sample per line, with the shortest float
/// representation (exact round trip). `started_at_unix_ms` is written as an
/// RFC 3339 UTC timestamp with millisecond precision; a value outside
/// chrono's range is left out. Columns are assumed to have equal length.
pub fn encode_json(rec: &Recording, started_at_unix_ms: Option<i64>) -> Vec<u8> {
    let mut out = String::with_capacity(32 + rec.len() * 120);
    out.push('{');
    if let Some(dt) = started_at_unix_ms.and_then(chrono::DateTime::from_timestamp_millis) {
        let ts = dt.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        // Writing into a String cannot fail.
        let _ = write!(out, "\"started_at\":\"{ts}\",");
    }
    out.push_str("\"samples\":[");
    let [ax, ay, az] = &rec.acc;
    let [gx, gy, gz] = &rec.gyro;
    let rows = rec.t.iter().zip(ax).zip(ay).zip(az).zip(gx).zip(gy).zip(gz);
    for (i, ((((((t, ax), ay), az), gx), gy), gz)) in rows.enumerate() {
        let sep = if i == 0 { "\n" } else { ",\n" };
        let _ = write!(
            out,
            "{sep}{{\"t\":{t},\"ax\":{ax},\"ay\":{ay},\"az\":{az},\"gx\":{gx},\"gy\":{gy},\"gz\":{gz}}}"
        );
    }
    out.push_str("\n]}\n");
    out.into_bytes()
}
