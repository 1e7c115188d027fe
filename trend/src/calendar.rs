//! Days, ISO weeks and session keys. Days are UTC calendar days: the
//! document never depends on the machine's time zone.

use chrono::{DateTime, Datelike, Duration, NaiveDate, SecondsFormat, Utc};

/// RFC 3339 with milliseconds, the way sessions are named in the document.
pub fn timestamp(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// UTC day of a Unix millisecond timestamp.
pub fn day_of(ms: i64) -> NaiveDate {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .date_naive()
}

/// `2026-11-26`.
pub fn day_label(d: NaiveDate) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

/// Monday of the ISO week of `d`.
pub fn week_start(d: NaiveDate) -> NaiveDate {
    d - Duration::days(i64::from(d.weekday().num_days_from_monday()))
}

/// `2026-W48`.
pub fn week_label(d: NaiveDate) -> String {
    let w = d.iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}

/// Whole days from `a` to `b`.
pub fn days_between(a: NaiveDate, b: NaiveDate) -> i64 {
    (b - a).num_days()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_weeks_cross_years() {
        let d = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(); // a Friday
        assert_eq!(week_label(d), "2026-W53");
        assert_eq!(day_label(week_start(d)), "2026-12-28");
        assert_eq!(timestamp(1_764_147_600_123), "2025-11-26T09:00:00.123Z");
    }
}
