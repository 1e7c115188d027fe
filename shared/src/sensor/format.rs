//! [`Format`]: the three upload formats and how they are recognised from a
//! media type, a file name or a short name.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// Media type of the compact binary format (`.hbs`).
pub const BINARY_MEDIA_TYPE: &str = "application/vnd.hoofbeat.imu";

/// An upload format. Compression (gzip) is orthogonal and handled by
/// [`super::gunzip_limited`] / [`super::decode_file`].
///
/// Serialises as its short name (`"csv"`, `"json"`, `"binary"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// `t,ax,ay,az,gx,gy,gz` text, `text/csv`, `.csv`.
    Csv,
    /// `{"samples":[...]}`, `application/json`, `.json`.
    Json,
    /// Little-endian `HBS1` frames, `application/vnd.hoofbeat.imu`, `.hbs`.
    Binary,
}

/// A string that names no known format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown sensor format {0:?}: expected csv, json or binary")]
pub struct UnknownFormat(pub String);

impl Format {
    /// All formats, e.g. for listing in docs or CLI help.
    pub const ALL: [Self; 3] = [Self::Csv, Self::Json, Self::Binary];

    /// Canonical media type (what the API advertises).
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv",
            Self::Json => "application/json",
            Self::Binary => BINARY_MEDIA_TYPE,
        }
    }

    /// Short name: `"csv"`, `"json"` or `"binary"` (inverse of `FromStr`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Json => "json",
            Self::Binary => "binary",
        }
    }

    /// Canonical file extension without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Json => "json",
            Self::Binary => "hbs",
        }
    }

    /// Format named by a `Content-Type` value. Parameters (`; charset=utf-8`)
    /// and case are ignored; `application/octet-stream` means binary because
    /// that is what generic HTTP clients send for a raw file.
    pub fn from_media_type(media_type: &str) -> Option<Self> {
        let essence = media_type.split(';').next().unwrap_or_default().trim();
        if essence.eq_ignore_ascii_case("text/csv") {
            Some(Self::Csv)
        } else if essence.eq_ignore_ascii_case("application/json") {
            Some(Self::Json)
        } else if essence.eq_ignore_ascii_case(BINARY_MEDIA_TYPE)
            || essence.eq_ignore_ascii_case("application/octet-stream")
        {
            Some(Self::Binary)
        } else {
            None
        }
    }

    /// Format named by a file's extension: `.csv`, `.json` or `.hbs`, each
    /// optionally followed by `.gz` (case-insensitive).
    pub fn from_path(path: &Path) -> Option<Self> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        let (_, ext) = name.rsplit_once('.')?;
        match ext {
            "csv" => Some(Self::Csv),
            "json" => Some(Self::Json),
            "hbs" => Some(Self::Binary),
            _ => None,
        }
    }
}

/// True when the file name ends in `.gz` (case-insensitive).
pub(crate) fn has_gz_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
}

impl FromStr for Format {
    type Err = UnknownFormat;

    /// Accepts `csv`, `json`, `binary` (and `hbs` as an alias), any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("csv") {
            Ok(Self::Csv)
        } else if s.eq_ignore_ascii_case("json") {
            Ok(Self::Json)
        } else if s.eq_ignore_ascii_case("binary") || s.eq_ignore_ascii_case("hbs") {
            Ok(Self::Binary)
        } else {
            Err(UnknownFormat(s.to_owned()))
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types() {
        assert_eq!(
            Format::from_media_type("text/csv; charset=UTF-8"),
            Some(Format::Csv)
        );
        assert_eq!(
            Format::from_media_type("Application/JSON"),
            Some(Format::Json)
        );
        assert_eq!(
            Format::from_media_type(BINARY_MEDIA_TYPE),
            Some(Format::Binary)
        );
        assert_eq!(
            Format::from_media_type("application/octet-stream"),
            Some(Format::Binary)
        );
        assert_eq!(Format::from_media_type("text/plain"), None);
        for f in Format::ALL {
            assert_eq!(Format::from_media_type(f.media_type()), Some(f));
            assert_eq!(f.as_str().parse::<Format>(), Ok(f));
        }
    }

    #[test]
    fn paths() {
        assert_eq!(
            Format::from_path(Path::new("a/ride.csv")),
            Some(Format::Csv)
        );
        assert_eq!(
            Format::from_path(Path::new("ride.JSON.gz")),
            Some(Format::Json)
        );
        assert_eq!(
            Format::from_path(Path::new("ride.hbs.gz")),
            Some(Format::Binary)
        );
        assert_eq!(Format::from_path(Path::new("ride.gz")), None);
        assert_eq!(Format::from_path(Path::new("ride.txt")), None);
        assert_eq!(Format::from_path(Path::new("csv")), None);
        assert!(has_gz_extension(Path::new("x.csv.GZ")));
        assert!("xml".parse::<Format>().is_err());
        assert_eq!(
            serde_json::to_string(&Format::Binary).ok().as_deref(),
            Some("\"binary\"")
        );
    }
}
