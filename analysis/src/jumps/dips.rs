//! Stance ramps that dip under the in-flight baseline: the take-off ends
//! (the landing starts) where the stance's line reaches 0, not the baseline.

use super::G;
use super::ramps::{STANCE_LEVELS, edge_line};
use super::samples::Series;

/// How far (g) a sample must fall below the in-flight baseline to show
/// that the stance's own force was still going down: a contact ending onto
/// the baseline never crosses it (the rotation's centripetal term adds to
/// the ground's push, both pointing up at a girth below the centre of
/// mass), so a dip under it means the rotation's term was not there yet
/// and the ground-reaction force reached 0 at the bottom of the ramp.
pub(super) const DIP_G: f64 = 0.05;

/// Half an interval either side of sample `d`.
pub(super) fn around(s: Series, d: usize) -> (f64, f64) {
    (0.5 * (s.t(d - 1) + s.t(d)), 0.5 * (s.t(d) + s.t(d + 1)))
}

/// The end of a take-off stance whose ramp dips under the baseline: the
/// stance's line extended to 0 rather than to the baseline, kept within
/// half a sample of the lowest sample (a resampled sample there mixes the
/// ramp's end with the in-flight force). `first` is the first sample of the
/// ramp at or after the baseline extrapolation.
pub(super) fn dip_end(s: Series, first: usize, base: f64) -> Option<f64> {
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
pub(super) fn dip_start(s: Series, first: usize, base: f64) -> Option<f64> {
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
