//! Compact binary codec (`.hbs`, `application/vnd.hoofbeat.imu`).
//!
//! A 36-byte little-endian header followed by `sample_count` frames of six
//! i16 (`ax, ay, az, gx, gy, gz`); time is implicit (`t_i = i / rate`).
//! Every header field is checked — and the declared count bounded — before
//! anything is allocated; the payload is then converted in one tight loop.

use super::error::{DecodeError, EncodeError, Issue, Issues};
use super::validate::{check_duration, check_rate, too_many_samples};
use super::{MAX_SAMPLES, Recording};

/// File magic.
pub const HBS_MAGIC: [u8; 4] = *b"HBS1";
/// The only supported version.
pub const HBS_VERSION: u8 = 1;
/// Channels per frame.
pub const HBS_CHANNELS: u8 = 6;
/// Header size in bytes.
pub const HBS_HEADER_LEN: usize = 36;
/// Frame size in bytes (6 × i16).
pub const HBS_FRAME_LEN: usize = 12;

/// Header fields of an `.hbs` file chosen by the encoder (rate and count
/// come from the recording).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BinaryParams {
    /// Session start, Unix milliseconds.
    pub started_at_unix_ms: i64,
    /// Accelerometer m/s² per LSB, e.g. 16 g full scale: `16.0 * 9.80665 / 32768.0`.
    pub acc_scale: f32,
    /// Gyroscope deg/s per LSB, e.g. 2000 deg/s full scale: `2000.0 / 32768.0`.
    pub gyro_scale: f32,
}

impl Default for BinaryParams {
    /// ±16 g and ±2000 deg/s full scale, the usual IMU ranges for horses.
    fn default() -> Self {
        Self {
            started_at_unix_ms: 0,
            acc_scale: 16.0 * 9.806_65 / 32768.0,
            gyro_scale: 2000.0 / 32768.0,
        }
    }
}

fn f32_at(h: &[u8; HBS_HEADER_LEN], at: usize) -> f32 {
    f32::from_le_bytes([h[at], h[at + 1], h[at + 2], h[at + 3]])
}

fn u32_at(h: &[u8; HBS_HEADER_LEN], at: usize) -> u32 {
    u32::from_le_bytes([h[at], h[at + 1], h[at + 2], h[at + 3]])
}

fn check_scale(value: f32, name: &str, issues: &mut Issues) {
    if !(value.is_finite() && value > 0.0) {
        issues.push(Issue::field(
            name,
            format!("must be finite and positive, got {value}"),
        ));
    }
}

/// What a valid `.hbs` header says.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Checked {
    pub rate_hz: f64,
    pub started_at: i64,
    pub acc_scale: f32,
    pub gyro_scale: f32,
    pub count: usize,
}

