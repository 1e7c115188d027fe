//! Jump detection from the magnitude of the specific force, which does not
//! depend on the mount, as a whole pattern: a take-off stance (peak above
//! body weight, ≥ 1.05 g), an airborne phase (≥ 0.16 s below 0.4 g, brief
//! excursions of ≤ 0.1 s under 0.7 g bridged: a limb touching or the limb
//! swing's internal forces, never a stance, which carries body weight) and a
//! landing impact (≥ 1.8 g: the vertical velocity g·T/2 gathered in the air
//! is stopped within one short stance). Normal canter suspension dips toward
//! 0 g for well under 0.16 s.
//!
//! **Flight time** is the interval without ground contact (ground-reaction
//! force 0): from the end of the last take-off contact to the first landing
//! contact. The take-off push ends where its force reaches the in-flight
//! baseline; if a light lobe (≥ baseline + 0.2 g, ≤ 0.15 s) rises within
//! 0.06 s of that — the trailing hind limb still pushing — the flight starts
//! where that lobe ends. Symmetrically, a light lobe ending within 0.06 s of
//! the impact onset is the leading forelimb touching, and the flight ends
//! where it starts. Each edge is placed where the straight line through the
//! force's crossings of two levels above the baseline (0.25 and 0.6 g for a
//! stance, 0.1 and 0.2 g for a light contact) reaches the baseline, which
//! removes the ramp bias of a fixed threshold. The baseline is the lower
//! quartile of the airborne samples (the pitch rotation's centripetal term;
//! internal forces oscillate around it).
//!
//! A stance ending *onto* the baseline never crosses it (at a girth below
//! the centre of mass the rotation's term points up, like the ground's
//! push). If the ramp's lowest sample lies more than 0.05 g *under* it, the
//! stance's own force was still falling there and the rotation's term came
//! in with the take-off: the contact ends where the same line reaches 0,
//! kept within half a sample of that lowest sample (a resampled sample there
//! mixes the ramp's end with the in-flight force); likewise for a landing
//! impact rising from under the baseline. A trailing contact ends at the
//! latest at the bottom of the trough after it (parabolic vertex): the limb
//! swing's internal forces can lift the force again before it reaches the
//! lower level.
//!
//! *Since aggregation/1.4.0* the pattern is found on the 50 Hz grid but the
//! edges are placed on the recording's own samples wherever resampling
//! interpolated them (input ≤ 100 Hz; faster input is box-averaged onto the
//! grid, which resolves the edges and keeps the noise down): a linear
//! interpolation between the last stance sample and the first in-flight one
//! cuts the corner, and a line through it puts the edge up to a sample
//! away (40 ms at 25 Hz). On those samples a stance's line is fitted to the
//! ramp's samples between 0.25 and 0.6 g above the baseline (nearly
//! straight there), or, when the ramp is too fast for two of them, goes
//! through the band's sample and its neighbour on the ramp — never through
//! a sample at the baseline; it may not pass above a sample that shows no
//! contact. A lobe that ends the low run but never reaches body weight is a
//! limb contact that rose over 0.7 g (a hind limb still pushing, a forelimb
//! touching), not the stance: the flight starts (ends) at its edge and no
//! further contact is searched for — the limb swing's internal forces after
//! it would pass for one (the cause of every jump missed on seeds 7 and 99).

use ndarray::ArrayView1;
use shared::sensor::Recording;

use crate::samples::Samples;

use crate::filter::sub;
use crate::resample::FS;

const G: f64 = 9.80665;

/// A flight found in one segment (times as fractional sample indexes).
#[derive(Debug, Clone, Copy)]
pub struct Flight {
    pub takeoff: f64,
    pub landing: f64,
}

/// The recording's own samples around a flight: |specific force| (m/s²)
/// and times in grid units (fractional indexes of the segment's 50 Hz grid).
#[derive(Debug, Clone, Default)]
pub struct RawWindow {
    pub t: Vec<f64>,
    pub a: Vec<f64>,
}

/// The recording's samples whose grid positions (in the segment starting
/// `start_s` after the first sample) lie in `lo..=hi`, when resampling
/// interpolated them (input at most 2 × [`FS`]: every input sample is a
/// sample of the force; the grid's linear interpolation between two of them
/// cuts the corner where a stance meets the flight). Faster input is box
/// averaged onto the grid, which already resolves the edges and keeps the
/// noise down: `None` then, and the grid is used.
pub fn raw_window(rec: &Recording, start_s: f64, lo: f64, hi: f64) -> Option<RawWindow> {
    raw_window_samples(&Samples::from(rec), start_s, lo, hi)
}

