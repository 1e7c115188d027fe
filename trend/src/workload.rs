//! Workload: daily load, acute:chronic ratio, monotony and strain; jump load;
//! the workload-spike and jump-overload alerts.
//!
//! *Daily load* is the sum of the day's sessions' gait-weighted minutes
//! (walk 1, trot 2, canter 3, gallop 4 per minute): a horse's analogue of
//! session-RPE × minutes. Rest days count as 0.
//!
//! *Ratio variant*: exponentially weighted moving averages (Williams et al.
//! 2017, Br J Sports Med 51:209), λ = 2/(N+1) with N = 7 (acute) and 28
//! (chronic), both seeded with the mean daily load of the first 7 days. We
//! use EWMA rather than rolling averages because it weighs recent days more
//! (the effect of a load decays), it does not jump when a hard day leaves the
//! window, and it avoids the spurious coupling of a 7-day average nested in
//! a 28-day one (Lolli et al. 2019, Br J Sports Med 53:921). The plain 7- and
//! 28-day sums are given beside it, exact, for anyone who prefers them.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};

use crate::Session;
use crate::calendar::{day_label, days_between, week_label, week_start};
use crate::config::TrendConfig;
use crate::document::{Alert, Evidence, JumpCount, JumpLoad, Workload, WorkloadDay, WorkloadWeek};
use crate::stats::round;

/// Short description of the ratio stored in the document.
pub const VARIANT: &str = "ewma-7-28";

/// The workload series and the workload-spike alerts.
pub fn workload(sessions: &[Session], cfg: &TrendConfig) -> (Workload, Vec<Alert>) {
    let (Some(first), Some(last)) = (sessions.first(), sessions.last()) else {
        return (
            Workload {
                variant: VARIANT.into(),
                ..Workload::default()
            },
            Vec::new(),
        );
    };
    let (d0, d1) = (first.day, last.day);
    let span = days_between(d0, d1) as usize + 1;
    let mut loads = vec![0.0f64; span];
    for s in sessions {
        loads[days_between(d0, s.day) as usize] += s.f.load;
    }
    let la = 2.0 / (f64::from(cfg.acute_days) + 1.0);
    let lc = 2.0 / (f64::from(cfg.chronic_days) + 1.0);
    let seed_days = (cfg.acute_days as usize).clamp(1, span);
    let seed = loads[..seed_days].iter().sum::<f64>() / seed_days as f64;
    let (mut acute, mut chronic) = (seed, seed);
    let (mut r7, mut r28) = (0.0, 0.0);
    let mut daily = Vec::with_capacity(span);
    let mut alerts = Vec::new();
    let mut open: Option<Alert> = None;
    for (i, &load) in loads.iter().enumerate() {
        let date = day_label(d0 + Duration::days(i as i64));
        acute = la * load + (1.0 - la) * acute;
        chronic = lc * load + (1.0 - lc) * chronic;
        r7 += load - if i >= 7 { loads[i - 7] } else { 0.0 };
        r28 += load - if i >= 28 { loads[i - 28] } else { 0.0 };
        let ratio = (i + 1 >= cfg.chronic_days as usize && chronic >= cfg.min_chronic_load)
            .then(|| acute / chronic);
        let flag = ratio.and_then(|r| {
            if r > cfg.acwr_spike {
                Some("spike")
            } else if r > cfg.acwr_high {
                Some("high")
            } else if r < cfg.acwr_low {
                Some("low")
            } else {
                None
            }
        });
        if let Some(r) = ratio {
            track_spike(&mut open, &mut alerts, &date, r, cfg);
        }
        daily.push(WorkloadDay {
            date,
            load: round(load, 2),
            rolling_7d: round(r7, 2),
            rolling_28d: round(r28, 2),
            acute: round(acute, 2),
            chronic: round(chronic, 2),
            ratio: ratio.map(|r| round(r, 3)),
            flag: flag.map(str::to_owned),
        });
    }
    alerts.extend(open);
    let weekly = weeks(&loads, d0, d1);
    (
        Workload {
            variant: VARIANT.into(),
            daily,
            weekly,
        },
        alerts,
    )
}

fn track_spike(
    open: &mut Option<Alert>,
    alerts: &mut Vec<Alert>,
    date: &str,
    ratio: f64,
    cfg: &TrendConfig,
) {
    let ev = Evidence {
        at: date.to_owned(),
        value: round(ratio, 3),
        deviation: None,
    };
    match open {
        Some(a) if ratio <= cfg.acwr_high => {
            a.status = "cleared".into();
            a.cleared_at = Some(date.to_owned());
            alerts.extend(open.take());
        }
        Some(a) => {
            if ratio > cfg.acwr_high {
                push_evidence(&mut a.evidence, ev);
            }
            if ratio > 2.0 {
                a.severity = "high".into();
            }
        }
        None if ratio > cfg.acwr_spike => {
            *open = Some(Alert {
                id: format!("workload_spike:acwr:{date}"),
                kind: "workload_spike".into(),
                metric: "acwr".into(),
                severity: if ratio > 2.0 { "high" } else { "moderate" }.into(),
                status: "open".into(),
                started_at: date.to_owned(),
                confirmed_at: date.to_owned(),
                cleared_at: None,
                message: format!(
                    "Workload jumped on {date}: the last week's load is {ratio:.1}× what the horse is used to \
                     (safe band {:.1}–{:.1}). Build up more gradually over the coming days.",
                    cfg.acwr_low, cfg.acwr_high
                ),
                baseline: None,
                threshold: cfg.acwr_spike,
                evidence: vec![ev],
            });
        }
        None => {}
    }
}

