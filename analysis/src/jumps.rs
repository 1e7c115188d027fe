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

use ndarray::ArrayView1;

use crate::filter::sub;
use crate::resample::FS;

const G: f64 = 9.80665;

/// A flight found in one segment (times as fractional sample indexes).
#[derive(Debug, Clone, Copy)]
pub struct Flight {
    pub takeoff: f64,
    pub landing: f64,
}

/// Time (fractional index) where `a` crosses `level` between `i` and `i+1`.
fn cross(a: ArrayView1<f64>, i: usize, level: f64) -> f64 {
    let (x0, x1) = (a[i], a[i + 1]);
    if (x1 - x0).abs() < 1e-12 {
        i as f64
    } else {
        i as f64 + ((level - x0) / (x1 - x0)).clamp(0.0, 1.0)
    }
}

/// Levels (above the in-flight baseline, in g) of the two crossings that
/// place a stance's edge: the take-off push and the landing impact.
const STANCE_LEVELS: (f64, f64) = (0.25, 0.6);
/// Same for a light limb contact in the air (a trailing hind limb still
/// pushing, a leading forelimb touching before the impact).
const CONTACT_LEVELS: (f64, f64) = (0.1, 0.2);

/// Where the line through the crossings of `base + lo` (at `t_lo`) and
/// `base + hi` (at `t_hi`) reaches `base` — the instant the ground-reaction
/// force vanishes — if that is within 0.05 s of `t_lo`; else `t_lo`.
fn extrapolate(t_lo: f64, t_hi: Option<f64>, (lo, hi): (f64, f64)) -> f64 {
    let Some(t_hi) = t_hi else { return t_lo };
    let ext = t_lo + (t_lo - t_hi) * lo / (hi - lo);
    if (ext - t_lo).abs() <= 0.05 * FS {
        ext
    } else {
        t_lo
    }
}

/// Falling edge of a force lobe ending before `start` (first sample below
/// `base + lo`), searched back at most `reach_s`.
fn falling_edge(
    a: ArrayView1<f64>,
    start: usize,
    base: f64,
    levels: (f64, f64),
    reach_s: f64,
) -> Option<f64> {
    let (l1, l2) = (base + levels.0 * G, base + levels.1 * G);
    let lim = start.saturating_sub((reach_s * FS) as usize);
    let mut i = start;
    while i > lim && a[i - 1] < l1 {
        i -= 1;
    }
    if i == 0 || a[i - 1] < l1 {
        return None;
    }
    let t1 = cross(a, i - 1, l1);
    let mut j = i - 1;
    while j > lim && a[j] < l2 {
        j -= 1;
    }
    let t2 = (a[j] >= l2 && j + 1 < a.len()).then(|| cross(a, j, l2));
    Some(extrapolate(t1, t2, levels))
}

/// Rising edge of a force lobe starting after `end` (first sample back
/// above `base + lo`), searched forward at most `reach_s`.
fn rising_edge(
    a: ArrayView1<f64>,
    end: usize,
    base: f64,
    levels: (f64, f64),
    reach_s: f64,
) -> Option<f64> {
    let (l1, l2) = (base + levels.0 * G, base + levels.1 * G);
    let n = a.len();
    let lim = (end + (reach_s * FS) as usize).min(n - 1);
    let mut i = end;
    while i < lim && a[i] < l1 {
        i += 1;
    }
    if i == 0 || a[i] < l1 {
        return None;
    }
    let t1 = cross(a, i - 1, l1);
    let mut j = i;
    while j < lim && a[j] < l2 {
        j += 1;
    }
    let t2 = (a[j] >= l2 && j > 0).then(|| cross(a, j - 1, l2));
    Some(extrapolate(t1, t2, levels))
}

