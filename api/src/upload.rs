//! Turning an upload body into what is stored: transport decoding with a cap
//! on the decompressed size, validation through the shared sensor parsers,
//! and the compact lossless form kept in `session_data`.
//!
//! This is CPU work (gunzip, parsing a 20 MB CSV, hashing): callers run it on
//! a blocking thread, never on the async executor.

use std::io::Write;

use axum::body::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};
use shared::sensor::{self, DecodeError, DecodeErrorKind, Format};

use crate::error::{ApiError, ErrorCode, FieldError};

/// Content-Encoding of an upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// As is.
    Identity,
    /// gzip.
    Gzip,
}

impl Encoding {
    /// The value stored in `session_data.encoding`.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Identity => "identity",
            Encoding::Gzip => "gzip",
        }
    }
}

/// What an accepted upload turns into.
#[derive(Debug)]
pub struct Prepared {
    /// The format of the samples.
    pub format: Format,
    /// Nominal sample rate (Hz).
    pub sample_rate_hz: f64,
    /// Number of samples.
    pub sample_count: i32,
    /// Seconds from the first to the last sample.
    pub duration_s: f64,
    /// Start time carried by the data itself (binary header), if any.
    pub started_at_unix_ms: Option<i64>,
    /// SHA-256 of the samples as uploaded (after transport decoding), when
    /// asked for; otherwise the caller hashes `raw` while it writes to the
    /// database.
    pub sha256: Option<Vec<u8>>,
    /// The samples as uploaded (after transport decoding).
    pub raw: Bytes,
    /// Length of the samples as uploaded (after transport decoding).
    pub byte_len: i64,
    /// The bytes to store and how they are encoded.
    pub stored: Bytes,
    /// Encoding of `stored`.
    pub stored_encoding: Encoding,
}

/// How fast a body must arrive: after `grace`, at least `bytes_per_s` on
/// average since the start.
#[derive(Debug, Clone, Copy)]
pub struct MinRate {
    pub grace: std::time::Duration,
    pub bytes_per_s: u64,
}

