//! The sensor data contract: what a girth IMU session looks like once decoded,
//! and the upload formats (CSV, JSON, compact binary; each optionally gzip).
//!
//! Sensor frame: x toward the horse's head, y toward its left, z up when the
//! horse stands square; the mount may be tilted up to about 25° in any axis.
//! Accelerometer: specific force in m/s² (≈ +9.81 on the up axis at rest).
//! Gyroscope: deg/s, right-handed (positive z = turning left).
//!
//! # Where things live
//!
//! - this file: [`Recording`], the limits, [`Decoded`], [`decode`],
//!   [`gunzip_limited`] and [`decode_file`];
//! - `format`: [`Format`] (media types, file extensions, short names);
//! - `csv`, `json`, `binary`: one codec each ([`encode_csv`], [`encode_json`],
//!   [`encode_binary`]);
//! - `validate`: checks common to all formats, [`estimate_sample_rate`];
//! - `error`: [`DecodeError`], [`DecodeErrorKind`], [`Issue`], [`EncodeError`].
//!
//! # Upload contract
//!
//! Every format may be gzip-compressed (`Content-Encoding: gzip`, or a `.gz`
//! suffix / gzip magic for files); the decompressed size is capped by the
//! caller through [`gunzip_limited`].
//!
//! | format | media type | extension | time |
//! |---|---|---|---|
//! | CSV | `text/csv` | `.csv` | column `t`, seconds from session start |
//! | JSON | `application/json` | `.json` | field `t`, seconds from session start |
//! | binary | `application/vnd.hoofbeat.imu` (or `application/octet-stream`) | `.hbs` | implicit, `t_i = i / sample_rate_hz` |
//!
//! **CSV**: the header is exactly `t,ax,ay,az,gx,gy,gz` (whitespace around
//! names and a UTF-8 BOM are tolerated); any other, missing, duplicate or
//! extra column is rejected. CRLF line ends and one trailing newline are
//! fine; empty lines are not.
//!
//! ```text
//! t,ax,ay,az,gx,gy,gz
//! 0,0.12,-0.05,9.79,1.5,-0.3,0.02
//! 0.01,0.15,-0.02,9.83,1.4,-0.2,0.05
//! ```
//!
//! **JSON**: unknown fields are rejected (top level and samples);
//! `started_at` is optional.
//!
//! ```json
//! {"started_at": "2026-05-01T09:30:00Z",
//!  "samples": [{"t": 0.0,  "ax": 0.12, "ay": -0.05, "az": 9.79, "gx": 1.5, "gy": -0.3, "gz": 0.02},
//!              {"t": 0.01, "ax": 0.15, "ay": -0.02, "az": 9.83, "gx": 1.4, "gy": -0.2, "gz": 0.05}]}
//! ```
//!
//! **Binary**: all little-endian. A 36-byte header, then `sample_count`
//! frames of six i16 `ax, ay, az, gx, gy, gz` (value = raw × scale).
//!
//! | offset | size | field | value |
//! |---|---|---|---|
//! | 0 | 4 | magic | `b"HBS1"` |
//! | 4 | 1 | version (u8) | 1 |
//! | 5 | 1 | channels (u8) | 6 |
//! | 6 | 2 | reserved (u16) | 0 |
//! | 8 | 4 | sample_rate_hz (f32) | 25–400 |
//! | 12 | 8 | started_at_unix_ms (i64) | |
//! | 20 | 4 | acc_scale (f32) | m/s² per LSB, finite, > 0 |
//! | 24 | 4 | gyro_scale (f32) | deg/s per LSB, finite, > 0 |
//! | 28 | 4 | sample_count (u32) | ≤ [`MAX_SAMPLES`] |
//! | 32 | 4 | crc32 (u32) | CRC-32/ISO-HDLC of the payload (bytes 36..) |
//!
//! The body must be exactly `36 + 12 × sample_count` bytes.
//!
//! **Rules for every format**: at least 2 samples, finite numbers, `t`
//! strictly increasing (gaps are allowed), nominal rate 25–400 Hz (declared
//! in the binary header, `1 / median(Δt)` for text), duration ≤
//! [`MAX_DURATION_S`] and at most [`MAX_SAMPLES`] samples. Up to
//! [`MAX_ISSUES`] problems are reported at once, each located by line and
//! column (CSV), JSON path (`samples[12].t`) or header field (binary).
//!
//! ```
//! use shared::sensor::{decode, encode_csv, Format};
//!
//! let csv = b"t,ax,ay,az,gx,gy,gz\r\n0,0,0,9.81,0,0,0\r\n0.01,0,0,9.81,0,0,1.5\r\n";
//! let decoded = decode(Format::Csv, csv).expect("valid upload");
//! assert_eq!(decoded.recording.len(), 2);
//! assert_eq!(decoded.recording.gyro[2][1], 1.5);
//! assert_eq!(decode(Format::Csv, &encode_csv(&decoded.recording)), Ok(decoded));
//!
//! let err = decode(Format::Csv, b"t,ax,ay,az,gx,gy,gz\n0,0,0,9.81,0,0,0\n0.01,0,0,9.81,0,0,NaN\n")
//!     .unwrap_err();
//! assert_eq!(err.to_string(), "line 3, column gz: not a finite number: \"NaN\"");
//! ```