/// [`raw_window`] on borrowed columns.
pub fn raw_window_samples(rec: &Samples<'_>, start_s: f64, lo: f64, hi: f64) -> Option<RawWindow> {
    let t0 = *rec.t.first()?;
    let at = |g: f64| t0 + start_s + g / FS;
    let a = rec.t.partition_point(|&t| t < at(lo));
    let b = rec.t.partition_point(|&t| t <= at(hi));
    if b < a + 3 {
        return None;
    }
    let mut dts: Vec<f64> = rec.t[a..b].windows(2).map(|w| w[1] - w[0]).collect();
    let mid = dts.len() / 2;
    let (_, &mut dt, _) = dts.select_nth_unstable_by(mid, f64::total_cmp);
    if dt < 0.5 / FS {
        return None;
    }
    let [x, y, z] = &rec.acc;
    Some(RawWindow {
        t: rec.t[a..b]
            .iter()
            .map(|&t| (t - t0 - start_s) * FS)
            .collect(),
        a: (a..b)
            .map(|k| (x[k] * x[k] + y[k] * y[k] + z[k] * z[k]).sqrt())
            .collect(),
    })
}

/// Samples of |specific force| with their times in grid units: the grid
/// itself (time = index) or a [`RawWindow`].
#[derive(Clone, Copy)]
struct Series<'a> {
    t: Option<&'a [f64]>,
    a: &'a [f64],
}

impl Series<'_> {
    fn len(&self) -> usize {
        self.a.len()
    }

    fn t(&self, i: usize) -> f64 {
        self.t.map_or(i as f64, |t| t[i])
    }

    /// First index whose time is at or after `x` (`len` if none).
    fn at(&self, x: f64) -> usize {
        match self.t {
            Some(t) => t.partition_point(|&v| v < x),
            None => (x.max(0.0).ceil() as usize).min(self.len()),
        }
    }

    /// Last index whose time is at or before `x` (0 if none).
    fn upto(&self, x: f64) -> usize {
        match self.t {
            Some(t) => t.partition_point(|&v| v <= x).saturating_sub(1),
            None => (x.max(0.0).floor() as usize).min(self.len() - 1),
        }
    }
}

/// Time where `s` crosses `level` between `i` and `i+1` (linear).
fn cross(s: Series, i: usize, level: f64) -> f64 {
    let (x0, x1) = (s.a[i], s.a[i + 1]);
    let (t0, t1) = (s.t(i), s.t(i + 1));
    if (x1 - x0).abs() < 1e-12 {
        t0
    } else {
        t0 + ((level - x0) / (x1 - x0)).clamp(0.0, 1.0) * (t1 - t0)
    }
}

/// Levels (above the in-flight baseline, in g) of the band whose samples
/// place a stance's edge: the take-off push and the landing impact.
const STANCE_LEVELS: (f64, f64) = (0.25, 0.6);
/// Same for a light limb contact in the air (a trailing hind limb still
/// pushing, a leading forelimb touching before the impact).
const CONTACT_LEVELS: (f64, f64) = (0.1, 0.2);

/// The straight line a(t) = a0 + slope·(t − t0) along a contact's ramp.
#[derive(Debug, Clone, Copy)]
struct Line {
    t0: f64,
    a0: f64,
    slope: f64,
}

impl Line {
    fn time_at(&self, level: f64) -> f64 {
        self.t0 + (level - self.a0) / self.slope
    }

    /// Least squares through the samples `idx` of `s` (at least two).
    fn fit(s: Series, idx: impl Iterator<Item = usize> + Clone) -> Option<Line> {
        let n = idx.clone().count() as f64;
        let (mt, ma) = idx
            .clone()
            .fold((0.0, 0.0), |(st, sa), i| (st + s.t(i), sa + s.a[i]));
        let (mt, ma) = (mt / n, ma / n);
        let (sxy, sxx) = idx.fold((0.0, 0.0), |(sxy, sxx), i| {
            let dt = s.t(i) - mt;
            (sxy + dt * (s.a[i] - ma), sxx + dt * dt)
        });
        (n >= 2.0 && sxx > 0.0).then(|| Line {
            t0: mt,
            a0: ma,
            slope: sxy / sxx,
        })
    }
}

