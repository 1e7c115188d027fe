//! A contact's edge from the straight line along its ramp: the levels of
//! the band that places it, the line fitted on the recording's own samples
//! ([`ramp_line`]) or through two crossings on the grid ([`crossing_line`]),
//! and the falling and rising edges of a force lobe.

use super::G;
use super::samples::{Series, cross};
use crate::resample::FS;

/// Levels (above the in-flight baseline, in g) of the band whose samples
/// place a stance's edge: the take-off push and the landing impact.
pub(super) const STANCE_LEVELS: (f64, f64) = (0.25, 0.6);
/// Same for a light limb contact in the air (a trailing hind limb still
/// pushing, a leading forelimb touching before the impact).
pub(super) const CONTACT_LEVELS: (f64, f64) = (0.1, 0.2);

/// The straight line a(t) = a0 + slope·(t − t0) along a contact's ramp.
#[derive(Debug, Clone, Copy)]
pub(super) struct Line {
    t0: f64,
    a0: f64,
    slope: f64,
}

impl Line {
    pub(super) fn time_at(&self, level: f64) -> f64 {
        self.t0 + (level - self.a0) / self.slope
    }

    /// The line's value at time `t`.
    fn at(&self, t: f64) -> f64 {
        self.a0 + self.slope * (t - self.t0)
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
pub(super) fn ramp_line(
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
pub(super) fn crossing_line(
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
pub(super) fn edge_line(
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
/// below `base + lo`), searched back at most `reach_s`: the ramp's line
/// where it reaches the baseline ([`edge_line`]).
pub(super) fn falling_edge(
    s: Series,
    start: usize,
    base: f64,
    levels: (f64, f64),
    reach_s: f64,
) -> Option<f64> {
    falling_ramp(s, start, base, levels, reach_s).map(|r| r.1)
}

/// The falling ramp's last sample at or above `base + lo`, its line and its
/// edge on the baseline (see [`falling_edge`]).
fn falling_ramp(
    s: Series,
    start: usize,
    base: f64,
    levels: (f64, f64),
    reach_s: f64,
) -> Option<(Option<Line>, f64, usize)> {
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
    let (line, edge) = edge_line(s, i - 1, -1, base, levels);
    Some((line, edge, i - 1))
}

/// Rising edge of a force lobe starting after index `end` (first sample
/// back above `base + lo`), searched forward at most `reach_s`.
pub(super) fn rising_edge(
    s: Series,
    end: usize,
    base: f64,
    levels: (f64, f64),
    reach_s: f64,
) -> Option<f64> {
    rising_ramp(s, end, base, levels, reach_s).map(|r| r.1)
}

/// The rising ramp's first sample at or above `base + lo`, its line and its
/// edge on the baseline (see [`rising_edge`]).
fn rising_ramp(
    s: Series,
    end: usize,
    base: f64,
    levels: (f64, f64),
    reach_s: f64,
) -> Option<(Option<Line>, f64, usize)> {
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
    let (line, edge) = edge_line(s, i, 1, base, levels);
    Some((line, edge, i))
}

/// The falling edge as the lift-off corner ([`corner`]), else as
/// [`falling_edge`].
pub(super) fn falling_corner(
    s: Series,
    start: usize,
    base: f64,
    levels: (f64, f64),
    reach_s: f64,
) -> Option<f64> {
    let (line, edge, k) = falling_ramp(s, start, base, levels, reach_s)?;
    Some(
        line.and_then(|l| corner(s, l, edge, k, -1, base, levels))
            .unwrap_or(edge),
    )
}

/// Longest stretch of the in-air force (s) beyond a contact's edge that its
/// line is fitted to: short enough for the limb swing's internal forces to
/// be nearly straight there.
const AIR_LINE_S: f64 = 0.08;
/// How far (g) an in-air sample lies above the ramp's line extended: a
/// sample on the ramp's own bottom is not in the air.
const AIR_ABOVE_G: f64 = 0.03;

/// The corner where a contact's ramp meets the in-air force: the
/// intersection of the ramp's `line` with the straight line fitted to the
/// in-air samples next to it (below `l1` and above the ramp's line extended,
/// within [`AIR_LINE_S`] of `edge`). The in-air force is the rotation's
/// centripetal term plus the limb swing's internal forces, which need not
/// be flat at the lower quartile of the whole flight: the contact ends where
/// its own force vanishes, i.e. where the force leaves the in-air line.
/// `k` is the ramp's sample nearest the flight at or above `l1`; `away` as
/// in [`ramp_line`]. `None` without two in-air samples, for an in-air line
/// nearly as steep as the ramp, or a corner outside the ramp's last sample
/// and the first in-air one.
fn corner(
    s: Series,
    line: Line,
    edge: f64,
    k: usize,
    away: isize,
    base: f64,
    levels: (f64, f64),
) -> Option<f64> {
    let l1 = base + levels.0 * G;
    // A light contact's line through two levels cuts the corner when the
    // samples are sparse: the line through its last two samples above `l1`
    // instead, if both lie on the ramp.
    let line = if levels == CONTACT_LEVELS {
        let j = k as isize + away;
        if (0..s.len() as isize).contains(&j) && s.a[j as usize] > s.a[k] {
            Line::fit(s, [j as usize, k].into_iter())?
        } else {
            line
        }
    } else {
        line
    };
    meet_air(s, line, edge, k, away, l1.max(s.a[k]))
}

/// Where the ramp's `line` (last sample `k` before the flight) meets the
/// straight line fitted to the in-air samples after it: those within
/// [`AIR_LINE_S`] of `edge`, below `top` and above the ramp's line extended
/// by [`AIR_ABOVE_G`]. `None` without two in-air samples, for an in-air
/// line nearly as steep as the ramp, or a corner outside the ramp's last
/// sample and the first in-air one.
fn meet_air(s: Series, line: Line, edge: f64, k: usize, away: isize, top: f64) -> Option<f64> {
    let n = s.len() as isize;
    let dir = -away;
    let mut air = Vec::new();
    let mut j = k as isize + dir;
    while (0..n).contains(&j) {
        let i = j as usize;
        let t = s.t(i);
        if (t - edge) * dir as f64 > AIR_LINE_S * FS || s.a[i] >= top {
            break;
        }
        if s.a[i] > line.at(t) + AIR_ABOVE_G * G {
            air.push(i);
        }
        j += dir;
    }
    if air.len() < 2 {
        return None;
    }
    let a = Line::fit(s, air.iter().copied())?;
    if a.slope.abs() >= 0.5 * line.slope.abs() {
        return None;
    }
    let t = (a.a0 - a.slope * a.t0 - line.a0 + line.slope * line.t0) / (line.slope - a.slope);
    let (near, far) = (s.t(k), s.t(air[0]));
    let inside = if dir > 0 {
        near <= t && t <= far
    } else {
        far <= t && t <= near
    };
    inside.then_some(t)
}

/// The corner at a trough `m` between a light contact's falling side (before
/// it, `away` = −1) and the in-air force rising after it (the limb swing's
/// internal forces): the line through the last two samples of the falling
/// side meets the in-air line ([`meet_air`], below `top`). The trough's own
/// sample is taken as in the air, else as the ramp's last.
pub(super) fn trough_corner(s: Series, m: usize, away: isize, top: f64) -> Option<f64> {
    let n = s.len() as isize;
    let idx = |d: isize| {
        let j = m as isize + d * away;
        (0..n).contains(&j).then_some(j as usize)
    };
    for first in [1, 0] {
        let (Some(k), Some(j)) = (idx(first), idx(first + 1)) else {
            continue;
        };
        if s.a[j] <= s.a[k] || (first == 1 && s.a[k] <= s.a[m]) {
            continue;
        }
        let line = Line::fit(s, [j, k].into_iter())?;
        if let Some(t) = meet_air(s, line, s.t(k), k, away, top) {
            return Some(t);
        }
    }
    None
}
