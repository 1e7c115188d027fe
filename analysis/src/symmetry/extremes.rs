//! MinDiff, MaxDiff and range of a one-stride vertical displacement curve,
//! searched on a phase grid, and the report figures built from them.

use std::f64::consts::PI;

use crate::report::{Symmetry, round};
use crate::stride::Profile;

/// Extremes of a one-stride displacement curve: (MinDiff, MaxDiff, range) in m.
pub fn diffs(z: impl Fn(f64) -> f64) -> (f64, f64, f64) {
    diffs_on_grid(|i| z(2.0 * PI * i as f64 / GRID as f64 - PI / 2.0))
}

/// Points of the phase grid the extremes are searched on.
const GRID: usize = 720;
/// Harmonics of the displacement profiles.
pub(super) const HARMONICS: usize = 6;

/// cos and sin of k·θᵢ on the grid, k = 1..=6, computed once.
fn grid_table() -> &'static [[(f64, f64); HARMONICS]] {
    static TABLE: std::sync::OnceLock<Vec<[(f64, f64); HARMONICS]>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        (0..GRID)
            .map(|i| {
                let th = 2.0 * PI * i as f64 / GRID as f64 - PI / 2.0;
                std::array::from_fn(|k| {
                    let (s, c) = ((k + 1) as f64 * th).sin_cos();
                    (c, s)
                })
            })
            .collect()
    })
}

/// [`diffs`] of a displacement profile, with tabulated harmonics (the
/// jackknife evaluates a dozen profiles per stretch).
pub fn profile_diffs(p: &Profile) -> (f64, f64, f64) {
    let table = grid_table();
    diffs_on_grid(|i| {
        p.coeffs
            .iter()
            .zip(&table[i])
            .map(|((re, im), (c, s))| re * c - im * s)
            .sum()
    })
}

/// The extremes over the grid; `at(i)` is the displacement at θ = −π/2 + 2πi/N.
fn diffs_on_grid(at: impl Fn(usize) -> f64) -> (f64, f64, f64) {
    const N: usize = GRID;
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
    fn tabulated_profile_matches_the_definition() {
        let p = Profile {
            coeffs: vec![
                (0.002, -0.001),
                (-0.03, 0.004),
                (0.0, 0.0),
                (0.001, 0.0),
                (0.0, 0.0),
                (0.0, 0.0),
            ],
            cycles: 10,
        };
        let (a, b, c) = profile_diffs(&p);
        let (x, y, z) = diffs(|t| p.at(t));
        assert!((a - x).abs() < 1e-12 && (b - y).abs() < 1e-12 && (c - z).abs() < 1e-12);
    }

    #[test]
    fn symmetric_trot_scores_ten() {
        let s = figures(0.001, -0.0015, 0.06, 40);
        assert_eq!(s.score, 10.0);
        assert!(s.symmetry_index > 95.0);
        assert_eq!(figures(0.03, 0.0, 0.06, 40).score, 0.0);
    }
}