/// The line along a contact's ramp and the instant it reaches `base` — where
/// the ground-reaction force vanishes. `k` is the ramp's sample nearest the
/// flight at or above `base + lo`; `away` = −1 when the ramp lies before the
/// flight (a contact ending), +1 after it (a contact starting).
///
/// The line is fitted to the ramp's samples in the band `base + lo` to
/// `base + hi`, where a stance's force is still nearly straight; when the
/// samples are too sparse for two in the band (a stance ramp lasts
/// ~20–50 ms, one sample at 25–30 Hz), it goes through the sample in the
/// band and its neighbour on the ramp: the one toward the flight if that is
/// still clearly above the baseline (≥ 0.4·lo), else the next one up. Never
/// the last sample at the baseline: a line from it across the corner puts
/// the edge up to a sample away. The instant is kept at or beyond the
/// flight's last sample at the baseline (within 0.2·lo of it) — the line
/// must not pass above a sample that shows no contact — and not inside the
/// samples used.
fn ramp_line(
    s: Series,
    k: usize,
    away: isize,
    base: f64,
    (lo, hi): (f64, f64),
) -> Option<(Line, f64)> {
    let n = s.len() as isize;
    let step = |i: usize, d: isize| -> Option<usize> {
        let j = i as isize + d;
        (0..n).contains(&j).then_some(j as usize)
    };
    let (l1, l2) = (base + lo * G, base + hi * G);
    let reach = 0.15 * FS;
    let mut band = vec![k];
    let mut j = k;
    while let Some(nx) = step(j, away) {
        if s.a[nx] >= l2 || (s.t(nx) - s.t(k)).abs() > reach {
            break;
        }
        band.push(nx);
        j = nx;
    }
    let line = if band.len() >= 2 {
        Line::fit(s, band.iter().copied())?
    } else {
        // The neighbour toward the flight, if still on the ramp: clearly
        // above the baseline and not the trough before another lobe.
        let toward = step(k, -away).filter(|&i| {
            s.a[i] >= base + 0.4 * lo * G && step(i, -away).is_none_or(|b| s.a[b] <= s.a[i])
        });
        let pair = match toward {
            Some(i) => [i, k],
            None => [k, step(k, away)?],
        };
        band = pair.to_vec();
        Line::fit(s, pair.into_iter())?
    };
    // The slope must rise away from the flight.
    if line.slope * away as f64 <= 0.0 {
        return None;
    }
    let mut edge = line.time_at(base);
    let nearest = band.iter().map(|&i| s.t(i)).fold(
        if away > 0 {
            f64::INFINITY
        } else {
            f64::NEG_INFINITY
        },
        |m, t| {
            if away > 0 { m.min(t) } else { m.max(t) }
        },
    );
    // The flight's last sample at the baseline before the ramp (toward the flight).
    let delta = 0.2 * lo * G;
    let mut i = k;
    let mut flat = None;
    while let Some(nx) = step(i, -away) {
        if s.a[nx] < base + delta {
            flat = Some(nx);
            break;
        }
        if (s.t(nx) - s.t(k)).abs() > reach {
            break;
        }
        i = nx;
    }
    if let Some(f) = flat {
        let bound = s.t(f) - delta / line.slope;
        edge = if away > 0 {
            edge.max(bound)
        } else {
            edge.min(bound)
        };
    }
    edge = if away > 0 {
        edge.min(nearest)
    } else {
        edge.max(nearest)
    };
    // A line that leaves the band by more than 0.05 s is not a ramp.
    let t_lo = match step(k, -away) {
        Some(i) if away > 0 => cross(s, i, l1),
        Some(_) => cross(s, k, l1),
        None => s.t(k),
    };
    Some((
        line,
        if (edge - t_lo).abs() <= 0.05 * FS {
            edge
        } else {
            t_lo
        },
    ))
}

