//! The job filter fields both console forms share (the job list's GET form
//! and bulk replay's): read from the browser's fields the same way (an
//! empty field is no filter, a bad one is named for a person), and shown by
//! one template include (`console/filter_fields.html`). Status differs
//! between the two forms (bulk replay takes dead or retrying jobs only), so
//! each form keeps its own.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;

use crate::routes::admin::filter::JobFilter;
use crate::routes::admin::{JobKind, JobStatus};

/// The shared fields as the browser sends them; flattened into each form.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct FilterFields {
    pub kind: String,
    pub error: String,
    pub since: String,
    pub until: String,
    pub horse_id: String,
    pub session_id: String,
    pub algorithm_version: String,
}

/// The shared fields, read.
#[derive(Debug, Default, PartialEq)]
pub struct Filter {
    pub kind: Option<JobKind>,
    pub error: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub horse_id: Option<Uuid>,
    pub session_id: Option<Uuid>,
    pub algorithm_version: Option<String>,
}

impl Filter {
    /// The admin API's filter: these fields with the form's own status and
    /// bulk replay id.
    pub fn job_filter(self, status: Option<JobStatus>, replay_id: Option<i64>) -> JobFilter {
        JobFilter {
            status,
            kind: self.kind,
            error: self.error,
            since: self.since,
            until: self.until,
            horse_id: self.horse_id,
            session_id: self.session_id,
            algorithm_version: self.algorithm_version,
            replay_id,
        }
    }
}

impl FilterFields {
    /// The filter these fields describe, or what is wrong with them.
    pub fn read(&self) -> Result<Filter, String> {
        let kind = match self.kind.trim() {
            "" => None,
            "analyze_session" => Some(JobKind::AnalyzeSession),
            "compute_trend" => Some(JobKind::ComputeTrend),
            _ => return Err("Kind: analyze_session or compute_trend".into()),
        };
        Ok(Filter {
            kind,
            error: text("Error contains", &self.error, 200)?,
            since: time("Changed since", &self.since)?,
            until: time("Changed before", &self.until)?,
            horse_id: id("Horse", &self.horse_id)?,
            session_id: id("Session", &self.session_id)?,
            algorithm_version: text("Algorithm version", &self.algorithm_version, 100)?,
        })
    }

    /// The fields by name, in the form's order (for links that carry them).
    pub fn pairs(&self) -> [(&'static str, &str); 7] {
        [
            ("kind", &self.kind),
            ("error", &self.error),
            ("since", &self.since),
            ("until", &self.until),
            ("horse_id", &self.horse_id),
            ("session_id", &self.session_id),
            ("algorithm_version", &self.algorithm_version),
        ]
    }
}

/// A time from the form: RFC 3339, or a `datetime-local` value read as UTC.
fn time(field: &str, value: &str) -> Result<Option<DateTime<Utc>>, String> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(v, f).ok())
        .map(|t| Some(t.and_utc()))
        .ok_or_else(|| format!("{field}: not a date and time (YYYY-MM-DDTHH:MM, UTC)"))
}

fn id(field: &str, value: &str) -> Result<Option<Uuid>, String> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    Uuid::parse_str(v)
        .map(Some)
        .map_err(|_| format!("{field}: not an id"))
}

fn text(field: &str, value: &str, max_chars: usize) -> Result<Option<String>, String> {
    let v = value.trim();
    if v.chars().count() > max_chars {
        return Err(format!("{field}: at most {max_chars} characters"));
    }
    Ok((!v.is_empty()).then(|| v.to_owned()))
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_fields_are_no_filter_and_bad_ones_are_named() {
        assert_eq!(FilterFields::default().read().unwrap(), Filter::default());
        let f = FilterFields {
            kind: " compute_trend ".into(),
            since: "2026-12-03T09:30".into(),
            until: "2026-12-03T10:00:00Z".into(),
            ..FilterFields::default()
        };
        let r = f.read().unwrap();
        assert_eq!(r.kind, Some(JobKind::ComputeTrend));
        assert_eq!(r.since.unwrap().to_rfc3339(), "2026-12-03T09:30:00+00:00");
        assert_eq!(r.until.unwrap().to_rfc3339(), "2026-12-03T10:00:00+00:00");
        for (field, value, says) in [
            ("kind", "x", "Kind"),
            ("since", "yesterday", "Changed since"),
            ("horse_id", "h1", "Horse"),
            ("error", &"e".repeat(201), "Error contains"),
        ] {
            let mut f = FilterFields::default();
            *match field {
                "kind" => &mut f.kind,
                "since" => &mut f.since,
                "horse_id" => &mut f.horse_id,
                _ => &mut f.error,
            } = value.to_owned();
            let e = f.read().unwrap_err();
            assert!(e.starts_with(says), "{field}: {e}");
        }
    }
}
