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
//!
//! *Since aggregation/1.5.0* a light contact ends at its lift-off corner:
//! the line along its falling side (its last two samples) meets the line
//! fitted to the in-air samples next to it (the limb swing's internal
//! forces need not sit at the lower quartile), also at the trough that
//! ends a trailing contact; and above 100 Hz the dip of a take-off ramp
//! under the baseline is looked for on the recording's own samples.
//! When such a light contact ends the low run (no stance found after it),
//! the flight starts no later than where the steepest step of its falling
//! side reaches the trough after it: a limb's ground-reaction force falls
//! fastest as the hoof leaves the ground, so a line through samples higher
//! up the hump overshoots the lift-off (take-off 20–35 ms late on 6 jumps
//! of the five wide seeds).
//!
//! Layout: `samples` (the raw window and the series the edges are placed
//! on), `ramps` (ramp lines, lobe edges, corners), `contacts` (light limb
//! contacts), `dips` (ramps dipping under the baseline), `tests`.

mod contacts;
mod dips;
mod ramps;
mod samples;
#[cfg(test)]
mod tests;

use ndarray::ArrayView1;

use crate::filter::sub;
use crate::resample::FS;
use contacts::{leading_contact, steep_lift_off, trailing_contact};
use dips::{dip_end, dip_start};
use ramps::{CONTACT_LEVELS, STANCE_LEVELS, falling_corner, falling_edge, rising_edge};
use samples::Series;
pub use samples::{RawWindow, raw_window, raw_window_samples};

const G: f64 = 9.80665;

/// A flight found in one segment (times as fractional sample indexes).
#[derive(Debug, Clone, Copy)]
pub struct Flight {
    pub takeoff: f64,
    pub landing: f64,
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
pub(super) const AIR_MAX_G: f64 = 0.7;
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
        let raw_s = window.as_ref().map(|w| Series {
            t: Some(&w.t),
            a: &w.a,
        });
        let s = match (&window, raw_s) {
            (Some(w), Some(r)) if !w.dense => r,
            _ => Series { t: None, a: grid },
        };
        // The bottom of a stance's ramp on the recording's own samples.
        let d = raw_s.unwrap_or(s);
        let (Some(push_end), Some(impact_start)) = (
            falling_edge(s, s.at(start as f64), base, STANCE_LEVELS, 0.3),
            rising_edge(s, s.at(end as f64), base, STANCE_LEVELS, 0.3),
        ) else {
            continue;
        };
        let push_end = dip_end(d, d.at(push_end), base).unwrap_or(push_end);
        let impact_start = dip_start(s, s.upto(impact_start), base).unwrap_or(impact_start);
        // A lobe under body weight at the run's end is a limb contact (one
        // limb still pushing, or already touching, lifted the force over
        // `AIR_MAX_G`), not the stance: the flight starts (ends) at its edge,
        // and no further contact is looked for — the limb swing's internal
        // forces after it would pass for one.
        let l1 = base + STANCE_LEVELS.0 * G;
        let takeoff = if lobe_peak(s, s.at(start as f64), -1, l1) < G {
            let corner = falling_corner(s, s.at(start as f64), base, CONTACT_LEVELS, 0.3)
                .unwrap_or(push_end);
            steep_lift_off(s, s.at(start as f64), base).map_or(corner, |t| t.min(corner))
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