/// The line through the ramp's crossings of `base + lo` (next to sample
/// `k`, toward the flight) and `base + hi` (walking away from the flight,
/// within 0.15 s), and where it reaches `base` if that is within 0.05 s of
/// the first crossing (else that crossing): the edge on the grid, where a
/// sample near the corner is an average or an interpolation across it.
fn crossing_line(
    s: Series,
    k: usize,
    away: isize,
    base: f64,
    (lo, hi): (f64, f64),
) -> (Option<Line>, f64) {
    let (l1, l2) = (base + lo * G, base + hi * G);
    let n = s.len();
    let toward = |i: usize| {
        if away > 0 {
            i.checked_sub(1)
        } else {
            (i + 1 < n).then_some(i + 1)
        }
    };
    let seg = |i: usize, j: usize| if i < j { (i, j) } else { (j, i) };
    let Some(kt) = toward(k) else {
        return (None, s.t(k));
    };
    let t1 = cross(s, seg(k, kt).0, l1);
    let mut j = k;
    loop {
        if s.a[j] >= l2 {
            break;
        }
        let nx = j as isize + away;
        if !(0..n as isize).contains(&nx) || (s.t(nx as usize) - s.t(k)).abs() > 0.15 * FS {
            return (None, t1);
        }
        j = nx as usize;
    }
    let Some(jt) = toward(j) else {
        return (None, t1);
    };
    let t2 = cross(s, seg(j, jt).0, l2);
    if t1 == t2 {
        return (None, t1);
    }
    let line = Line {
        t0: t1,
        a0: l1,
        slope: (l2 - l1) / (t2 - t1),
    };
    let ext = line.time_at(base);
    (
        Some(line),
        if (ext - t1).abs() <= 0.05 * FS {
            ext
        } else {
            t1
        },
    )
}

/// The line along a contact's ramp and its edge: [`ramp_line`] for a stance
/// on the recording's own samples, else [`crossing_line`] (the grid, and
/// the light contacts, whose band of 0.1–0.2 g is too narrow for a fit).
fn edge_line(
    s: Series,
    k: usize,
    away: isize,
    base: f64,
    levels: (f64, f64),
) -> (Option<Line>, f64) {
    if s.t.is_some()
        && levels == STANCE_LEVELS
        && let Some((line, edge)) = ramp_line(s, k, away, base, levels)
    {
        return (Some(line), edge);
    }
    crossing_line(s, k, away, base, levels)
}

/// Falling edge of a force lobe ending before index `start` (first sample
/// below `base + lo`), searched back at most `reach_s`.
fn falling_edge(
    s: Series,
    start: usize,
    base: f64,
    levels: (f64, f64),
    reach_s: f64,
) -> Option<f64> {
    let l1 = base + levels.0 * G;
    let start = start.min(s.len() - 1);
    let lim = s.at(s.t(start) - reach_s * FS);
    let mut i = start;
    while i > lim && s.a[i - 1] < l1 {
        i -= 1;
    }
    if i == 0 || s.a[i - 1] < l1 {
        return None;
    }
    Some(edge_line(s, i - 1, -1, base, levels).1)
}

/// Rising edge of a force lobe starting after index `end` (first sample
/// back above `base + lo`), searched forward at most `reach_s`.
fn rising_edge(s: Series, end: usize, base: f64, levels: (f64, f64), reach_s: f64) -> Option<f64> {
    let l1 = base + levels.0 * G;
    let end = end.min(s.len() - 1);
    let lim = s.upto(s.t(end) + reach_s * FS);
    let mut i = end;
    while i < lim && s.a[i] < l1 {
        i += 1;
    }
    if i == 0 || s.a[i] < l1 {
        return None;
    }
    Some(edge_line(s, i, 1, base, levels).1)
}

/// A light contact lobe (peak ≥ `base` + 0.2 g, ≤ 0.15 s) right after the
/// take-off edge `t0` (rising within 0.06 s of it): the trailing hind limb
/// still pushing. Returns the instant it ends (its falling edge).
fn trailing_contact(s: Series, t0: f64, base: f64) -> Option<f64> {
    let n = s.len();
    let first = s.at(t0).min(n - 1);
    let rise_by = s.upto(s.t(first) + 0.06 * FS).max(first);
    let hi = base + CONTACT_LEVELS.1 * G;
    let peak = (first..=rise_by).find(|&i| s.a[i] >= hi)?;
    let lo = base + CONTACT_LEVELS.0 * G;
    let limit = s.upto(s.t(peak) + 0.15 * FS);
    // The lobe's own trough: the limb swing's internal forces can lift the
    // force again right after the limb leaves, before it reaches `lo`; the
    // contact is over by the bottom of the trough between the two.
    let mut m = peak;
    while m + 1 < limit && s.a[m + 1] >= s.a[m] {
        m += 1;
    }
    while m + 1 < limit && s.a[m + 1] < s.a[m] {
        m += 1;
    }
    let trough = (m + 1 < limit).then(|| vertex(s, m));
    match (peak..limit).find(|&i| s.a[i] < lo) {
        Some(end) => {
            let edge = falling_edge(s, end, base, CONTACT_LEVELS, 0.15)?;
            Some(trough.map_or(edge, |v| edge.min(v)))
        }
        None => trough,
    }
}