/// Validates an `.hbs` body completely (header, length, checksum) without
/// converting its samples: 16-bit integers are always finite and time is
/// implicit, so nothing in the payload can be invalid once the checksum holds.
pub(crate) fn check_binary(bytes: &[u8]) -> Result<Checked, DecodeError> {
    if bytes.get(..4).is_some_and(|m| m != HBS_MAGIC) {
        return Err(DecodeError::bad_encoding(Issue::field(
            "magic",
            "not a Hoofbeat binary file (expected magic \"HBS1\" at byte 0)",
        )));
    }
    let Some((h, payload)) = bytes.split_first_chunk::<HBS_HEADER_LEN>() else {
        return Err(DecodeError::invalid(vec![Issue::field(
            "header",
            format!(
                "truncated at byte {}: the header needs {HBS_HEADER_LEN} bytes",
                bytes.len()
            ),
        )]));
    };
    if h[4] != HBS_VERSION {
        return Err(DecodeError::bad_encoding(Issue::field(
            "version",
            format!("unsupported version {} (expected {HBS_VERSION})", h[4]),
        )));
    }
    let mut issues = Issues::default();
    if h[5] != HBS_CHANNELS {
        issues.push(Issue::field(
            "channels",
            format!("expected {HBS_CHANNELS}, got {}", h[5]),
        ));
    }
    let reserved = u16::from_le_bytes([h[6], h[7]]);
    if reserved != 0 {
        issues.push(Issue::field(
            "reserved",
            format!("must be 0, got {reserved}"),
        ));
    }
    let rate = f32_at(h, 8);
    let started_at = i64::from_le_bytes([h[12], h[13], h[14], h[15], h[16], h[17], h[18], h[19]]);
    let acc_scale = f32_at(h, 20);
    let gyro_scale = f32_at(h, 24);
    let count = u32_at(h, 28);
    let crc = u32_at(h, 32);

    // The declared count bounds the allocation: reject it before anything else.
    let count_usize = usize::try_from(count).unwrap_or(usize::MAX);
    if count_usize > MAX_SAMPLES {
        return Err(too_many_samples(
            Some(u64::from(count)),
            Some("sample_count"),
        ));
    }
    let rate_hz = f64::from(rate);
    if !(rate.is_finite() && rate > 0.0) {
        issues.push(Issue::field(
            "sample_rate_hz",
            format!("must be finite and positive, got {rate}"),
        ));
    } else {
        if let Some(issue) = check_rate(rate_hz, "sample_rate_hz", "declared") {
            issues.push(issue);
        }
        if count >= 2
            && let Some(issue) = check_duration(f64::from(count - 1) / rate_hz, "sample_count")
        {
            issues.push(issue);
        }
    }
    check_scale(acc_scale, "acc_scale", &mut issues);
    check_scale(gyro_scale, "gyro_scale", &mut issues);
    if count < 2 {
        issues.push(Issue::field(
            "sample_count",
            format!("at least 2 samples are needed, got {count}"),
        ));
    }

    let expected = HBS_HEADER_LEN as u64 + HBS_FRAME_LEN as u64 * u64::from(count);
    let actual = bytes.len() as u64;
    if actual < expected {
        let frame = (actual - HBS_HEADER_LEN as u64) / HBS_FRAME_LEN as u64;
        issues.push(Issue::field(
            "payload",
            format!(
                "truncated at byte {actual}: {count} samples need {expected} bytes (frame {frame} is incomplete)"
            ),
        ));
    } else if actual > expected {
        issues.push(Issue::field(
            "payload",
            format!(
                "{} trailing bytes from byte offset {expected}",
                actual - expected
            ),
        ));
    } else {
        let computed = crc32fast::hash(payload);
        if computed != crc {
            issues.push(Issue::field(
                "crc32",
                format!("checksum mismatch: header says {crc:#010x}, payload has {computed:#010x}"),
            ));
        }
    }
    if !issues.is_empty() {
        return Err(DecodeError::invalid(issues.0));
    }
    Ok(Checked {
        rate_hz,
        started_at,
        acc_scale,
        gyro_scale,
        count: count_usize,
    })
}

/// Decodes an `.hbs` body; returns the recording and `started_at` (Unix ms).
pub(crate) fn decode_binary(bytes: &[u8]) -> Result<(Recording, i64), DecodeError> {
    let Checked {
        rate_hz,
        started_at,
        acc_scale,
        gyro_scale,
        ..
    } = check_binary(bytes)?;
    let payload = bytes.get(HBS_HEADER_LEN..).unwrap_or_default();
    let (frames, _) = payload.as_chunks::<HBS_FRAME_LEN>();
    let n = frames.len();
    let (acc, gyro) = (f64::from(acc_scale), f64::from(gyro_scale));
    let mut rec = Recording {
        sample_rate_hz: rate_hz,
        t: (0..n).map(|i| i as f64 / rate_hz).collect(),
        acc: std::array::from_fn(|_| Vec::with_capacity(n)),
        gyro: std::array::from_fn(|_| Vec::with_capacity(n)),
    };
    let [ax, ay, az] = &mut rec.acc;
    let [gx, gy, gz] = &mut rec.gyro;
    for &[a0, a1, b0, b1, c0, c1, d0, d1, e0, e1, f0, f1] in frames {
        ax.push(f64::from(i16::from_le_bytes([a0, a1])) * acc);
        ay.push(f64::from(i16::from_le_bytes([b0, b1])) * acc);
        az.push(f64::from(i16::from_le_bytes([c0, c1])) * acc);
        gx.push(f64::from(i16::from_le_bytes([d0, d1])) * gyro);
        gy.push(f64::from(i16::from_le_bytes([e0, e1])) * gyro);
        gz.push(f64::from(i16::from_le_bytes([f0, f1])) * gyro);
    }
    Ok((rec, started_at))
}