use std::io::Read;
use std::path::Path;

mod binary;
mod csv;
mod error;
mod format;
mod json;
mod validate;

pub use binary::{
    BinaryParams, HBS_CHANNELS, HBS_FRAME_LEN, HBS_HEADER_LEN, HBS_MAGIC, HBS_VERSION,
    encode_binary,
};
pub use csv::{CSV_COLUMNS, CSV_HEADER, encode_csv};
pub use error::{DecodeError, DecodeErrorKind, EncodeError, Issue, MAX_ISSUES};
pub use format::{BINARY_MEDIA_TYPE, Format, UnknownFormat};
pub use json::encode_json;
pub use validate::estimate_sample_rate;

/// Lowest accepted nominal sample rate (Hz).
pub const MIN_SAMPLE_RATE_HZ: f64 = 25.0;
/// Highest accepted nominal sample rate (Hz).
pub const MAX_SAMPLE_RATE_HZ: f64 = 400.0;
/// Longest accepted session (seconds): 4 hours.
pub const MAX_DURATION_S: f64 = 4.0 * 3600.0;
/// Most samples accepted in one upload: 400 Hz for 4 h plus one minute of
/// margin (timestamps at the limit, a start that is not exactly at t = 0).
/// Checked before allocating, so it also bounds decoder memory
/// (≈ 7 × 8 bytes per sample).
pub const MAX_SAMPLES: usize = 400 * (4 * 3600 + 60);

/// Decoded IMU samples, stored column by column so that the analysis can
/// view each axis as a contiguous signal without copying.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Recording {
    /// Nominal sample rate in Hz: the binary header's value, or the one
    /// estimated from the median time step for CSV and JSON.
    pub sample_rate_hz: f64,
    /// Seconds from the session start, strictly increasing (gaps allowed).
    pub t: Vec<f64>,
    /// Specific force in m/s² along x, y, z of the sensor frame.
    pub acc: [Vec<f64>; 3],
    /// Angular rate in deg/s about x, y, z of the sensor frame.
    pub gyro: [Vec<f64>; 3],
}

impl Recording {
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.t.len()
    }

    /// True when there is no sample at all.
    pub fn is_empty(&self) -> bool {
        self.t.is_empty()
    }

    /// Time from the first to the last sample, in seconds (0 when empty).
    pub fn duration_s(&self) -> f64 {
        match (self.t.first(), self.t.last()) {
            (Some(a), Some(b)) => b - a,
            _ => 0.0,
        }
    }
}

/// A decoded upload.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The samples, validated.
    pub recording: Recording,
    /// Session start (Unix ms) when the upload carries one: the binary
    /// header always does, JSON when `started_at` is present, CSV never.
    pub started_at_unix_ms: Option<i64>,
}

/// First two bytes of every gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Decodes an upload whose bytes are already decompressed.
///
/// Gzip bytes are rejected with [`DecodeErrorKind::BadEncoding`] (none of
/// the formats can start with the gzip magic), which points a client that
/// forgot `Content-Encoding: gzip` at the real problem.
pub fn decode(format: Format, bytes: &[u8]) -> Result<Decoded, DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::invalid(vec![Issue::new("empty body")]));
    }
    if bytes.starts_with(&GZIP_MAGIC) {
        return Err(DecodeError::bad_encoding(Issue::new(
            "body is gzip-compressed: declare Content-Encoding: gzip",
        )));
    }
    match format {
        Format::Csv => csv::decode_csv(bytes).map(|recording| Decoded {
            recording,
            started_at_unix_ms: None,
        }),
        Format::Json => json::decode_json(bytes).map(|(recording, started_at_unix_ms)| Decoded {
            recording,
            started_at_unix_ms,
        }),
        Format::Binary => binary::decode_binary(bytes).map(|(recording, started)| Decoded {
            recording,
            started_at_unix_ms: Some(started),
        }),
    }
}

