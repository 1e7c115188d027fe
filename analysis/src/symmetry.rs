//! Trot symmetry: MinDiff and MaxDiff of the trunk's vertical displacement
//! between the two diagonals, on straight trot bouts of at least 5 s.
//!
//! *Telling the diagonals apart.* At trot the trunk sways once per stride
//! toward the side of the supporting forelimb: it is furthest left during the
//! left-fore/right-hind (LF) stance. The lateral acceleration band-passed at
//! the stride frequency is −ω²·(lateral displacement), so its upward zero
//! crossing marks a quarter stride after the LF mid-stance. Each stride is cut
//! at those crossings, which pins the LF stance at phase 0 and the RF stance
//! at phase π.
//!
//! *Displacement.* Each stride's vertical acceleration (gravity removed in the
//! horse frame) is decomposed into 6 harmonics of that stride's own period and
//! divided by −(kω)² — double integration with the per-stride drift (the 0th
//! harmonic) removed. The complex coefficients are averaged over strides.
//!
//! MinDiff = lowest point around the LF stance − lowest point around the RF
//! stance; MaxDiff = highest point after the LF push-off − highest point after
//! the RF push-off (mm). The minima are searched in ±90° around each stance,
//! so a phase error of the lateral reference smaller than that changes
//! nothing.

use ndarray::ArrayView1;
use std::f64::consts::PI;

use crate::filter::{bandpass, up_crossings};
use crate::report::{Symmetry, round};
use crate::resample::FS;
use crate::stride::{Profile, displacement_profile};

/// Shortest bout scored.
pub const MIN_BOUT_S: f64 = 5.0;

/// Extremes of a one-stride displacement curve: (MinDiff, MaxDiff, range) in m.
pub fn diffs(z: impl Fn(f64) -> f64) -> (f64, f64, f64) {
    const N: usize = 720;
    let at = |i: usize| z(2.0 * PI * i as f64 / N as f64 - PI / 2.0);
    // Grid starts at −π/2; index i ↦ θ = −π/2 + 2πi/N.
    let (mut min_lf, mut min_rf, mut max_lf, mut max_rf) = (
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    );
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for i in 0..N {
        let v = at(i);
        lo = lo.min(v);
        hi = hi.max(v);
        if i < N / 2 {
            min_lf = min_lf.min(v); // θ ∈ [−π/2, π/2)
        } else {
            min_rf = min_rf.min(v); // θ ∈ [π/2, 3π/2)
        }
        if (N / 4..3 * N / 4).contains(&i) {
            max_lf = max_lf.max(v); // θ ∈ [0, π)
        } else {
            max_rf = max_rf.max(v); // θ ∈ [π, 2π)
        }
    }
    (min_lf - min_rf, max_lf - max_rf, hi - lo)
}

/// Builds the report figures from MinDiff/MaxDiff/range in metres.
pub fn figures(min_diff: f64, max_diff: f64, range: f64, strides: u32) -> Symmetry {
    let (mn, mx) = (min_diff * 1000.0, max_diff * 1000.0);
    let rom = (range * 1000.0).max(1e-6);
    let index = 100.0 * (1.0 - (mn.abs() + mx.abs()) / (2.0 * rom)).clamp(0.0, 1.0);
    let worst = mn.abs().max(mx.abs());
    let score = (10.0 - (worst - 3.0).max(0.0) * 10.0 / 17.0).clamp(0.0, 10.0);
    Symmetry {
        min_diff_mm: round(mn, 1),
        max_diff_mm: round(mx, 1),
        symmetry_index: round(index, 1),
        score: round(score, 1),
        strides,
    }
}

/// Symmetry of one straight trot stretch (horse-frame signals of the bout).
pub fn analyse(vert: ArrayView1<f64>, lat: ArrayView1<f64>, stride_hz: f64) -> Option<Symmetry> {
    if stride_hz <= 0.0 || (vert.len() as f64) < MIN_BOUT_S * FS {
        return None;
    }
    let lat_bp = bandpass(lat, stride_hz, 1.5, FS);
    let margin = 0.3 * FS;
    let len = vert.len() as f64;
    let events: Vec<f64> = up_crossings(lat_bp.view())
        .into_iter()
        .filter(|&c| c >= margin && c <= len - margin)
        .collect();
    let profile: Profile =
        displacement_profile(vert, &events, 0.7 / stride_hz, 1.4 / stride_hz, 6, PI / 2.0)?;
    if profile.cycles < 4 {
        return None;
    }
    let (mn, mx, range) = diffs(|t| profile.at(t));
    Some(figures(mn, mx, range, profile.cycles))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diffs_of_a_known_curve() {
        // z = −A cos 2θ + B cos θ + C sin θ: MinDiff = 2B, MaxDiff = 2C.
        let (a, b, c) = (0.03, 0.002, -0.003);
        let (mn, mx, range) = diffs(|t| -a * (2.0 * t).cos() + b * t.cos() + c * t.sin());
        assert!((mn - 2.0 * b).abs() < 2e-4, "{mn}");
        assert!((mx - 2.0 * c).abs() < 2e-4, "{mx}");
        assert!(range > 2.0 * a);
    }

    #[test]
    fn symmetric_trot_scores_ten() {
        let s = figures(0.001, -0.0015, 0.06, 40);
        assert_eq!(s.score, 10.0);
        assert!(s.symmetry_index > 95.0);
        assert_eq!(figures(0.03, 0.0, 0.06, 40).score, 0.0);
    }
}