/// Sub-sample position of the local minimum at sample `m` (the vertex of
/// the parabola through `m − 1`, `m`, `m + 1`), within half an interval.
fn vertex(s: Series, m: usize) -> f64 {
    if m == 0 || m + 1 >= s.len() {
        return s.t(m);
    }
    let (t0, t1, t2) = (s.t(m - 1), s.t(m), s.t(m + 1));
    let (y0, y1, y2) = (s.a[m - 1], s.a[m], s.a[m + 1]);
    let d01 = (y1 - y0) / (t1 - t0);
    let d12 = (y2 - y1) / (t2 - t1);
    let curv = (d12 - d01) / (t2 - t0);
    if curv > 0.0 {
        (0.5 * (t0 + t1) - d01 / (2.0 * curv)).clamp(0.5 * (t0 + t1), 0.5 * (t1 + t2))
    } else {
        t1
    }
}

/// A light contact lobe right before the landing edge `t1` (ending within
/// 0.06 s of it): the leading forelimb touching. Returns where it starts.
fn leading_contact(s: Series, t1: f64, base: f64) -> Option<f64> {
    let last = s.upto(t1);
    let fall_from = s.at(s.t(last) - 0.06 * FS).min(last);
    let hi = base + CONTACT_LEVELS.1 * G;
    let peak = (fall_from..=last).rev().find(|&i| s.a[i] >= hi)?;
    let lo = base + CONTACT_LEVELS.0 * G;
    let start = (s.at(s.t(peak) - 0.15 * FS)..=peak)
        .rev()
        .find(|&i| s.a[i] < lo)?;
    rising_edge(s, start, base, CONTACT_LEVELS, 0.15)
}

/// How far (g) a sample must fall below the in-flight baseline to show
/// that the stance's own force was still going down: a contact ending onto
/// the baseline never crosses it (the rotation's centripetal term adds to
/// the ground's push, both pointing up at a girth below the centre of
/// mass), so a dip under it means the rotation's term was not there yet
/// and the ground-reaction force reached 0 at the bottom of the ramp.
const DIP_G: f64 = 0.05;

/// Half an interval either side of sample `d`.
fn around(s: Series, d: usize) -> (f64, f64) {
    (0.5 * (s.t(d - 1) + s.t(d)), 0.5 * (s.t(d) + s.t(d + 1)))
}

/// The end of a take-off stance whose ramp dips under the baseline: the
/// stance's line extended to 0 rather than to the baseline, kept within
/// half a sample of the lowest sample (a resampled sample there mixes the
/// ramp's end with the in-flight force). `first` is the first sample of the
/// ramp at or after the baseline extrapolation.
fn dip_end(s: Series, first: usize, base: f64) -> Option<f64> {
    let n = s.len();
    let mut d = first;
    if d + 1 < n && s.a[d + 1] < s.a[d] {
        d += 1;
    }
    // Point samples: down to the lowest under the baseline (a 100-Hz ramp
    // shows several).
    while s.t.is_some() && d + 1 < n && s.a[d] < base && s.a[d + 1] < s.a[d] {
        d += 1;
    }
    if d == 0 || d + 1 >= n || s.a[d] >= base - DIP_G * G || s.a[d + 1] <= s.a[d] {
        return None;
    }
    let l1 = base + STANCE_LEVELS.0 * G;
    let i = (0..d).rev().find(|&k| s.a[k] >= l1)?;
    let line = edge_line(s, i, -1, base, STANCE_LEVELS).0?;
    // A point sample below the baseline is still on the ramp: the force
    // reached 0 before the next sample.
    let (lo, hi) = match s.t {
        Some(_) => (s.t(d), s.t(d + 1)),
        None => around(s, d),
    };
    Some(line.time_at(0.0).clamp(lo, hi))
}

/// The start of a landing impact whose ramp rises from under the baseline
/// (mirror of [`dip_end`]); `first` is the last sample before the ramp
/// crosses `base` + [`STANCE_LEVELS`].0.
fn dip_start(s: Series, first: usize, base: f64) -> Option<f64> {
    let n = s.len();
    let mut d = first.min(n - 1);
    if d > 0 && s.a[d - 1] < s.a[d] {
        d -= 1;
    }
    while s.t.is_some() && d > 0 && s.a[d] < base && s.a[d - 1] < s.a[d] {
        d -= 1;
    }
    if d == 0 || d + 1 >= n || s.a[d] >= base - DIP_G * G || s.a[d - 1] <= s.a[d] {
        return None;
    }
    let l1 = base + STANCE_LEVELS.0 * G;
    let i = (d + 1..n).find(|&k| s.a[k] >= l1)?;
    let line = edge_line(s, i, 1, base, STANCE_LEVELS).0?;
    let (lo, hi) = match s.t {
        Some(_) => (s.t(d - 1), s.t(d)),
        None => around(s, d),
    };
    Some(line.time_at(0.0).clamp(lo, hi))
}