/// Keeps the 20 most recent values behind an alert.
pub(crate) fn push_evidence(list: &mut Vec<Evidence>, e: Evidence) {
    list.push(e);
    if list.len() > 20 {
        list.remove(0);
    }
}

fn weeks(loads: &[f64], d0: NaiveDate, d1: NaiveDate) -> Vec<WorkloadWeek> {
    let mut out = Vec::new();
    let mut ws = week_start(d0);
    while ws <= d1 {
        let days: Vec<Option<f64>> = (0..7)
            .map(|k| {
                let d = ws + Duration::days(k);
                (d >= d0 && d <= d1).then(|| loads[days_between(d0, d) as usize])
            })
            .collect();
        let partial = days.iter().any(Option::is_none);
        let vals: Vec<f64> = days.iter().flatten().copied().collect();
        let load: f64 = vals.iter().sum();
        let monotony = (!partial).then(|| {
            let mean = load / 7.0;
            let sd = (vals.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 6.0).sqrt();
            (sd > 1e-9).then(|| mean / sd)
        });
        let monotony = monotony.flatten();
        out.push(WorkloadWeek {
            week: week_label(ws),
            start: day_label(ws),
            load: round(load, 2),
            monotony: monotony.map(|m| round(m, 3)),
            strain: monotony.map(|m| round(load * m, 1)),
            partial,
        });
        ws += Duration::days(7);
    }
    out
}

/// Jumps per session and per week, with the jump-overload alerts.
pub fn jumps(sessions: &[Session], cfg: &TrendConfig) -> (JumpLoad, Vec<Alert>) {
    let mut load = JumpLoad::default();
    let mut alerts = Vec::new();
    let mut weeks: BTreeMap<NaiveDate, u32> = BTreeMap::new();
    for (i, s) in sessions.iter().enumerate() {
        *weeks.entry(week_start(s.day)).or_default() += s.f.jumps;
        if s.f.jumps == 0 {
            continue;
        }
        let over = s.f.jumps > cfg.jumps_per_session_limit;
        load.sessions.push(JumpCount {
            at: s.key.clone(),
            jumps: s.f.jumps,
            over_limit: over,
        });
        if over {
            let cleared = sessions[i + 1..]
                .iter()
                .find(|n| n.f.jumps <= cfg.jumps_per_session_limit)
                .map(|n| n.key.clone());
            alerts.push(overload(
                "session",
                &s.key,
                s.f.jumps,
                cfg.jumps_per_session_limit,
                cleared,
            ));
        }
    }
    let list: Vec<(NaiveDate, u32)> = weeks.into_iter().collect();
    for (k, &(ws, n)) in list.iter().enumerate() {
        if n == 0 {
            continue;
        }
        let over = n > cfg.jumps_per_week_limit;
        load.weekly.push(JumpCount {
            at: week_label(ws),
            jumps: n,
            over_limit: over,
        });
        if over {
            // Weeks without sessions are under the limit too.
            let next = ws + Duration::days(7);
            let cleared = match list.get(k + 1) {
                Some(&(w, m)) if w == next && m > cfg.jumps_per_week_limit => list[k + 1..]
                    .iter()
                    .find(|(_, m)| *m <= cfg.jumps_per_week_limit)
                    .map(|(w, _)| week_label(*w)),
                Some(_) => Some(week_label(next)),
                None => None,
            };
            alerts.push(overload(
                "week",
                &week_label(ws),
                n,
                cfg.jumps_per_week_limit,
                cleared,
            ));
        }
    }
    (load, alerts)
}

fn overload(scope: &str, at: &str, n: u32, limit: u32, cleared: Option<String>) -> Alert {
    let what = if scope == "session" {
        format!("the session of {at}")
    } else {
        format!("week {at}")
    };
    Alert {
        id: format!("jump_overload:jumps_per_{scope}:{at}"),
        kind: "jump_overload".into(),
        metric: format!("jumps_per_{scope}"),
        severity: if n > 2 * limit { "high" } else { "moderate" }.into(),
        status: if cleared.is_some() { "cleared" } else { "open" }.into(),
        started_at: at.to_owned(),
        confirmed_at: at.to_owned(),
        cleared_at: cleared,
        message: format!(
            "{} had {n} jumps, more than the limit of {limit}. Give the horse's legs an easier time before jumping again.",
            crate::capitalised(&what)
        ),
        baseline: None,
        threshold: f64::from(limit),
        evidence: vec![Evidence {
            at: at.to_owned(),
            value: f64::from(n),
            deviation: None,
        }],
    }
}