/// A light contact lobe (peak ≥ `base` + 0.2 g, ≤ 0.15 s) right after the
/// take-off edge `t0` (rising within 0.06 s of it): the trailing hind limb
/// still pushing. Returns the instant it ends (its falling edge).
fn trailing_contact(a: ArrayView1<f64>, t0: f64, base: f64) -> Option<f64> {
    let n = a.len();
    let first = (t0.ceil() as usize).min(n - 1);
    let rise_by = (first + (0.06 * FS).ceil() as usize).min(n - 1);
    let hi = base + CONTACT_LEVELS.1 * G;
    let peak = (first..=rise_by).find(|&i| a[i] >= hi)?;
    let lo = base + CONTACT_LEVELS.0 * G;
    let limit = (peak + (0.15 * FS) as usize).min(n);
    // The lobe's own trough: the limb swing's internal forces can lift the
    // force again right after the limb leaves, before it reaches `lo`; the
    // contact is over by the bottom of the trough between the two.
    let mut m = peak;
    while m + 1 < limit && a[m + 1] >= a[m] {
        m += 1;
    }
    while m + 1 < limit && a[m + 1] < a[m] {
        m += 1;
    }
    let trough = (m + 1 < limit).then(|| vertex(a, m));
    match (peak..limit).find(|&i| a[i] < lo) {
        Some(end) => {
            let edge = falling_edge(a, end, base, CONTACT_LEVELS, 0.15)?;
            Some(trough.map_or(edge, |v| edge.min(v)))
        }
        None => trough,
    }
}

/// Sub-sample position of the local minimum at sample `m` (the vertex of
/// the parabola through `m − 1`, `m`, `m + 1`).
fn vertex(a: ArrayView1<f64>, m: usize) -> f64 {
    if m == 0 || m + 1 >= a.len() {
        return m as f64;
    }
    let (y0, y1, y2) = (a[m - 1], a[m], a[m + 1]);
    let den = y0 - 2.0 * y1 + y2;
    if den > 0.0 {
        m as f64 + (0.5 * (y0 - y2) / den).clamp(-0.5, 0.5)
    } else {
        m as f64
    }
}

/// A light contact lobe right before the landing edge `t1` (ending within
/// 0.06 s of it): the leading forelimb touching. Returns where it starts.
fn leading_contact(a: ArrayView1<f64>, t1: f64, base: f64) -> Option<f64> {
    let last = (t1.floor() as usize).min(a.len() - 1);
    let fall_from = last.saturating_sub((0.06 * FS).ceil() as usize);
    let hi = base + CONTACT_LEVELS.1 * G;
    let peak = (fall_from..=last).rev().find(|&i| a[i] >= hi)?;
    let lo = base + CONTACT_LEVELS.0 * G;
    let start = (peak.saturating_sub((0.15 * FS) as usize)..=peak)
        .rev()
        .find(|&i| a[i] < lo)?;
    rising_edge(a, start, base, CONTACT_LEVELS, 0.15)
}

/// How far (g) a sample must fall below the in-flight baseline to show
/// that the stance's own force was still going down: a contact ending onto
/// the baseline never crosses it (the rotation's centripetal term adds to
/// the ground's push, both pointing up at a girth below the centre of
/// mass), so a dip under it means the rotation's term was not there yet
/// and the ground-reaction force reached 0 at the bottom of the ramp.
const DIP_G: f64 = 0.05;

/// Where the stance's line (through its crossings of `base` +
/// [`STANCE_LEVELS`]) reaches 0, the lower level's crossing being in the
/// sample interval `i..i+1`, and the upper's found by walking away from it
/// by `step` (−1: back in time, +1: forward).
fn line_zero(a: ArrayView1<f64>, i: usize, base: f64, step: isize) -> Option<f64> {
    let (l1, l2) = (base + STANCE_LEVELS.0 * G, base + STANCE_LEVELS.1 * G);
    let t1 = cross(a, i, l1);
    let mut j = i as isize;
    let reach = (0.15 * FS) as isize;
    for _ in 0..reach {
        let k = j as usize;
        if k + 1 >= a.len() {
            return None;
        }
        if (a[k] - l2) * (a[k + 1] - l2) <= 0.0 && a[k] != a[k + 1] {
            let t2 = cross(a, k, l2);
            return (t1 != t2).then(|| t1 + (t1 - t2) * l1 / (l2 - l1));
        }
        j += step;
        if j < 0 {
            return None;
        }
    }
    None
}

/// The end of a take-off stance whose ramp dips under the baseline: the
/// stance's line extended to 0 rather than to the baseline, kept within
/// half a sample of the lowest sample (a resampled sample there mixes the
/// ramp's end with the in-flight force). `first` is the first sample of the
/// ramp at or after the baseline extrapolation.
fn dip_end(a: ArrayView1<f64>, first: usize, base: f64) -> Option<f64> {
    let n = a.len();
    let mut d = first;
    if d + 1 < n && a[d + 1] < a[d] {
        d += 1;
    }
    if d == 0 || d + 1 >= n || a[d] >= base - DIP_G * G || a[d + 1] <= a[d] {
        return None;
    }
    let l1 = base + STANCE_LEVELS.0 * G;
    let i = (0..d).rev().find(|&k| a[k] >= l1)?;
    let zero = line_zero(a, i, base, -1)?;
    Some(zero.clamp(d as f64 - 0.5, d as f64 + 0.5))
}

