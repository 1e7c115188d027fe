//! A view of a trend document over a date window at one granularity, as
//! `GET /v1/horses/{id}/trends?from=&to=&granularity=` returns it. The
//! baselines, slopes and latest values stay those of the whole history.

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::document::TrendDocument;

/// Day or ISO-week series.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    #[default]
    Day,
    Week,
}

/// A closed range of UTC days; either end may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// The first day a label names: `2026-11-26`, a timestamp starting with a
/// date, or an ISO week `2026-W48` (its Monday).
pub fn first_day(label: &str) -> Option<NaiveDate> {
    if let Some(d) = label
        .get(..10)
        .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
    {
        return Some(d);
    }
    NaiveDate::parse_from_str(&format!("{label}-1"), "%G-W%V-%u").ok()
}

impl Window {
    /// The period [start, start + days) overlaps the window. Labels that
    /// name no date are kept.
    fn overlaps(&self, label: &str, days: i64) -> bool {
        let Some(start) = first_day(label) else {
            return true;
        };
        let end = start + Duration::days(days - 1);
        self.from.is_none_or(|f| end >= f) && self.to.is_none_or(|t| start <= t)
    }

    fn day(&self, label: &str) -> bool {
        self.overlaps(label, 1)
    }

    fn week(&self, label: &str) -> bool {
        self.overlaps(label, 7)
    }
}

impl TrendDocument {
    /// The document restricted to a window, with only one granularity's
    /// series when one is named (both otherwise). Alerts are kept when their
    /// episode overlaps the window.
    pub fn window(&self, w: Window, g: Option<Granularity>) -> TrendDocument {
        let mut d = self.clone();
        d.volume.daily.retain(|v| w.day(&v.start));
        d.workload.daily.retain(|v| w.day(&v.date));
        d.volume.weekly.retain(|v| w.week(&v.start));
        d.workload.weekly.retain(|v| w.week(&v.start));
        d.jumps.weekly.retain(|j| w.week(&j.at));
        match g {
            None => {}
            Some(Granularity::Day) => {
                d.volume.weekly.clear();
                d.workload.weekly.clear();
                d.jumps.weekly.clear();
            }
            Some(Granularity::Week) => {
                d.volume.daily.clear();
                d.workload.daily.clear();
            }
        }
        d.jumps.sessions.retain(|j| w.day(&j.at));
        for m in &mut d.quality {
            m.points.retain(|p| w.day(&p.session));
        }
        d.exclusions.retain(|e| w.day(&e.session));
        d.alerts.retain(|a| {
            let started = first_day(&a.started_at);
            let ended = a.cleared_at.as_deref().and_then(first_day);
            w.to.is_none_or(|t| started.is_none_or(|s| s <= t))
                && w.from.is_none_or(|f| ended.is_none_or(|e| e >= f))
        });
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_name_days() {
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        assert_eq!(first_day("2026-11-26"), d("2026-11-26"));
        assert_eq!(first_day("2026-11-26T09:00:00.000Z#2"), d("2026-11-26"));
        assert_eq!(first_day("2026-W48"), d("2026-11-23"));
        assert_eq!(first_day("2026-W53"), d("2026-12-28"));
        assert_eq!(first_day("nonsense"), None);
    }
}
