//! Errors of the sensor codecs: [`DecodeError`] (a kind plus field-level
//! [`Issue`]s that the API returns verbatim) and [`EncodeError`].

use std::fmt;

use serde::{Deserialize, Serialize};

/// Most issues collected before decoding stops: enough to fix a file in one
/// go, small enough that a garbage upload cannot produce a huge error body.
pub const MAX_ISSUES: usize = 20;

/// What went wrong, coarse enough to pick an HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecodeErrorKind {
    /// The body is in the declared format but breaks a rule (bad value, bad
    /// column, non-monotonic time, rate out of range...). HTTP 422.
    Invalid,
    /// The body (decompressed) or the declared sample count exceeds the
    /// limits. HTTP 413.
    TooLarge,
    /// The bytes are not the declared format or encoding at all (corrupt
    /// gzip, JSON syntax error, bad binary magic, text that is not UTF-8).
    /// HTTP 400.
    BadEncoding,
}

impl DecodeErrorKind {
    /// The HTTP status the API answers with: 422, 413 or 400.
    pub fn http_status(self) -> u16 {
        match self {
            Self::Invalid => 422,
            Self::TooLarge => 413,
            Self::BadEncoding => 400,
        }
    }

    /// Stable lowercase name, e.g. for logs and metrics labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invalid => "invalid",
            Self::TooLarge => "too_large",
            Self::BadEncoding => "bad_encoding",
        }
    }
}

/// One problem in an upload, located as precisely as the format allows.
///
/// - CSV: `line` is the 1-based line number (the header is line 1) and
///   `field` the column name (`"gz"`).
/// - JSON: `line` comes from the parser for syntax errors; validation issues
///   have no line but a path such as `"samples[12].t"` in `field`.
/// - Binary: `field` names the header field (`"crc32"`, `"sample_count"`);
///   byte offsets are in the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    /// 1-based line number in a text upload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// Column name, JSON path or binary header field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Human-readable explanation.
    pub message: String,
}

impl Issue {
    /// An issue without location.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            line: None,
            field: None,
            message: message.into(),
        }
    }

    /// An issue at a line and column of a text upload.
    pub fn at(line: u64, field: Option<&str>, message: impl Into<String>) -> Self {
        Self {
            line: Some(line),
            field: field.map(str::to_owned),
            message: message.into(),
        }
    }

    /// An issue about a named field (JSON path or binary header field).
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            line: None,
            field: Some(field.into()),
            message: message.into(),
        }
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, &self.field) {
            (Some(line), Some(field)) => write!(f, "line {line}, column {field}: {}", self.message),
            (Some(line), None) => write!(f, "line {line}: {}", self.message),
            (None, Some(field)) => write!(f, "{field}: {}", self.message),
            (None, None) => f.write_str(&self.message),
        }
    }
}

/// Why an upload could not be decoded: a kind (for the HTTP status) and the
/// issues found (at most about [`MAX_ISSUES`]).
///
/// `Display` prints the issues separated by `"; "`, each as
/// `line 12, column gz: not a finite number`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct DecodeError {
    /// Coarse category.
    pub kind: DecodeErrorKind,
    /// Field-level problems; never empty when built by this module.
    pub issues: Vec<Issue>,
}

impl DecodeError {
    /// An error with a single issue.
    pub fn one(kind: DecodeErrorKind, issue: Issue) -> Self {
        Self {
            kind,
            issues: vec![issue],
        }
    }

    /// An [`DecodeErrorKind::Invalid`] error from collected issues.
    pub fn invalid(issues: Vec<Issue>) -> Self {
        Self {
            kind: DecodeErrorKind::Invalid,
            issues,
        }
    }

    /// A [`DecodeErrorKind::TooLarge`] error with one message.
    pub fn too_large(field: Option<&str>, message: impl Into<String>) -> Self {
        let issue = match field {
            Some(f) => Issue::field(f, message),
            None => Issue::new(message),
        };
        Self::one(DecodeErrorKind::TooLarge, issue)
    }

    /// A [`DecodeErrorKind::BadEncoding`] error with one issue.
    pub fn bad_encoding(issue: Issue) -> Self {
        Self::one(DecodeErrorKind::BadEncoding, issue)
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.issues.is_empty() {
            return write!(f, "{} upload", self.kind.as_str());
        }
        for (i, issue) in self.issues.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{issue}")?;
        }
        Ok(())
    }
}

/// Issue collector that stops accepting after [`MAX_ISSUES`].
#[derive(Debug, Default)]
pub(crate) struct Issues(pub(crate) Vec<Issue>);

impl Issues {
    /// Records an issue; returns `true` once the cap is reached so the caller
    /// can stop scanning.
    pub(crate) fn push(&mut self, issue: Issue) -> bool {
        if self.0.len() < MAX_ISSUES {
            self.0.push(issue);
        }
        self.full()
    }

    pub(crate) fn full(&self) -> bool {
        self.0.len() >= MAX_ISSUES
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Why a recording could not be encoded (binary only: text encoders are
/// infallible).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EncodeError {
    /// A quantised value does not fit an i16 with the chosen scale (or is not
    /// finite): pick a larger scale.
    #[error("sample {sample}, channel {channel}: value {value} does not fit i16 at scale {scale}")]
    ValueOutOfRange {
        /// 0-based sample index.
        sample: usize,
        /// Channel name (`ax` ... `gz`).
        channel: &'static str,
        /// Offending value.
        value: f64,
        /// Scale used (unit per LSB).
        scale: f32,
    },
    /// A scale or the sample rate is not finite and positive.
    #[error("{name} must be finite and positive, got {value}")]
    BadParameter {
        /// Parameter name.
        name: &'static str,
        /// Offending value.
        value: f64,
    },
    /// The columns of the recording have different lengths.
    #[error("recording columns have different lengths")]
    ColumnLengthMismatch,
    /// Too many samples for the u32 count field.
    #[error("{0} samples do not fit the binary header")]
    TooManySamples(usize),
    /// The binary format has implicit, uniform time: a recording with gaps or
    /// jitter beyond half a sample period would silently change on encoding.
    #[error(
        "sample {sample}: t = {t} s is not on the uniform {rate_hz} Hz grid (binary time is implicit)"
    )]
    NonUniformTime {
        /// 0-based sample index.
        sample: usize,
        /// Its time.
        t: f64,
        /// Nominal rate.
        rate_hz: f64,
    },
}
