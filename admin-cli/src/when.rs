//! Times and durations on the command line: `2h`, `30m`, `1h30m`, `7d`, or RFC 3339.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

/// Parses a duration such as `90s`, `30m`, `2h`, `1h30m`, `7d`, `1w`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let bad = || format!("`{s}` is not a duration (e.g. 90s, 30m, 2h, 1h30m, 7d)");
    if s.is_empty() {
        return Err(bad());
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit: u64 = match c {
            's' => 1,
            'm' => 60,
            'h' => 3_600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(bad()),
        };
        let n: u64 = digits.parse().map_err(|_| bad())?;
        digits.clear();
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
    }
    if !digits.is_empty() {
        // A bare number has no unit: ambiguous, refused.
        return Err(format!("`{s}` needs a unit (s, m, h, d or w), e.g. {s}m"));
    }
    // Past ~100 years is surely a typo, and chrono cannot subtract it anyway.
    if total > 100 * 365 * 86_400 {
        return Err(format!("`{s}` is too long"));
    }
    Ok(Duration::from_secs(total))
}

/// Parses a point in time: RFC 3339, or a duration meaning that long before `now`.
pub fn parse_when_at(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    match parse_duration(s) {
        Ok(d) => {
            let d = TimeDelta::from_std(d).map_err(|e| e.to_string())?;
            Ok(now - d)
        }
        Err(_) => Err(format!(
            "`{s}` is neither a duration before now (2h, 30m, 7d) nor an RFC 3339 time (2026-12-01T08:00:00Z)"
        )),
    }
}

/// [`parse_when_at`] relative to the current time (a clap value parser).
pub fn parse_when(s: &str) -> Result<DateTime<Utc>, String> {
    parse_when_at(s, Utc::now())
}

/// A short age: `42s ago`, `5m ago`, `3h ago`, `2d ago`.
pub fn age(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let s = (now - t).num_seconds();
    if s < 0 {
        return "just now".into();
    }
    match s {
        0..60 => format!("{s}s ago"),
        60..3_600 => format!("{}m ago", s / 60),
        3_600..86_400 => format!("{}h ago", s / 3_600),
        _ => format!("{}d ago", s / 86_400),
    }
}

/// A duration as people say it: `10m`, `1h30m`, `45s`.
pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    let (h, m, sec) = (s / 3_600, (s % 3_600) / 60, s % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if sec > 0 || out.is_empty() {
        out.push_str(&format!("{sec}s"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-12-02T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7_200)));
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1_800)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5_400)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(604_800)));
        assert_eq!(parse_duration("1w"), Ok(Duration::from_secs(604_800)));
        assert_eq!(parse_duration(" 5m "), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
    }

    #[test]
    fn bad_durations() {
        for s in [
            "",
            "2",
            "h",
            "2x",
            "-2h",
            "2.5h",
            "1h30",
            "m5",
            "99999999999999999999h",
            "200w0d0h0m0s0w9999w",
        ] {
            assert!(parse_duration(s).is_err(), "{s:?} accepted");
        }
        assert!(parse_duration("2").unwrap_err().contains("needs a unit"));
    }

    #[test]
    fn relative_times() {
        assert_eq!(
            parse_when_at("2h", now()).unwrap(),
            "2026-12-02T08:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(
            parse_when_at("30m", now()).unwrap(),
            "2026-12-02T09:30:00Z".parse::<DateTime<Utc>>().unwrap()
        );
    }

    #[test]
    fn rfc3339_times() {
        assert_eq!(
            parse_when_at("2026-12-01T08:00:00Z", now()).unwrap(),
            "2026-12-01T08:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        // An offset is converted to UTC.
        assert_eq!(
            parse_when_at("2026-12-01T09:00:00+01:00", now()).unwrap(),
            "2026-12-01T08:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        let e = parse_when_at("yesterday", now()).unwrap_err();
        assert!(e.contains("RFC 3339"), "{e}");
        assert!(parse_when_at("2026-12-01", now()).is_err());
    }

    #[test]
    fn ages_and_human() {
        let n = now();
        assert_eq!(age(n - TimeDelta::seconds(42), n), "42s ago");
        assert_eq!(age(n - TimeDelta::minutes(5), n), "5m ago");
        assert_eq!(age(n - TimeDelta::hours(3), n), "3h ago");
        assert_eq!(age(n - TimeDelta::days(2), n), "2d ago");
        assert_eq!(age(n + TimeDelta::seconds(2), n), "just now");
        assert_eq!(human(Duration::from_secs(600)), "10m");
        assert_eq!(human(Duration::from_secs(5_400)), "1h30m");
        assert_eq!(human(Duration::from_secs(0)), "0s");
    }
}