/// Peak of the lobe that ends the low run (`away` = −1: the lobe before it,
/// whose ramp crosses `base + lo` last before `from`; +1: the lobe after it):
/// the local maximum reached climbing away from the run, within 0.2 s
/// (steps down of under 0.02 g — sensor noise — do not stop the climb).
fn lobe_peak(s: Series, from: usize, away: isize, l1: f64) -> f64 {
    let n = s.len() as isize;
    let mut i = from.min(s.len() - 1) as isize;
    while (0..n).contains(&(i + away)) && s.a[i as usize] < l1 {
        i += away;
    }
    let (t0, mut peak) = (s.t(i as usize), s.a[i as usize]);
    while (0..n).contains(&(i + away)) {
        let j = (i + away) as usize;
        if (s.t(j) - t0).abs() > 0.2 * FS || s.a[j] < peak - 0.02 * G {
            break;
        }
        peak = peak.max(s.a[j]);
        i = j as isize;
    }
    peak
}

/// Least take-off push (peak specific force, g): any stance that lifts the
/// trunk exceeds body weight; soft take-offs peak at 1.1–1.3 g.
const MIN_PUSH_G: f64 = 1.05;
/// Least landing impact (g): the vertical velocity g·T/2 gathered in the air
/// is stopped within one short stance.
const MIN_IMPACT_G: f64 = 1.8;

/// In-flight baseline: the lower quartile of |specific force| over the low
/// run (the pitch rotation's centripetal term; internal forces of the limb
/// swing oscillate around it and contacts rise above it), at most 0.3 g.
fn flight_baseline(mut inside: Vec<f64>) -> f64 {
    if inside.is_empty() {
        return 0.0;
    }
    let q = inside.len() / 4;
    let (_, &mut v, _) = inside.select_nth_unstable_by(q, f64::total_cmp);
    v.min(0.3 * G)
}

/// Highest specific force (g) of an excursion bridged inside a flight.
const AIR_MAX_G: f64 = 0.7;
/// Longest excursion bridged inside a flight (s).
const AIR_BRIDGE_S: f64 = 0.1;

/// The next sample below `low` after `end`, if every sample in between
/// (at most [`AIR_BRIDGE_S`]) stays below [`AIR_MAX_G`].
fn next_low(a: ArrayView1<f64>, end: usize, low: f64) -> Option<usize> {
    let n = a.len();
    let reach = (end + 1 + (AIR_BRIDGE_S * FS) as usize).min(n.saturating_sub(1));
    for k in end + 1..=reach {
        if a[k] < low {
            return Some(k);
        }
        if a[k] >= AIR_MAX_G * G {
            return None;
        }
    }
    None
}

/// All flights in a segment's specific-force magnitude (the 50 Hz grid).
pub fn detect(amag: ArrayView1<f64>) -> Vec<Flight> {
    detect_with(amag, |_, _| None)
}