/// Reads an upload's body into one buffer sized from `Content-Length`, so
/// that an upload costs its size once (collecting chunks and then
/// concatenating them would hold it twice). More than `limit` bytes is 413;
/// a body that falls behind `rate` is 408 (it would hold an upload slot).
pub async fn read_body(
    body: axum::body::Body,
    headers: &axum::http::HeaderMap,
    limit: usize,
    rate: MinRate,
    budget: &MemoryBudget,
    held: &mut Held,
) -> Result<Bytes, ApiError> {
    use futures_lite::StreamExt;
    let too_large = || {
        ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("the body exceeds {limit} bytes"),
        )
    };
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let initial = declared.unwrap_or(64 * 1024).min(limit);
    budget.take(held, initial).await?;
    let mut buf = bytes::BytesMut::with_capacity(initial);
    let mut stream = body.into_data_stream();
    let started = tokio::time::Instant::now();
    loop {
        // The latest the next bytes may arrive while keeping the minimum rate.
        let due = started
            + rate.grace
            + std::time::Duration::from_secs_f64(buf.len() as f64 / rate.bytes_per_s.max(1) as f64);
        let Ok(next) = tokio::time::timeout_at(due, stream.next()).await else {
            return Err(ApiError::new(
                ErrorCode::RequestTimeout,
                format!(
                    "the body arrived too slowly ({} bytes in {} s; at least {} bytes/s expected)",
                    buf.len(),
                    started.elapsed().as_secs(),
                    rate.bytes_per_s
                ),
            ));
        };
        let Some(chunk) = next else { break };
        let chunk = chunk.map_err(|e| {
            ApiError::new(
                ErrorCode::BadRequest,
                format!("reading the body failed: {e}"),
            )
        })?;
        if buf.len() + chunk.len() > limit {
            return Err(too_large());
        }
        let needed = buf.len() + chunk.len();
        if needed > buf.capacity() {
            let target = buf.capacity().saturating_mul(2).clamp(needed, limit);
            budget.take(held, target - buf.capacity()).await?;
            buf.reserve(target - buf.len());
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// The memory all uploads in flight may hold together (bodies as received
/// and decompressed samples), in KiB permits. Each upload takes its share
/// before allocating and gives it back when it is stored or refused, so 16
/// concurrent gzip bombs cannot each decompress up to the per-upload cap.
#[derive(Debug)]
pub struct MemoryBudget {
    permits: std::sync::Arc<tokio::sync::Semaphore>,
    wait: std::time::Duration,
}

/// One upload's share of the [`MemoryBudget`]; released when dropped.
#[derive(Debug, Default)]
pub struct Held(Vec<tokio::sync::OwnedSemaphorePermit>);

fn kib(bytes: usize) -> u32 {
    u32::try_from(bytes.div_ceil(1024)).unwrap_or(u32::MAX)
}

/// 503 when the budget stays exhausted for the configured wait.
fn over_budget() -> ApiError {
    ApiError::new(
        ErrorCode::ServerBusy,
        "too much upload data in memory right now; retry shortly",
    )
    .with_retry_after(2)
}

impl MemoryBudget {
    /// A budget of `bytes`, waiting up to `wait` for room.
    pub fn new(bytes: usize, wait: std::time::Duration) -> Self {
        Self {
            permits: std::sync::Arc::new(tokio::sync::Semaphore::new(kib(bytes) as usize)),
            wait,
        }
    }

    /// Takes `bytes` more for `held`. An upload that holds nothing yet waits
    /// up to the configured time; one that already holds a share does not
    /// wait but gives up (and its share with it): uploads holding part of
    /// the budget while waiting for more would starve each other until all
    /// time out, whereas now the one that got room finishes.
    pub async fn take(&self, held: &mut Held, bytes: usize) -> Result<(), ApiError> {
        let permit = if held.0.is_empty() {
            tokio::time::timeout(
                self.wait,
                self.permits.clone().acquire_many_owned(kib(bytes)),
            )
            .await
            .ok()
            .and_then(Result::ok)
        } else {
            self.permits.clone().try_acquire_many_owned(kib(bytes)).ok()
        };
        match permit {
            Some(p) => {
                held.0.push(p);
                Ok(())
            }
            None => Err(over_budget()),
        }
    }

    /// More room during decompression, never waiting: the upload already
    /// holds its body's share.
    pub fn try_take(&self, held: &mut Held, bytes: usize) -> bool {
        match self.permits.clone().try_acquire_many_owned(kib(bytes)) {
            Ok(p) => {
                held.0.push(p);
                true
            }
            Err(_) => false,
        }
    }
}

/// Decodes, validates and prepares an upload for storage; hashes it too
/// when `hash_now` (an Idempotency-Key needs the hash before the transaction).
pub fn prepare(
    format: Format,
    encoding: Encoding,
    wire: Bytes,
    max_decompressed: usize,
    hash_now: bool,
) -> Result<Prepared, ApiError> {
    prepare_within(
        format,
        encoding,
        wire,
        max_decompressed,
        hash_now,
        &mut |_| true,
    )
}

/// [`prepare`] asking `budget(bytes)` before each allocation of the
/// decompressed samples (false: 503 `server_busy`).
pub fn prepare_within(
    format: Format,
    encoding: Encoding,
    wire: Bytes,
    max_decompressed: usize,
    hash_now: bool,
    budget: &mut dyn FnMut(usize) -> bool,
) -> Result<Prepared, ApiError> {
    let raw: Bytes = match encoding {
        Encoding::Identity if wire.len() > max_decompressed => {
            return Err(ApiError::new(
                ErrorCode::PayloadTooLarge,
                format!("the samples exceed {max_decompressed} bytes"),
            ));
        }
        Encoding::Identity => wire.clone(),
        Encoding::Gzip => match sensor::gunzip_within(&wire, max_decompressed, budget) {
            Ok(v) => Bytes::from(v),
            Err(sensor::GunzipError::Decode(e)) => return Err(decode_error(e)),
            Err(sensor::GunzipError::OverBudget) => return Err(over_budget()),
        },
    };
    let summary = sensor::validate(format, &raw).map_err(decode_error)?;
    let sample_count = i32::try_from(summary.sample_count)
        .map_err(|_| ApiError::new(ErrorCode::PayloadTooLarge, "too many samples"))?;
    let sha256 = hash_now.then(|| sha256(&raw));
    let byte_len = i64::try_from(raw.len()).map_err(ApiError::internal)?;
    // Binary is already compact; text formats are kept gzipped (the client's
    // own gzip when it sent one, so no CPU is spent compressing again).
    let (stored, stored_encoding) = match (format, encoding) {
        (Format::Binary, _) => (raw.clone(), Encoding::Identity),
        (_, Encoding::Gzip) => (wire, Encoding::Gzip),
        (_, Encoding::Identity) => (Bytes::from(gzip(&raw)?), Encoding::Gzip),
    };
    Ok(Prepared {
        format,
        sample_rate_hz: summary.sample_rate_hz,
        sample_count,
        duration_s: summary.duration_s,
        started_at_unix_ms: summary.started_at_unix_ms,
        sha256,
        raw,
        byte_len,
        stored,
        stored_encoding,
    })
}

/// SHA-256 of the samples.
pub fn sha256(raw: &[u8]) -> Vec<u8> {
    Sha256::digest(raw).to_vec()
}

fn gzip(data: &[u8]) -> Result<Vec<u8>, ApiError> {
    let mut enc = GzEncoder::new(Vec::with_capacity(data.len() / 3), Compression::fast());
    enc.write_all(data).map_err(ApiError::internal)?;
    enc.finish().map_err(ApiError::internal)
}

/// Maps a sensor decoding error to problem+json with field-level errors.
pub fn decode_error(err: DecodeError) -> ApiError {
    let errors: Vec<FieldError> = err
        .issues
        .iter()
        .map(|i| FieldError {
            field: i.field.clone(),
            line: i.line,
            message: i.message.clone(),
        })
        .collect();
    let code = match err.kind {
        DecodeErrorKind::TooLarge => ErrorCode::PayloadTooLarge,
        DecodeErrorKind::BadEncoding => ErrorCode::BadRequest,
        DecodeErrorKind::Invalid => ErrorCode::InvalidSensorData,
    };
    ApiError::new(code, err.to_string()).with_errors(errors)
}

/// Reads a stored body back as the samples that were uploaded.
pub fn restore(stored: &[u8], encoding: &str, byte_len: usize) -> Result<Vec<u8>, ApiError> {
    sensor::stored_bytes(stored, encoding, byte_len)
        .map(|b| b.into_owned())
        .map_err(ApiError::internal)
}
