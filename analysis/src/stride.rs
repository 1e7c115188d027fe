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

use crate::filter::{bandpass, bandpass_each, up_crossings};
use crate::gait::Run;
use crate::report::Gait;
use crate::resample::FS;

mod profile;
pub use profile::{Profile, displacement_profile, displacement_profile_clear};

/// Beats at least `min_gap` samples after the previous kept one: a crossing
/// closer than that (a residual harmonic crossing zero inside a beat) is
/// dropped, so its beat interval joins the next instead of being left out
/// while the rest of the split beat is counted — which would bias the
/// frequency up.
pub(crate) fn merge_close(crossings: impl Iterator<Item = f64>, min_gap: f64) -> Vec<f64> {
    let mut kept: Vec<f64> = Vec::new();
    for c in crossings {
        if kept.last().is_none_or(|&p| c - p >= min_gap) {
            kept.push(c);
        }
    }
    kept
}

/// Beats per second from beat intervals `(start, end)` (samples):
/// plausible intervals (in `[lo, hi]` s) / their total
/// time, keeping only intervals within −25 %/+33 % of their median — the
/// beats of a neighbouring gait that a bout boundary lets in (a trot's beat
/// is ~0.6 of a canter stride) are not this gait's stride-to-stride
/// variation (a few per cent). `None` under two intervals.
fn beat_rate(intervals: &[(f64, f64)], lo: f64, hi: f64) -> Option<f64> {
    let plausible: Vec<f64> = intervals
        .iter()
        .map(|(a, b)| (b - a) / FS)
        .filter(|d| (lo..=hi).contains(d))
        .collect();
    let med = crate::filter::median(&plausible);
    let (n, total) = plausible
        .iter()
        .filter(|&&d| d >= 0.75 * med && d <= med / 0.75)
        .fold((0usize, 0.0), |(n, t), d| (n + 1, t + d));
    (n >= 2 && total > 0.0).then(|| n as f64 / total)
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

/// Beat intervals within this long of either end of a bout are left out of
/// its stride frequency (unless fewer than two would remain): the bout
/// boundaries come from 6-s windows and sit up to ~1.5 s off, so the first
/// and last beats can be the neighbouring gait's. The median window does
/// not stop those between gaits of close rhythm — a canter after a gallop
/// strides only 10–20 % slower — and 2–4 of them among 40 gallop strides
/// read the gallop ~0.02–0.03 Hz low.
pub const BOUT_EDGE_S: f64 = 1.5;

/// Time before a fence's take-off (the take-off stance) and after its
/// landing (the landing stance) whose beat intervals are not strides (s).
pub const FENCE_BEFORE_S: f64 = 0.5;
pub const FENCE_AFTER_S: f64 = 0.3;

/// Beats, stride frequency, stride count and elevation of a bout. `fences`
/// are sample ranges of the segment (take-off stance to landing stance)
/// whose beat intervals are left out of the stride frequency: a fence is
/// not a stride.
pub fn analyse(vert: ArrayView1<f64>, run: &Run, fences: &[(f64, f64)]) -> StrideInfo {
    match beat_band(vert, run) {
        Some((x, fb)) => from_beat_band(x, bandpass(x, fb, BEAT_Q, FS).view(), run, fences),
        None => StrideInfo::default(),
    }
}

/// [`analyse`] of every bout of a segment (halts have no strides), the
/// bouts' band-passes run side by side ([`bandpass_each`]: the same values).
pub fn analyse_runs(vert: ArrayView1<f64>, runs: &[Run], fences: &[(f64, f64)]) -> Vec<StrideInfo> {
    let bands: Vec<Option<(ArrayView1<f64>, f64)>> = runs
        .iter()
        .map(|run| beat_band(vert, run).filter(|_| run.gait != Gait::Halt))
        .collect();
    let inputs: Vec<(ArrayView1<f64>, f64)> = bands.iter().flatten().copied().collect();
    let mut filtered = bandpass_each(&inputs, BEAT_Q, FS).into_iter();
    runs.iter()
        .zip(&bands)
        .map(|(run, band)| {
            // `filtered` holds one output per bout with a band, in order.
            let bp = band.and_then(|(x, _)| Some((x, filtered.next()?)));
            bp.map_or_else(StrideInfo::default, |(x, bp)| {
                from_beat_band(x, ArrayView1::from(&bp), run, fences)
            })
        })
        .collect()
}

/// Quality factor of the beat band-pass.
const BEAT_Q: f64 = 1.5;

/// The bout's vertical acceleration and the beat frequency its band-pass
/// is centred on; `None` when the bout is too short or has no rhythm.
fn beat_band<'a>(vert: ArrayView1<'a, f64>, run: &Run) -> Option<(ArrayView1<'a, f64>, f64)> {
    if run.stride_hz <= 0.0 || run.end <= run.start + 10 {
        return None;
    }
    let fb = run.stride_hz * run.gait.beats_per_stride();
    Some((crate::filter::sub(vert, run.start, run.end), fb))
}