/// All flights in a segment's specific-force magnitude: the pattern is
/// found on the grid, the edges on `raw(lo, hi)` — the recording's own
/// samples between grid positions `lo` and `hi` ([`raw_window`]) — when
/// there are any, else on the grid.
pub fn detect_with(
    amag: ArrayView1<f64>,
    raw: impl Fn(f64, f64) -> Option<RawWindow>,
) -> Vec<Flight> {
    let n = amag.len();
    let owned;
    let grid = match amag.as_slice() {
        Some(g) => g,
        None => {
            owned = amag.to_vec();
            &owned[..]
        }
    };
    let low = 0.4 * G;
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        if amag[i] >= low {
            i += 1;
            continue;
        }
        // Run below `low`, bridging brief excursions in the air (a limb
        // touching, the limb swing's internal forces): up to 0.1 s that
        // stay below `AIR_MAX_G` — no stance, which carries body weight.
        let start = i;
        let mut end = i;
        while let Some(next) = next_low(amag, end, low) {
            end = next;
        }
        i = end + 1;
        let dur = (end + 1 - start) as f64 / FS;
        if !(0.16..=1.0).contains(&dur) || start == 0 || end + 1 >= n {
            continue;
        }
        let w = (0.4 * FS) as usize;
        let push = sub(amag, start.saturating_sub(w), start).fold(0.0f64, |m, v| m.max(*v));
        let impact = sub(amag, end + 1, (end + 1 + w).min(n)).fold(0.0f64, |m, v| m.max(*v));
        if push < MIN_PUSH_G * G || impact < MIN_IMPACT_G * G {
            continue;
        }
        let base = flight_baseline(sub(amag, start, end + 1).to_vec());
        let span = 0.6 * FS;
        let window = raw(
            (start as f64 - span).max(0.0),
            (end as f64 + span).min((n - 1) as f64),
        );
        let s = match &window {
            Some(w) => Series {
                t: Some(&w.t),
                a: &w.a,
            },
            None => Series { t: None, a: grid },
        };
        let (Some(push_end), Some(impact_start)) = (
            falling_edge(s, s.at(start as f64), base, STANCE_LEVELS, 0.3),
            rising_edge(s, s.at(end as f64), base, STANCE_LEVELS, 0.3),
        ) else {
            continue;
        };
        let push_end = dip_end(s, s.at(push_end), base).unwrap_or(push_end);
        let impact_start = dip_start(s, s.upto(impact_start), base).unwrap_or(impact_start);
        // A lobe under body weight at the run's end is a limb contact (one
        // limb still pushing, or already touching, lifted the force over
        // `AIR_MAX_G`), not the stance: the flight starts (ends) at its edge,
        // and no further contact is looked for — the limb swing's internal
        // forces after it would pass for one.
        let l1 = base + STANCE_LEVELS.0 * G;
        let takeoff = if lobe_peak(s, s.at(start as f64), -1, l1) < G {
            falling_edge(s, s.at(start as f64), base, CONTACT_LEVELS, 0.3).unwrap_or(push_end)
        } else {
            trailing_contact(s, push_end, base).unwrap_or(push_end)
        };
        let landing = if lobe_peak(s, s.at(end as f64), 1, l1) < G {
            rising_edge(s, s.at(end as f64), base, CONTACT_LEVELS, 0.3).unwrap_or(impact_start)
        } else {
            leading_contact(s, impact_start, base).unwrap_or(impact_start)
        };
        let flight = (landing - takeoff) / FS;
        if (0.16..=1.0).contains(&flight) {
            out.push(Flight { takeoff, landing });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array1;

    /// 1 g, a 0.3-s push to 2.2 g ramping to 0, a 0.45-s flight at 0.1 g, a
    /// 0.25-s landing to 3.5 g, then 1 g.
    fn profile(flight: f64) -> Array1<f64> {
        let f = |t: f64| -> f64 {
            let pi = std::f64::consts::PI;
            if t < 1.0 {
                G
            } else if t < 1.3 {
                let u = pi * (t - 1.0) / 0.3;
                if t < 1.15 {
                    G + 1.2 * G * u.sin()
                } else {
                    2.2 * G * u.sin()
                }
            } else if t < 1.3 + flight {
                0.1 * G
            } else if t < 1.55 + flight {
                let u = pi * (t - 1.3 - flight) / 0.25;
                if u < pi / 2.0 {
                    3.5 * G * u.sin()
                } else {
                    G + 2.5 * G * u.sin()
                }
            } else {
                G
            }
        };
        Array1::from_shape_fn(200, |i| f(i as f64 / FS))
    }

    #[test]
    fn finds_flight_and_its_duration() {
        for flight in [0.3, 0.45, 0.6] {
            let found = detect(profile(flight).view());
            assert_eq!(found.len(), 1, "flight {flight}");
            let measured = (found[0].landing - found[0].takeoff) / FS;
            assert!((measured - flight).abs() < 0.02, "{measured} vs {flight}");
        }
    }

    /// 1 g, a soft 0.4-s push peaking at 1.2 g, then like [`profile`].
    #[test]
    fn soft_push_is_a_jump() {
        let pi = std::f64::consts::PI;
        let a = Array1::from_shape_fn(220, |i| {
            let t = i as f64 / FS;
            if t < 1.0 {
                G
            } else if t < 1.4 {
                let u = pi * (t - 1.0) / 0.4;
                if t < 1.2 {
                    G + 0.2 * G * u.sin()
                } else {
                    1.2 * G * u.sin()
                }
            } else if t < 1.85 {
                0.02 * G
            } else if t < 2.1 {
                G + 2.5 * G * (pi * (t - 1.85) / 0.25).sin()
            } else {
                G
            }
        });
        let found = detect(a.view());
        assert_eq!(found.len(), 1);
        let measured = (found[0].landing - found[0].takeoff) / FS;
        assert!((measured - 0.45).abs() < 0.03, "{measured}");
    }

    /// A take-off push, a trailing hind-limb lobe (0.5 g, 0.1 s) on `base_g`,
    /// `air(t)` over the 0.3 s without contact, a leading forelimb lobe
    /// (0.45 g, 0.08 s) on `base_g`, the impact.
    fn two_contacts(base_g: f64, air: impl Fn(f64) -> f64) -> Array1<f64> {
        let pi = std::f64::consts::PI;
        let hump = |t: f64, t0: f64, d: f64, peak: f64| peak * G * (pi * (t - t0) / d).sin();
        Array1::from_shape_fn(220, |i| {
            let t = i as f64 / FS;
            match t {
                t if t < 1.0 => G,
                t if t < 1.3 => hump(t, 1.0, 0.3, 2.2).max(if t < 1.15 { G } else { 0.0 }),
                t if t < 1.4 => base_g * G + hump(t, 1.3, 0.1, 0.5),
                t if t < 1.7 => air(t),
                t if t < 1.78 => base_g * G + hump(t, 1.7, 0.08, 0.45),
                t if t < 2.03 => hump(t, 1.78, 0.25, 3.5).max(if t > 1.9 { G } else { 0.0 }),
                _ => G,
            }
        })
    }

    /// [`two_contacts`] on a 0.05-g plateau: the flight is the 0.3 s without
    /// contact.
    #[test]
    fn light_contacts_are_not_flight() {
        let found = detect(two_contacts(0.0, |_| 0.05 * G).view());
        assert_eq!(found.len(), 1);
        let (t0, t1) = (found[0].takeoff / FS, found[0].landing / FS);
        assert!(
            (t0 - 1.4).abs() < 0.025 && (t1 - 1.7).abs() < 0.025,
            "{t0} {t1}"
        );
    }

    /// As above on a 0.2-g in-flight baseline, with the limb swing's
    /// internal forces (a 0.15-g sine over the 0.3 s without contact) lifting the force right
    /// after the hind limbs leave: the contact ends in the trough between.
    #[test]
    fn limb_swing_after_the_hind_push_is_not_contact() {
        let pi = std::f64::consts::PI;
        let a = two_contacts(0.2, |t| {
            0.2 * G + 0.15 * G * (2.0 * pi * (t - 1.4) / 0.3).sin()
        });
        let found = detect(a.view());
        assert_eq!(found.len(), 1);
        let (t0, t1) = (found[0].takeoff / FS, found[0].landing / FS);
        assert!(
            (t0 - 1.4).abs() < 0.015 && (t1 - 1.7).abs() < 0.015,
            "{t0} {t1}"
        );
    }

    /// A hind-limb lobe over `AIR_MAX_G` (0.85 g) splits the low run, and
    /// the limb swing lifts the force right after it: the lobe is a contact
    /// (under body weight), not the push, and the flight starts at its end.
    #[test]
    fn heavy_hind_contact_is_not_the_push() {
        let pi = std::f64::consts::PI;
        let hump = |t: f64, t0: f64, d: f64, peak: f64| peak * G * (pi * (t - t0) / d).sin();
        let a = Array1::from_shape_fn(220, |i| {
            let t = i as f64 / FS;
            match t {
                t if t < 1.0 => G,
                t if t < 1.3 => hump(t, 1.0, 0.3, 2.2).max(if t < 1.15 { G } else { 0.0 }),
                t if t < 1.4 => 0.1 * G + hump(t, 1.3, 0.1, 0.75),
                t if t < 1.7 => 0.1 * G + 0.2 * G * (2.0 * pi * (t - 1.4) / 0.3).sin(),
                t if t < 1.95 => hump(t, 1.7, 0.25, 3.5).max(if t > 1.82 { G } else { 0.0 }),
                _ => G,
            }
        });
        let found = detect(a.view());
        assert_eq!(found.len(), 1);
        let (t0, t1) = (found[0].takeoff / FS, found[0].landing / FS);
        assert!(
            (t0 - 1.4).abs() < 0.02 && (t1 - 1.7).abs() < 0.02,
            "{t0} {t1}"
        );
    }

    #[test]
    fn short_suspension_is_not_a_jump() {
        let a = Array1::from_shape_fn(500, |i| {
            let t = i as f64 / FS;
            G * (1.0 - 0.95 * (2.0 * std::f64::consts::PI * 1.7 * t).cos())
        });
        assert!(detect(a.view()).is_empty());
    }
}