/// The start of a landing impact whose ramp rises from under the baseline
/// (mirror of [`dip_end`]); `first` is the last sample before the ramp
/// crosses `base` + [`STANCE_LEVELS`].0.
fn dip_start(a: ArrayView1<f64>, first: usize, base: f64) -> Option<f64> {
    let n = a.len();
    let mut d = first.min(n - 1);
    if d > 0 && a[d - 1] < a[d] {
        d -= 1;
    }
    if d == 0 || d + 1 >= n || a[d] >= base - DIP_G * G || a[d - 1] <= a[d] {
        return None;
    }
    let l1 = base + STANCE_LEVELS.0 * G;
    let i = (d + 1..n).find(|&k| a[k] >= l1)? - 1;
    let zero = line_zero(a, i, base, 1)?;
    Some(zero.clamp(d as f64 - 0.5, d as f64 + 0.5))
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

/// All flights in a segment's specific-force magnitude.
pub fn detect(amag: ArrayView1<f64>) -> Vec<Flight> {
    let n = amag.len();
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
        let (Some(push_end), Some(impact_start)) = (
            falling_edge(amag, start, base, STANCE_LEVELS, 0.3),
            rising_edge(amag, end + 1, base, STANCE_LEVELS, 0.3),
        ) else {
            continue;
        };
        let push_end = dip_end(amag, push_end.ceil() as usize, base).unwrap_or(push_end);
        let impact_start =
            dip_start(amag, impact_start.floor() as usize, base).unwrap_or(impact_start);
        let takeoff = trailing_contact(amag, push_end, base).unwrap_or(push_end);
        let landing = leading_contact(amag, impact_start, base).unwrap_or(impact_start);
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

    /// A take-off push, a trailing hind-limb lobe (0.5 g, 0.1 s), 0.3 s
    /// without contact, a leading forelimb lobe (0.45 g, 0.08 s), the impact:
    /// the flight is the 0.3 s without contact.
    #[test]
    fn light_contacts_are_not_flight() {
        let pi = std::f64::consts::PI;
        let hump = |t: f64, t0: f64, d: f64, peak: f64| peak * G * (pi * (t - t0) / d).sin();
        let a = Array1::from_shape_fn(220, |i| {
            let t = i as f64 / FS;
            match t {
                t if t < 1.0 => G,
                t if t < 1.3 => hump(t, 1.0, 0.3, 2.2).max(if t < 1.15 { G } else { 0.0 }),
                t if t < 1.4 => hump(t, 1.3, 0.1, 0.5),
                t if t < 1.7 => 0.05 * G,
                t if t < 1.78 => hump(t, 1.7, 0.08, 0.45),
                t if t < 2.03 => hump(t, 1.78, 0.25, 3.5).max(if t > 1.9 { G } else { 0.0 }),
                _ => G,
            }
        });
        let found = detect(a.view());
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
        let hump = |t: f64, t0: f64, d: f64, peak: f64| peak * G * (pi * (t - t0) / d).sin();
        let a = Array1::from_shape_fn(220, |i| {
            let t = i as f64 / FS;
            match t {
                t if t < 1.0 => G,
                t if t < 1.3 => hump(t, 1.0, 0.3, 2.2).max(if t < 1.15 { G } else { 0.0 }),
                t if t < 1.4 => 0.2 * G + hump(t, 1.3, 0.1, 0.5),
                t if t < 1.7 => 0.2 * G + 0.15 * G * (2.0 * pi * (t - 1.4) / 0.3).sin(),
                t if t < 1.78 => 0.2 * G + hump(t, 1.7, 0.08, 0.45),
                t if t < 2.03 => hump(t, 1.78, 0.25, 3.5).max(if t > 1.9 { G } else { 0.0 }),
                _ => G,
            }
        });
        let found = detect(a.view());
        assert_eq!(found.len(), 1);
        let (t0, t1) = (found[0].takeoff / FS, found[0].landing / FS);
        assert!(
            (t0 - 1.4).abs() < 0.015 && (t1 - 1.7).abs() < 0.015,
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
