//! Quality over time: each metric's points, the horse's own baseline, the
//! slope, and the alerts raised when a value leaves the baseline.
//!
//! Each session is judged against the baseline of the sessions *before* it,
//! in start order, so adding a later session never changes an earlier
//! judgement and recomputing over the same sessions gives the same alerts.
//! A deviating value is kept out of later baselines, so that a developing
//! lameness does not become the new normal; while an alert is open its
//! baseline is frozen.

use crate::Session;
use crate::calendar::day_label;
use crate::config::TrendConfig;
use crate::document::{Alert, Baseline, Evidence, Latest, Metric, Point, Slope};
use crate::features::Gait;
use crate::stats::{robust, round, slope_ci};
use crate::workload::push_evidence;

/// What a metric measures, which decides its alert.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Cadence,
    Regularity,
    Elevation,
    MinDiff,
    MaxDiff,
}

/// One followed metric.
pub(crate) struct Def {
    pub(crate) id: &'static str,
    pub(crate) gait: Gait,
    kind: Kind,
}

impl Def {
    /// MinDiff or MaxDiff (measured on straight trot, not per gait).
    pub(crate) fn is_symmetry(&self) -> bool {
        matches!(self.kind, Kind::MinDiff | Kind::MaxDiff)
    }
}

const fn def(id: &'static str, gait: Gait, kind: Kind) -> Def {
    Def { id, gait, kind }
}

/// The metrics followed, in document order. Gallop is too rare in ordinary
/// riding for a baseline.
pub(crate) const METRICS: [Def; 11] = [
    def("walk.cadence_spm", Gait::Walk, Kind::Cadence),
    def("walk.regularity", Gait::Walk, Kind::Regularity),
    def("walk.elevation_cm", Gait::Walk, Kind::Elevation),
    def("trot.cadence_spm", Gait::Trot, Kind::Cadence),
    def("trot.regularity", Gait::Trot, Kind::Regularity),
    def("trot.elevation_cm", Gait::Trot, Kind::Elevation),
    def("trot.min_diff_mm", Gait::Trot, Kind::MinDiff),
    def("trot.max_diff_mm", Gait::Trot, Kind::MaxDiff),
    def("canter.cadence_spm", Gait::Canter, Kind::Cadence),
    def("canter.regularity", Gait::Canter, Kind::Regularity),
    def("canter.elevation_cm", Gait::Canter, Kind::Elevation),
];

impl Kind {
    fn unit(self) -> &'static str {
        match self {
            Kind::Cadence => "strides/min",
            Kind::Regularity => "0-1",
            Kind::Elevation => "cm",
            Kind::MinDiff | Kind::MaxDiff => "mm",
        }
    }

    fn decimals(self) -> i32 {
        match self {
            Kind::Regularity => 3,
            _ => 2,
        }
    }

    /// Smallest spread used, so that a horse with very steady figures does
    /// not get deviations of hundreds of spreads from measurement rounding.
    fn min_spread(self) -> f64 {
        match self {
            Kind::Cadence => 0.5,
            Kind::Regularity => 0.01,
            Kind::Elevation => 0.2,
            Kind::MinDiff | Kind::MaxDiff => 0.5,
        }
    }

    /// The alert of this metric: kind, floor of the threshold, two-sided.
    fn alert(self, cfg: &TrendConfig) -> Option<(&'static str, f64, bool)> {
        match self {
            Kind::MinDiff | Kind::MaxDiff => Some(("asymmetry", cfg.asymmetry_floor_mm, true)),
            Kind::Cadence => Some(("cadence_drop", cfg.cadence_floor_spm, false)),
            Kind::Regularity => Some(("regularity_drop", cfg.regularity_floor, false)),
            Kind::Elevation => None,
        }
    }
}

/// One value before judgement.
struct Raw {
    s: usize,
    value: f64,
    ci: Option<f64>,
    strides: u32,
    /// Straight-trot stretches behind a symmetry value (0 otherwise).
    stretches: u32,
}

fn raw_points(def: &Def, sessions: &[Session], cfg: &TrendConfig) -> Vec<Raw> {
    let mut out = Vec::new();
    for (i, s) in sessions.iter().enumerate() {
        if crate::exclusions::session_problem(s, cfg).is_some() {
            continue;
        }
        let point = match def.kind {
            Kind::MinDiff | Kind::MaxDiff => {
                s.f.symmetry
                    .as_ref()
                    .filter(|y| y.strides >= cfg.min_symmetry_strides)
                    .map(|y| {
                        let (v, ci) = if def.kind == Kind::MinDiff {
                            (y.min_diff_mm, y.min_diff_ci_mm)
                        } else {
                            (y.max_diff_mm, y.max_diff_ci_mm)
                        };
                        (v, ci, y.strides, y.stretches)
                    })
            }
            _ => {
                s.f.gait(def.gait)
                    .filter(|g| g.time_s >= cfg.min_gait_s)
                    .map(|g| {
                        let v = match def.kind {
                            Kind::Cadence => g.cadence_spm,
                            Kind::Regularity => g.regularity,
                            _ => g.elevation_cm,
                        };
                        (v, None, g.strides, 0)
                    })
            }
        };
        if let Some((value, ci, strides, stretches)) = point.filter(|p| p.0.is_finite()) {
            out.push(Raw {
                s: i,
                value,
                ci,
                strides,
                stretches,
            });
        }
    }
    out
}