/// The nominal rate as stored and reported. The validator admits rates
/// within ±0.1 % of the bounds (a 400 Hz clock running a hair fast, a CSV
/// whose step is printed as 0.04000001 s); they are reported as the bound
/// itself, so the one range 25–400 Hz holds everywhere, the database's
/// check included.
pub fn nominal_rate(rate_hz: f64) -> f64 {
    rate_hz.clamp(MIN_SAMPLE_RATE_HZ, MAX_SAMPLE_RATE_HZ)
}

/// What an upload contains, once validated: enough to store it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Nominal sample rate (Hz), within [`MIN_SAMPLE_RATE_HZ`,
    /// `MAX_SAMPLE_RATE_HZ`] (see [`nominal_rate`]).
    pub sample_rate_hz: f64,
    /// Number of samples.
    pub sample_count: usize,
    /// Seconds from the first to the last sample.
    pub duration_s: f64,
    /// Session start (Unix ms) when the upload carries one.
    pub started_at_unix_ms: Option<i64>,
}

/// Validates an upload exactly as [`decode`] does and summarises it, without
/// keeping the samples: the binary form is checked from its header and
/// checksum alone (no conversion to floating point), so accepting a phone's
/// upload costs a CRC pass instead of seven arrays of `f64`.
pub fn validate(format: Format, bytes: &[u8]) -> Result<Summary, DecodeError> {
    match format {
        Format::Binary if !bytes.is_empty() && !bytes.starts_with(&GZIP_MAGIC) => {
            let c = binary::check_binary(bytes)?;
            Ok(Summary {
                sample_rate_hz: nominal_rate(c.rate_hz),
                sample_count: c.count,
                duration_s: c.count.saturating_sub(1) as f64 / c.rate_hz,
                started_at_unix_ms: Some(c.started_at),
            })
        }
        _ => decode(format, bytes).map(|d| Summary {
            sample_rate_hz: nominal_rate(d.recording.sample_rate_hz),
            sample_count: d.recording.len(),
            duration_s: d.recording.duration_s(),
            started_at_unix_ms: d.started_at_unix_ms,
        }),
    }
}

/// Size of the read buffer used while inflating.
const INFLATE_CHUNK: usize = 64 * 1024;

/// Inflates gzip data (one or several concatenated members), refusing to
/// produce more than `max_bytes`.
///
/// The output grows chunk by chunk and its capacity never exceeds
/// `max_bytes`, so a gzip bomb costs at most `max_bytes` of memory and the
/// time to inflate that much before [`DecodeErrorKind::TooLarge`] is
/// returned. Corrupt or non-gzip input is [`DecodeErrorKind::BadEncoding`].
pub fn gunzip_limited(bytes: &[u8], max_bytes: usize) -> Result<Vec<u8>, DecodeError> {
    gunzip_within(bytes, max_bytes, &mut |_| true).map_err(|e| match e {
        GunzipError::Decode(d) => d,
        // The unlimited budget never refuses.
        GunzipError::OverBudget => DecodeError::too_large(None, "memory budget exhausted"),
    })
}

/// Why [`gunzip_within`] stopped.
#[derive(Debug)]
pub enum GunzipError {
    /// Bad or oversized data, as [`gunzip_limited`] reports it.
    Decode(DecodeError),
    /// The caller's memory budget refused the next allocation.
    OverBudget,
}

