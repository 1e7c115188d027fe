//! Trunk displacement per cycle in the frequency domain: each cycle's
//! acceleration is resampled to [`PHASE_POINTS`] points of phase,
//! decomposed into harmonics of that cycle's own period and divided by
//! −(kω)²; the cycles' coefficients are averaged into a [`Profile`].

use ndarray::ArrayView1;

use crate::resample::FS;

/// Phase samples per cycle for the harmonic decomposition.
const PHASE_POINTS: usize = 64;

/// Harmonic coefficients (re, im) of the mean displacement per cycle.
#[derive(Debug, Clone)]
pub struct Profile {
    pub coeffs: Vec<(f64, f64)>,
    pub cycles: u32,
}

impl Profile {
    /// Displacement (m) at phase θ (radians).
    pub fn at(&self, theta: f64) -> f64 {
        self.coeffs
            .iter()
            .enumerate()
            .map(|(k, (re, im))| {
                let a = (k + 1) as f64 * theta;
                re * a.cos() - im * a.sin()
            })
            .sum()
    }

    /// Peak-to-peak displacement (m), from [`Profile::at`] on 128 phases.
    pub fn peak_to_peak(&self) -> f64 {
        let table = ptp_table();
        let (mut hi, mut lo) = (f64::NEG_INFINITY, f64::INFINITY);
        for i in 0..PTP_POINTS {
            let v = if self.coeffs.len() <= PTP_HARMONICS {
                // Same terms, summed in the same order, as `at`.
                self.coeffs
                    .iter()
                    .zip(&table[i * PTP_HARMONICS..])
                    .map(|((re, im), (c, s))| re * c - im * s)
                    .sum()
            } else {
                self.at(ptp_theta(i))
            };
            hi = hi.max(v);
            lo = lo.min(v);
        }
        if hi >= lo { hi - lo } else { 0.0 }
    }
}

/// Phases at which [`Profile::peak_to_peak`] evaluates the profile.
const PTP_POINTS: usize = 128;
/// Harmonics tabulated for it (profiles have 4 or 6).
const PTP_HARMONICS: usize = 8;

fn ptp_theta(i: usize) -> f64 {
    2.0 * std::f64::consts::PI * i as f64 / PTP_POINTS as f64
}

/// cos and sin of k·θᵢ (k = 1..=8) at the 128 phases, computed once with
/// the expressions of [`Profile::at`], so the tabulated sum equals it bit
/// for bit: one bout's profile otherwise costs a thousand sin/cos.
fn ptp_table() -> &'static [(f64, f64)] {
    static TABLE: std::sync::OnceLock<Vec<(f64, f64)>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        (0..PTP_POINTS)
            .flat_map(|i| {
                (0..PTP_HARMONICS).map(move |k| {
                    let a = (k + 1) as f64 * ptp_theta(i);
                    (a.cos(), a.sin())
                })
            })
            .collect()
    })
}

/// cos and sin of k·θₙ for harmonics k = 1..=`harmonics` and phase points
/// θₙ = 2πn/N + `phase0`, harmonic-major.
fn phase_table_of(harmonics: usize, phase0: f64) -> Vec<(f64, f64)> {
    (0..harmonics)
        .flat_map(|k| {
            (0..PHASE_POINTS).map(move |n| {
                let theta = 2.0 * std::f64::consts::PI * n as f64 / PHASE_POINTS as f64 + phase0;
                ((k + 1) as f64 * theta).sin_cos()
            })
        })
        .map(|(s, c)| (c, s))
        .collect()
}

/// cos and sin of k·θₙ for harmonics k = 1..=`H` and phase points
/// θₙ = 2πn/N + `phase0`, point-major: the same values as
/// [`phase_table_of`], laid out so that one phase point's products for all
/// `H` harmonics are adjacent (the harmonics' sums then go side by side in
/// vector registers, each still summed over n in order: the same bits).
struct PointMajor<const H: usize> {
    cos: [[f64; H]; PHASE_POINTS],
    sin: [[f64; H]; PHASE_POINTS],
}