/// [`analyse`] from the bout's vertical acceleration `x` and its beat
/// band-pass `bp`.
fn from_beat_band(
    x: ArrayView1<f64>,
    bp: ArrayView1<f64>,
    run: &Run,
    fences: &[(f64, f64)],
) -> StrideInfo {
    let dur = (run.end - run.start) as f64 / FS;
    let bps = run.gait.beats_per_stride();
    let fb = run.stride_hz * bps;
    let margin = 0.3 * FS;
    let len = (run.end - run.start) as f64;
    let (lo, hi) = (0.6 / fb, 1.6 / fb);
    let beats = merge_close(
        up_crossings(bp)
            .into_iter()
            .filter(|&c| c >= margin && c <= len - margin),
        lo * FS,
    );
    let off = run.start as f64;
    let clear = |w: &[f64]| {
        !fences
            .iter()
            .any(|&(a, b)| w[0] + off < b && w[1] + off > a)
    };
    let stride_beats: Vec<(f64, f64)> = beats
        .windows(2)
        .filter(|w| clear(w))
        .map(|w| (w[0], w[1]))
        .collect();
    let edge = BOUT_EDGE_S * FS;
    let inner: Vec<(f64, f64)> = stride_beats
        .iter()
        .copied()
        .filter(|&(a, b)| a >= edge && b <= len - edge)
        .collect();
    let stride_hz = beat_rate(&inner, lo, hi)
        .or_else(|| beat_rate(&stride_beats, lo, hi))
        .map_or(run.stride_hz, |r| r / bps);
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

    /// A crossing 0.3 beat after a beat is dropped; its interval joins the next.
    #[test]
    fn close_crossings_merge_into_the_next_beat() {
        let got = merge_close([0.0, 30.0, 39.0, 60.0, 90.0].into_iter(), 18.0);
        assert_eq!(got, [0.0, 30.0, 60.0, 90.0]);
    }

    /// Two beats of a neighbouring gait (19 samples) among 30-sample strides
    /// do not move the rate; no intervals, no rate.
    #[test]
    fn beat_rate_ignores_another_gaits_beats() {
        let mut iv: Vec<(f64, f64)> = (0..20)
            .map(|k| (30.0 * k as f64, 30.0 * (k + 1) as f64))
            .collect();
        iv.push((600.0, 619.0));
        iv.push((619.0, 638.0));
        let r = beat_rate(&iv, 0.2, 1.0).expect("rate");
        assert!((r - FS / 30.0).abs() < 1e-9, "{r}");
        assert!(beat_rate(&[], 0.2, 1.0).is_none());
    }

    /// A gallop bout at 2.3 Hz whose last 1.3 s are canter strides at
    /// 1.85 Hz (a boundary placed late): the stride frequency is the
    /// gallop's, not pulled toward the canter's.
    #[test]
    fn a_late_boundary_does_not_pull_the_stride_frequency() {
        use crate::report::Gait;
        let (f1, f2, t_switch) = (2.3, 1.85, 18.0);
        let n = (19.3 * FS) as usize;
        // Phase accumulated at 2.3 Hz, then at 1.85 Hz.
        let phase = |t: f64| {
            if t < t_switch {
                f1 * t
            } else {
                f1 * t_switch + f2 * (t - t_switch)
            }
        };
        let x = Array1::from_shape_fn(n, |i| {
            (2.0 * std::f64::consts::PI * phase(i as f64 / FS)).cos()
        });
        let run = Run {
            start: 0,
            end: n,
            gait: Gait::Gallop,
            stride_hz: 2.3,
            regularity: 0.9,
        };
        let info = analyse(x.view(), &run, &[]);
        assert!((info.stride_hz - f1).abs() < 0.003, "{}", info.stride_hz);
    }
}