/// [`gunzip_limited`] that asks `budget(bytes)` before every allocation of
/// the output buffer (initial and growth), so a server can bound the memory
/// of all decompressions in flight together, not only each one.
pub fn gunzip_within(
    bytes: &[u8],
    max_bytes: usize,
    budget: &mut dyn FnMut(usize) -> bool,
) -> Result<Vec<u8>, GunzipError> {
    use GunzipError::{Decode, OverBudget};
    if !bytes.starts_with(&GZIP_MAGIC) {
        return Err(Decode(DecodeError::bad_encoding(Issue::new(
            "not gzip data (bad magic)",
        ))));
    }
    let too_large = || {
        Decode(DecodeError::too_large(
            None,
            format!("decompressed body exceeds {max_bytes} bytes"),
        ))
    };
    let mut decoder = flate2::read::MultiGzDecoder::new(bytes);
    // Typical ratios are 3–6×; start there and double up to the cap.
    let initial = bytes.len().saturating_mul(4).min(max_bytes);
    if !budget(initial) {
        return Err(OverBudget);
    }
    let mut out: Vec<u8> = Vec::with_capacity(initial);
    let mut buf = vec![0_u8; INFLATE_CHUNK];
    loop {
        let n = match decoder.read(&mut buf) {
            Ok(0) => return Ok(out),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(Decode(DecodeError::bad_encoding(Issue::new(format!(
                    "corrupt gzip data after {} decompressed bytes: {e}",
                    out.len()
                )))));
            }
        };
        let Some(chunk) = buf.get(..n) else {
            return Err(Decode(DecodeError::bad_encoding(Issue::new(
                "gzip reader misbehaved",
            ))));
        };
        let needed = out.len() + n;
        if needed > max_bytes {
            return Err(too_large());
        }
        if needed > out.capacity() {
            let target = out.capacity().saturating_mul(2).clamp(needed, max_bytes);
            if !budget(target - out.capacity()) {
                return Err(OverBudget);
            }
            out.try_reserve_exact(target - out.len())
                .map_err(|_| too_large())?;
        }
        out.extend_from_slice(chunk);
    }
}

/// The samples as uploaded, from their stored form (`session_data`):
/// `encoding` is `identity` or `gzip`, `byte_len` the uploaded length, which
/// also bounds the decompression.
pub fn stored_bytes<'a>(
    data: &'a [u8],
    encoding: &str,
    byte_len: usize,
) -> Result<std::borrow::Cow<'a, [u8]>, DecodeError> {
    match encoding {
        "identity" => Ok(std::borrow::Cow::Borrowed(data)),
        "gzip" => gunzip_limited(data, byte_len).map(std::borrow::Cow::Owned),
        other => Err(DecodeError::bad_encoding(Issue::new(format!(
            "unknown stored encoding {other:?}"
        )))),
    }
}

/// Reads, decompresses (for a `.gz` name or gzip magic) and decodes a file,
/// choosing the format from its extension (`.csv`, `.json`, `.hbs`, each
/// optionally `.gz`). `max_bytes` caps both the file and the decompressed
/// size. An unknown extension or an unreadable file is reported as
/// [`DecodeErrorKind::Invalid`] with field `"path"`.
pub fn decode_file(path: &Path, max_bytes: usize) -> Result<Decoded, DecodeError> {
    let path_issue = |msg: String| DecodeError::invalid(vec![Issue::field("path", msg)]);
    let Some(format) = Format::from_path(path) else {
        return Err(path_issue(format!(
            "{}: unknown extension, expected .csv, .json or .hbs (optionally .gz)",
            path.display()
        )));
    };
    let file = std::fs::File::open(path)
        .map_err(|e| path_issue(format!("cannot open {}: {e}", path.display())))?;
    // Size the buffer from the file's length so that reading does not
    // double the allocation past it (a 43 MB file would otherwise take 64 MB).
    let hint = file
        .metadata()
        .ok()
        .and_then(|m| usize::try_from(m.len()).ok())
        .unwrap_or(0)
        .min(max_bytes);
    let mut raw = Vec::with_capacity(hint.saturating_add(1));
    file.take(
        u64::try_from(max_bytes)
            .unwrap_or(u64::MAX)
            .saturating_add(1),
    )
    .read_to_end(&mut raw)
    .map_err(|e| path_issue(format!("cannot read {}: {e}", path.display())))?;
    if raw.len() > max_bytes {
        return Err(DecodeError::too_large(
            None,
            format!("{} is larger than {max_bytes} bytes", path.display()),
        ));
    }
    if format::has_gz_extension(path) || raw.starts_with(&GZIP_MAGIC) {
        raw = gunzip_limited(&raw, max_bytes)?;
    }
    decode(format, &raw)
}
