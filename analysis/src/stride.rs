//! Stride timing and trunk displacement for one bout.
//!
//! The vertical acceleration is band-passed (zero phase) around the beat
//! frequency — twice the stride frequency at walk and trot, once at canter and
//! gallop — and its upward zero crossings are the beats. The stride frequency
//! is the number of plausible beat intervals divided by their total length,
//! divided by the beats per stride: this averages stride-to-stride jitter
//! exactly like counting strides with a stopwatch.
//!
//! Displacement is obtained per cycle in the frequency domain: each cycle's
//! acceleration is decomposed into harmonics of that cycle's own period and
//! divided by −(kω)². Dropping the 0th harmonic removes the per-stride drift
//! that double integration in the time domain would accumulate.

use ndarray::ArrayView1;

use crate::filter::{bandpass, up_crossings};
use crate::gait::Run;
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

    /// Peak-to-peak displacement (m).
    pub fn peak_to_peak(&self) -> f64 {
        let vals: Vec<f64> = (0..128)
            .map(|i| self.at(2.0 * std::f64::consts::PI * i as f64 / 128.0))
            .collect();
        let hi = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let lo = vals.iter().copied().fold(f64::INFINITY, f64::min);
        if hi >= lo { hi - lo } else { 0.0 }
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
    let mut sum = vec![(0.0, 0.0); harmonics];
    let mut cycles = 0u32;
    // cos/sin of k·θ_n for every harmonic and phase point, computed once.
    let table: Vec<(f64, f64)> = (0..harmonics)
        .flat_map(|k| {
            (0..PHASE_POINTS).map(move |n| {
                let theta = 2.0 * std::f64::consts::PI * n as f64 / PHASE_POINTS as f64 + phase0;
                ((k + 1) as f64 * theta).sin_cos()
            })
        })
        .map(|(s, c)| (c, s))
        .collect();
    for w in events.windows(2) {
        let (a, b) = (w[0], w[1]);
        let period = (b - a) / FS;
        if !(min_s..=max_s).contains(&period) {
            continue;
        }
        if a < 0.0 || b.ceil() as usize >= x.len() {
            continue;
        }
        // Resample the cycle to exactly N points of phase so that the sums
        // below are exact for every harmonic (no leakage from the strong
        // beat harmonic into the weak stride harmonic).
        let pts: Vec<f64> = (0..PHASE_POINTS)
            .map(|n| {
                let t = a + (b - a) * n as f64 / PHASE_POINTS as f64;
                let i = t.floor() as usize;
                let w = t - i as f64;
                x[i] + w * (x[(i + 1).min(x.len() - 1)] - x[i])
            })
            .collect();
        let m = PHASE_POINTS as f64;
        let omega = 2.0 * std::f64::consts::PI / period;
        for (k, acc) in sum.iter_mut().enumerate() {
            let kk = (k + 1) as f64;
            let (mut re, mut im) = (0.0, 0.0);
            for (v, (c, s)) in pts
                .iter()
                .zip(&table[k * PHASE_POINTS..(k + 1) * PHASE_POINTS])
            {
                re += v * c;
                im += v * s;
            }
            // x ≈ Σ re_k cos kθ − im_k sin kθ, with the sign of im chosen to
            // match Profile::at; displacement = −acc / (kω)².
            let scale = -2.0 / m / (kk * omega).powi(2);
            acc.0 += re * scale;
            acc.1 += -im * scale;
        }
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

/// Stride figures of one bout.
#[derive(Debug, Clone, Default)]
pub struct StrideInfo {
    pub stride_hz: f64,
    pub strides: u32,
    /// Beat times as fractional sample indexes within the segment.
    pub beats: Vec<f64>,
    pub elevation_m: f64,
}

/// Beats, stride frequency, stride count and elevation of a bout.
pub fn analyse(vert: ArrayView1<f64>, run: &Run) -> StrideInfo {
    let dur = (run.end - run.start) as f64 / FS;
    if run.stride_hz <= 0.0 || run.end <= run.start + 10 {
        return StrideInfo::default();
    }
    let bps = run.gait.beats_per_stride();
    let fb = run.stride_hz * bps;
    let x = crate::filter::sub(vert, run.start, run.end);
    let bp = bandpass(x, fb, 1.5, FS);
    let margin = 0.3 * FS;
    let len = (run.end - run.start) as f64;
    let beats: Vec<f64> = up_crossings(bp.view())
        .into_iter()
        .filter(|&c| c >= margin && c <= len - margin)
        .collect();
    let (lo, hi) = (0.6 / fb, 1.6 / fb);
    let (mut n, mut total) = (0usize, 0.0);
    for w in beats.windows(2) {
        let d = (w[1] - w[0]) / FS;
        if (lo..=hi).contains(&d) {
            n += 1;
            total += d;
        }
    }
    let stride_hz = if n >= 2 && total > 0.0 {
        n as f64 / total / bps
    } else {
        run.stride_hz
    };
    let elevation_m = displacement_profile(x, &beats, lo, hi, 4, 0.0)
        .map(|p| p.peak_to_peak())
        .unwrap_or(0.0);
    StrideInfo {
        stride_hz,
        strides: (stride_hz * dur).round().max(0.0) as u32,
        beats: beats.into_iter().map(|b| b + run.start as f64).collect(),
        elevation_m,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array1;

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
}