/// The baseline from the usable points before `upto`, within the window
/// of days before `dayno`.
fn baseline(
    pts: &[Raw],
    usable: &[bool],
    upto: usize,
    dayno: i64,
    sessions: &[Session],
    kind: Kind,
    cfg: &TrendConfig,
) -> Option<Baseline> {
    let max = cfg.baseline_max_sessions as usize;
    let mut chosen: Vec<usize> = Vec::with_capacity(max);
    for k in (0..upto).rev() {
        let s = &sessions[pts[k].s];
        if dayno - s.dayno > i64::from(cfg.baseline_days) || chosen.len() == max {
            break;
        }
        if usable[k] {
            chosen.push(k);
        }
    }
    let mut days = 0u32;
    let mut last_day = None;
    for &k in &chosen {
        let d = sessions[pts[k].s].dayno;
        if last_day != Some(d) {
            days += 1;
            last_day = Some(d);
        }
    }
    if chosen.len() < cfg.baseline_min_sessions as usize || days < cfg.baseline_min_days {
        return None;
    }
    let values: Vec<f64> = chosen.iter().map(|&k| pts[k].value).collect();
    let (centre, spread) = robust(&values)?;
    let d = kind.decimals();
    Some(Baseline {
        centre: round(centre, d),
        spread: round(spread.max(kind.min_spread()), d + 1),
        sessions: chosen.len() as u32,
        days,
        from: sessions[pts[chosen[chosen.len() - 1]].s].key.clone(),
        to: sessions[pts[chosen[0]].s].key.clone(),
    })
}

/// Every metric with its points, baseline, slope and latest value, and the
/// alerts they raise.
pub fn metrics(sessions: &[Session], cfg: &TrendConfig) -> (Vec<Metric>, Vec<Alert>) {
    let mut metrics = Vec::with_capacity(METRICS.len());
    let mut alerts = Vec::new();
    for def in &METRICS {
        let pts = raw_points(def, sessions, cfg);
        let (m, a) = judge(def, &pts, sessions, cfg);
        metrics.push(m);
        alerts.extend(a);
    }
    (metrics, alerts)
}

/// Walks the points in order, judging each against the baseline before it.
fn judge(def: &Def, pts: &[Raw], sessions: &[Session], cfg: &TrendConfig) -> (Metric, Vec<Alert>) {
    let alert_rule = def.kind.alert(cfg);
    let d = def.kind.decimals();
    let mut usable = vec![false; pts.len()];
    let mut points = Vec::with_capacity(pts.len());
    let mut alerts = Vec::new();
    let mut open: Option<Alert> = None;
    let mut pending: Option<(usize, f64)> = None;
    for (i, p) in pts.iter().enumerate() {
        let s = &sessions[p.s];
        let base = match &open {
            Some(a) => a.baseline.clone(),
            None => baseline(pts, &usable, i, s.dayno, sessions, def.kind, cfg),
        };
        let Some(base) = base else {
            usable[i] = true;
            points.push(point(s, p, None, d));
            continue;
        };
        let diff = p.value - base.centre;
        let deviation = diff / base.spread;
        points.push(point(s, p, Some(deviation), d));
        let Some((kind, floor, two_sided)) = alert_rule else {
            usable[i] = true;
            continue;
        };
        let thr = (cfg.deviation_k * base.spread).max(floor);
        let signed = if two_sided { diff } else { diff.min(0.0) };
        let beyond = signed.abs() > thr;
        let ev = Evidence {
            at: s.key.clone(),
            value: round(p.value, d),
            deviation: Some(round(deviation, 2)),
        };
        if let Some(a) = open.as_mut() {
            if signed.abs() <= cfg.clear_fraction * thr || signed.signum() != a_sign(a) {
                a.status = "cleared".into();
                a.cleared_at = Some(s.key.clone());
                alerts.extend(open.take());
                usable[i] = true;
            } else {
                push_evidence(&mut a.evidence, ev);
                if signed.abs() >= 2.0 * thr {
                    a.severity = "high".into();
                }
            }
            continue;
        }
        if !beyond {
            pending = None;
            usable[i] = true;
            continue;
        }
        let strong = two_sided
            && p.strides >= cfg.confirm_strides
            && p.stretches >= 3
            && p.ci
                .is_some_and(|h| signed.abs() - h > cfg.confirm_strong_factor * thr);
        let confirmed_with = match pending {
            Some((j, sign))
                if sign == signed.signum()
                    && s.dayno - sessions[pts[j].s].dayno <= i64::from(cfg.confirm_days) =>
            {
                Some(j)
            }
            _ => None,
        };
        if confirmed_with.is_some() || strong {
            let first = confirmed_with.unwrap_or(i);
            let mut evidence = Vec::new();
            if let Some(j) = confirmed_with {
                let q = &pts[j];
                evidence.push(Evidence {
                    at: sessions[q.s].key.clone(),
                    value: round(q.value, d),
                    deviation: Some(round((q.value - base.centre) / base.spread, 2)),
                });
            }
            evidence.push(ev);
            let n = evidence.len();
            open = Some(Alert {
                id: format!("{kind}:{}:{}", def.id, sessions[pts[first].s].key),
                kind: kind.into(),
                metric: def.id.into(),
                severity: if signed.abs() >= 2.0 * thr {
                    "high"
                } else {
                    "moderate"
                }
                .into(),
                status: "open".into(),
                started_at: sessions[pts[first].s].key.clone(),
                confirmed_at: s.key.clone(),
                cleared_at: None,
                message: message(def, &base, p.value, sessions[pts[first].s].day, n),
                baseline: Some(base),
                threshold: round(thr, d + 1),
                evidence,
            });
            pending = None;
        } else {
            pending = Some((i, signed.signum()));
        }
    }
    alerts.extend(open.clone());
    let next_base = match &open {
        Some(a) => a.baseline.clone(),
        None => pts.last().and_then(|p| {
            baseline(
                pts,
                &usable,
                pts.len(),
                sessions[p.s].dayno,
                sessions,
                def.kind,
                cfg,
            )
        }),
    };
    let latest = points.last().map(|p: &Point| Latest {
        session: p.session.clone(),
        value: p.value,
        deviation: p.deviation,
    });
    let metric = Metric {
        metric: def.id.into(),
        gait: def.gait,
        unit: def.kind.unit().into(),
        slope: slope(pts, sessions, cfg, d),
        baseline: next_base,
        latest,
        points,
    };
    (metric, alerts)
}