impl<const H: usize> PointMajor<H> {
    fn new(phase0: f64) -> Self {
        let table = phase_table_of(H, phase0);
        let mut p = PointMajor {
            cos: [[0.0; H]; PHASE_POINTS],
            sin: [[0.0; H]; PHASE_POINTS],
        };
        for (k, row) in table.chunks_exact(PHASE_POINTS).enumerate() {
            for (n, &(c, s)) in row.iter().enumerate() {
                p.cos[n][k] = c;
                p.sin[n][k] = s;
            }
        }
        p
    }

    /// Σₙ v[n]·cos k·θₙ and Σₙ v[n]·sin k·θₙ per harmonic, each summed over
    /// n in increasing order from 0.0, like the harmonic-major loop.
    fn sums(&self, v: &[f64; PHASE_POINTS]) -> ([f64; H], [f64; H]) {
        let (mut re, mut im) = ([0.0; H], [0.0; H]);
        for ((v, c), s) in v.iter().zip(&self.cos).zip(&self.sin) {
            for k in 0..H {
                re[k] += v * c[k];
                im[k] += v * s[k];
            }
        }
        (re, im)
    }
}

/// The phase tables of a profile: the two uses of the analysis (stride
/// elevation: 4 harmonics from phase 0; symmetry: 6 from π/2) are computed
/// once per process and point-major ([`PointMajor`]); any other
/// combination is tabulated per call, harmonic-major.
enum PhaseTable {
    Elevation(&'static PointMajor<4>),
    Symmetry(&'static PointMajor<6>),
    Other(Vec<(f64, f64)>),
}

impl PhaseTable {
    fn get(harmonics: usize, phase0: f64) -> Self {
        use std::sync::OnceLock;
        static ELEVATION: OnceLock<PointMajor<4>> = OnceLock::new();
        static SYMMETRY: OnceLock<PointMajor<6>> = OnceLock::new();
        let half_pi = std::f64::consts::FRAC_PI_2;
        if harmonics == 4 && phase0.to_bits() == 0f64.to_bits() {
            PhaseTable::Elevation(ELEVATION.get_or_init(|| PointMajor::new(0.0)))
        } else if harmonics == 6 && phase0.to_bits() == half_pi.to_bits() {
            PhaseTable::Symmetry(SYMMETRY.get_or_init(|| PointMajor::new(half_pi)))
        } else {
            PhaseTable::Other(phase_table_of(harmonics, phase0))
        }
    }

    /// Adds one cycle's displacement coefficients to `sum`: harmonic k's
    /// (re, im) of `pts` times −2/N/(kω)² (im negated).
    fn add_cycle(&self, pts: &[f64; PHASE_POINTS], omega: f64, sum: &mut [(f64, f64)]) {
        let add = |sum: &mut [(f64, f64)], re: &[f64], im: &[f64]| {
            for (k, (acc, (re, im))) in sum.iter_mut().zip(re.iter().zip(im)).enumerate() {
                let kk = (k + 1) as f64;
                // x ≈ Σ re_k cos kθ − im_k sin kθ, with the sign of im chosen
                // to match Profile::at; displacement = −acc / (kω)².
                let scale = -2.0 / PHASE_POINTS as f64 / (kk * omega).powi(2);
                acc.0 += re * scale;
                acc.1 += -im * scale;
            }
        };
        match self {
            PhaseTable::Elevation(t) => {
                let (re, im) = t.sums(pts);
                add(sum, &re, &im);
            }
            PhaseTable::Symmetry(t) => {
                let (re, im) = t.sums(pts);
                add(sum, &re, &im);
            }
            PhaseTable::Other(table) => {
                let (re, im): (Vec<f64>, Vec<f64>) = table
                    .chunks_exact(PHASE_POINTS)
                    .map(|row| {
                        let (mut re, mut im) = (0.0, 0.0);
                        for (v, (c, s)) in pts.iter().zip(row) {
                            re += v * c;
                            im += v * s;
                        }
                        (re, im)
                    })
                    .unzip();
                add(sum, &re, &im);
            }
        }
    }
}

/// Mean displacement profile of `x` (acceleration, m/s²) over the cycles
/// delimited by `events` (fractional sample indexes). Phase 0 of a cycle is
/// `phase0` radians after its first event. Cycles whose period is outside
/// `[min_s, max_s]` are skipped.
pub fn displacement_profile(
    x: ArrayView1<f64>,
    events: &[f64],
    min_s: f64,
    max_s: f64,
    harmonics: usize,
    phase0: f64,
) -> Option<Profile> {
    displacement_profile_clear(x, events, (min_s, max_s), harmonics, phase0, &[])
}

/// [`displacement_profile`] without the cycles that overlap one of `holes`
/// (sample positions of interpolated holes in `x`): a straight line across
/// a hole is not the trunk's motion, and one cycle's error is divided only
/// by the number of cycles.
pub fn displacement_profile_clear(
    x: ArrayView1<f64>,
    events: &[f64],
    (min_s, max_s): (f64, f64),
    harmonics: usize,
    phase0: f64,
    holes: &[(f64, f64)],
) -> Option<Profile> {
    let mut sum = vec![(0.0, 0.0); harmonics];
    let mut cycles = 0u32;
    let table = PhaseTable::get(harmonics, phase0);
    let xs: std::borrow::Cow<'_, [f64]> = match x.as_slice() {
        Some(s) => s.into(),
        None => x.to_vec().into(),
    };
    for w in events.windows(2) {
        let (a, b) = (w[0], w[1]);
        let period = (b - a) / FS;
        if !(min_s..=max_s).contains(&period) {
            continue;
        }
        if a < 0.0 || b.ceil() as usize >= x.len() {
            continue;
        }
        if holes.iter().any(|&(h0, h1)| h0 < b && h1 > a) {
            continue;
        }
        // Resample the cycle to exactly N points of phase so that the sums
        // below are exact for every harmonic (no leakage from the strong
        // beat harmonic into the weak stride harmonic).
        //
        // When b ≥ a (every cycle of a positive period) the phase points'
        // times increase from a ≥ 0, so their floors are found by stepping an
        // integer (and its exact f64 value) forward instead of converting
        // every time: the same index and weight as `t as usize` and
        // `t − i as f64`, without a saturating conversion per point.
        //
        // The sample pair around the points (x[i] and x[i + 1] − x[i]) is
        // read only when i moves (about one point in three), and n's exact
        // f64 value is counted along: the same operands and operations per
        // point as `at` and `lerp`.
        let at = |n: usize| a + (b - a) * (n as u32) as f64 / PHASE_POINTS as f64;
        let lerp = |i: usize, w: f64| xs[i] + w * (xs[(i + 1).min(xs.len() - 1)] - xs[i]);
        let pts: [f64; PHASE_POINTS] = if b >= a {
            let mut i = a as usize;
            let mut fi = i as f64;
            let pair = |i: usize| (xs[i], xs[(i + 1).min(xs.len() - 1)] - xs[i]);
            let (mut x0, mut dx) = pair(i);
            let mut nf = 0.0;
            std::array::from_fn(|_| {
                let t = a + (b - a) * nf / PHASE_POINTS as f64;
                nf += 1.0;
                if fi + 1.0 <= t {
                    while fi + 1.0 <= t {
                        fi += 1.0;
                        i += 1;
                    }
                    (x0, dx) = pair(i);
                }
                x0 + (t - fi) * dx
            })
        } else {
            std::array::from_fn(|n| {
                let t = at(n);
                let i = t as usize;
                lerp(i, t - i as f64)
            })
        };
        let omega = 2.0 * std::f64::consts::PI / period;
        table.add_cycle(&pts, omega, &mut sum);
        cycles += 1;
    }
    if cycles == 0 {
        return None;
    }
    let c = cycles as f64;
    Some(Profile {
        coeffs: sum.into_iter().map(|(r, i)| (r / c, i / c)).collect(),
        cycles,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array1;

    /// The point-major tables (elevation, symmetry) give the same
    /// coefficients bit for bit as the harmonic-major sums of any other
    /// table, and the stepped phase-point index the converted one.
    #[test]
    fn point_major_sums_match_harmonic_major() {
        let x = Array1::from_shape_fn(2000, |i| {
            (0.21 * i as f64).sin() + 0.3 * (0.05 * i as f64).cos()
        });
        let events: Vec<f64> = (0..40)
            .map(|k| 3.7 + 41.3 * k as f64 + (k % 3) as f64 * 0.61)
            .collect();
        for (h, phase0) in [(4, 0.0), (6, std::f64::consts::FRAC_PI_2)] {
            let fast =
                displacement_profile(x.view(), &events, 0.1, 2.0, h, phase0).expect("profile");
            // The same sums through the generic path: harmonic-major table,
            // floors by conversion.
            let table = phase_table_of(h, phase0);
            let mut sum = vec![(0.0, 0.0); h];
            for w in events.windows(2) {
                let (a, b) = (w[0], w[1]);
                let pts: [f64; PHASE_POINTS] = std::array::from_fn(|n| {
                    let t = a + (b - a) * n as f64 / PHASE_POINTS as f64;
                    let i = t as usize;
                    x[i] + (t - i as f64) * (x[i + 1] - x[i])
                });
                PhaseTable::Other(table.clone()).add_cycle(
                    &pts,
                    2.0 * std::f64::consts::PI / ((b - a) / FS),
                    &mut sum,
                );
            }
            let c = (events.len() - 1) as f64;
            for (got, want) in fast.coeffs.iter().zip(&sum) {
                assert_eq!(got.0.to_bits(), (want.0 / c).to_bits());
                assert_eq!(got.1.to_bits(), (want.1 / c).to_bits());
            }
        }
    }

    #[test]
    fn profile_recovers_sinusoid_displacement() {
        // z = 0.03 cos(θ) at 1.5 Hz → a = −0.03 ω² cos θ.
        let f = 1.5;
        let w = 2.0 * std::f64::consts::PI * f;
        let x = Array1::from_shape_fn(1000, |i| -0.03 * w * w * (w * i as f64 / FS).cos());
        let events: Vec<f64> = (0..29).map(|k| k as f64 * FS / f).collect();
        let p = displacement_profile(x.view(), &events, 0.5, 0.8, 3, 0.0).expect("profile");
        assert!(
            (p.peak_to_peak() - 0.06).abs() < 0.002,
            "{}",
            p.peak_to_peak()
        );
        assert!((p.at(0.0) - 0.03).abs() < 0.002);
    }

    /// The tabulated peak-to-peak is exactly the one computed with `at`.
    #[test]
    fn peak_to_peak_table_matches_at_exactly() {
        for h in [3, 4, 6, 9] {
            let p = Profile {
                coeffs: (0..h)
                    .map(|k| (0.01 / (k + 1) as f64, -0.003 * k as f64 + 0.001))
                    .collect(),
                cycles: 1,
            };
            let vals: Vec<f64> = (0..128)
                .map(|i| p.at(2.0 * std::f64::consts::PI * i as f64 / 128.0))
                .collect();
            let hi = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let lo = vals.iter().copied().fold(f64::INFINITY, f64::min);
            assert_eq!(
                p.peak_to_peak().to_bits(),
                (hi - lo).to_bits(),
                "{h} harmonics"
            );
        }
    }
}
