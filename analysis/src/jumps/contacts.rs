//! Light limb contacts in the air: a trailing hind limb still pushing after
//! the take-off stance, a leading forelimb touching before the impact.

use super::AIR_MAX_G;
use super::G;
use super::ramps::{CONTACT_LEVELS, falling_corner, rising_edge, trough_corner};
use super::samples::Series;
use crate::resample::FS;

/// A light contact lobe (peak ≥ `base` + 0.2 g, ≤ 0.15 s) right after the
/// take-off edge `t0` (rising within 0.06 s of it): the trailing hind limb
/// still pushing. Returns the instant it ends (its falling edge).
pub(super) fn trailing_contact(s: Series, t0: f64, base: f64) -> Option<f64> {
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
    let trough = (m + 1 < limit)
        .then(|| trough_corner(s, m, -1, AIR_MAX_G * G).unwrap_or_else(|| vertex(s, m)));
    match (peak..limit).find(|&i| s.a[i] < lo) {
        Some(end) => {
            let edge = falling_corner(s, end, base, CONTACT_LEVELS, 0.15)?;
            Some(trough.map_or(edge, |v| edge.min(v)))
        }
        None => trough,
    }
}

/// Sub-sample position of the local minimum at sample `m` (the vertex of
/// the parabola through `m − 1`, `m`, `m + 1`), within half an interval.
pub(super) fn vertex(s: Series, m: usize) -> f64 {
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
pub(super) fn leading_contact(s: Series, t1: f64, base: f64) -> Option<f64> {
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

/// Lift-off of a light contact whose lobe ends the low run (a hind limb
/// still pushing, under body weight), from the run's first sample `from`:
/// a limb's ground-reaction force falls fastest as the hoof leaves the
/// ground (its hump ends steeply, without the toe of a stance's ramp), so
/// the line through the steepest step of the lobe's falling side — from its
/// peak down to the trough after it, within 0.15 s — is the contact's own
/// force, and it ends where that line reaches the trough's level (the
/// in-air force there, the limb swing's internal forces lifting it off the
/// baseline), kept between the step's first sample and the trough. The
/// caller takes the earlier of this and the lift-off corner: a line through
/// samples higher up the hump is shallower and overshoots, while at sparse
/// rates the step across the lift-off includes in-air time and its crossing
/// sticks to the trough.
pub(super) fn steep_lift_off(s: Series, from: usize, base: f64) -> Option<f64> {
    let n = s.len();
    let mut p = from.min(n - 1);
    while p > 0 && s.a[p - 1] >= s.a[p] {
        p -= 1;
    }
    let limit = s.upto(s.t(p) + 0.15 * FS);
    let mut m = p;
    while m < limit && s.a[m + 1] < s.a[m] {
        m += 1;
    }
    if m == p || m >= limit {
        return None;
    }
    let slope = |i: usize| (s.a[i + 1] - s.a[i]) / (s.t(i + 1) - s.t(i));
    let i = (p..m).min_by(|&x, &y| slope(x).total_cmp(&slope(y)))?;
    let level = s.a[m].max(base);
    let t = s.t(i) + (level - s.a[i]) / slope(i);
    Some(t.clamp(s.t(i), s.t(m)))
}