/// Direction of an open alert (sign of its first evidence's deviation).
fn a_sign(a: &Alert) -> f64 {
    a.evidence
        .last()
        .and_then(|e| e.deviation)
        .map_or(0.0, f64::signum)
}

fn point(s: &Session, p: &Raw, deviation: Option<f64>, d: i32) -> Point {
    Point {
        session: s.key.clone(),
        value: round(p.value, d),
        ci: p.ci.map(|c| round(c, d)),
        strides: p.strides,
        deviation: deviation.map(|v| round(v, 2)),
    }
}

fn slope(pts: &[Raw], sessions: &[Session], cfg: &TrendConfig, d: i32) -> Option<Slope> {
    let last = sessions[pts.last()?.s].dayno;
    let recent: Vec<&Raw> = pts
        .iter()
        .filter(|p| last - sessions[p.s].dayno <= i64::from(cfg.slope_days))
        .collect();
    let mut days: Vec<i64> = recent.iter().map(|p| sessions[p.s].dayno).collect();
    days.dedup();
    if recent.len() < cfg.baseline_min_sessions as usize
        || days.len() < cfg.baseline_min_days as usize
    {
        return None;
    }
    let t0 = sessions[recent[0].s].ms;
    let x: Vec<f64> = recent
        .iter()
        .map(|p| (sessions[p.s].ms - t0) as f64 / (7.0 * 86_400_000.0))
        .collect();
    let y: Vec<f64> = recent.iter().map(|p| p.value).collect();
    let (b, lo, hi) = slope_ci(&x, &y)?;
    Some(Slope {
        per_week: round(b, d + 1),
        ci_low: round(lo, d + 1),
        ci_high: round(hi, d + 1),
        sessions: recent.len() as u32,
    })
}

fn message(def: &Def, base: &Baseline, value: f64, start: chrono::NaiveDate, n: usize) -> String {
    let since = day_label(start);
    let sessions = if n == 1 {
        "one session with many strides".to_owned()
    } else {
        format!("{n} sessions")
    };
    match def.kind {
        Kind::MinDiff | Kind::MaxDiff => format!(
            "The trot has become uneven: {} moved from the horse's usual {:+.1} mm (spread {:.1} mm) to {:+.1} mm \
             since {since}, seen in {sessions}. Sound horses vary about 3–4 mm from day to day; this is more. \
             Have the horse checked for lameness before hard work.",
            if def.kind == Kind::MinDiff {
                "MinDiff"
            } else {
                "MaxDiff"
            },
            base.centre,
            base.spread,
            value
        ),
        Kind::Cadence => format!(
            "{} cadence fell from the usual {:.1} to {:.1} strides/min since {since}, seen in {sessions}. \
             A slower, shorter stride can be a sign of stiffness, pain or fatigue.",
            crate::capitalised(def.gait.name()),
            base.centre,
            value
        ),
        Kind::Regularity => format!(
            "{} rhythm became less regular (from the usual {:.2} to {:.2}) since {since}, seen in {sessions}. \
             An irregular rhythm can be a sign of discomfort.",
            crate::capitalised(def.gait.name()),
            base.centre,
            value
        ),
        Kind::Elevation => String::new(),
    }
}