fn quantise(
    v: f64,
    scale: f32,
    sample: usize,
    channel: &'static str,
) -> Result<[u8; 2], EncodeError> {
    let q = (v / f64::from(scale)).round();
    if (f64::from(i16::MIN)..=f64::from(i16::MAX)).contains(&q) {
        // In range (and not NaN) by the check above, so the cast is exact.
        Ok((q as i16).to_le_bytes())
    } else {
        Err(EncodeError::ValueOutOfRange {
            sample,
            channel,
            value: v,
            scale,
        })
    }
}

/// Encodes a recording in the binary format, quantising each value to the
/// nearest multiple of its scale (error ≤ scale / 2).
///
/// Time is implicit in the format, so `rec.t` must lie on the uniform grid
/// `t_0 + i / sample_rate_hz` within half a period; gaps cannot be encoded
/// and are reported as [`EncodeError::NonUniformTime`] instead of being
/// silently lost.
pub fn encode_binary(rec: &Recording, p: &BinaryParams) -> Result<Vec<u8>, EncodeError> {
    let n = rec.len();
    if rec.acc.iter().chain(&rec.gyro).any(|c| c.len() != n) {
        return Err(EncodeError::ColumnLengthMismatch);
    }
    let count = u32::try_from(n).map_err(|_| EncodeError::TooManySamples(n))?;
    let rate = rec.sample_rate_hz as f32;
    for (name, value) in [
        ("sample_rate_hz", rate),
        ("acc_scale", p.acc_scale),
        ("gyro_scale", p.gyro_scale),
    ] {
        if !(value.is_finite() && value > 0.0) {
            return Err(EncodeError::BadParameter {
                name,
                value: f64::from(value),
            });
        }
    }
    let rate_hz = f64::from(rate);
    if let Some(&t0) = rec.t.first() {
        let half = 0.5 / rate_hz;
        for (i, &t) in rec.t.iter().enumerate() {
            let dev = (t - t0) - i as f64 / rate_hz;
            if !dev.is_finite() || dev.abs() > half {
                return Err(EncodeError::NonUniformTime {
                    sample: i,
                    t,
                    rate_hz,
                });
            }
        }
    }

    let mut out = Vec::with_capacity(HBS_HEADER_LEN + n * HBS_FRAME_LEN);
    out.extend_from_slice(&HBS_MAGIC);
    out.extend_from_slice(&[HBS_VERSION, HBS_CHANNELS, 0, 0]);
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&p.started_at_unix_ms.to_le_bytes());
    out.extend_from_slice(&p.acc_scale.to_le_bytes());
    out.extend_from_slice(&p.gyro_scale.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&[0; 4]); // CRC, filled in below
    const NAMES: [[&str; 3]; 2] = [["ax", "ay", "az"], ["gx", "gy", "gz"]];
    for i in 0..n {
        for (cols, (names, scale)) in [&rec.acc, &rec.gyro]
            .into_iter()
            .zip(NAMES.iter().zip([p.acc_scale, p.gyro_scale]))
        {
            for (col, name) in cols.iter().zip(names) {
                let v = col.get(i).copied().unwrap_or_default();
                out.extend_from_slice(&quantise(v, scale, i, name)?);
            }
        }
    }
    let crc = crc32fast::hash(&out[HBS_HEADER_LEN..]);
    out[32..HBS_HEADER_LEN].copy_from_slice(&crc.to_le_bytes());
    Ok(out)
}
