//! Validation and resampling: turns an irregular recording (dropped samples,
//! gaps, any rate from 25 to 400 Hz) into gap-free segments on a uniform
//! 50 Hz grid. Horse trunk motion lives below ~15 Hz, so 50 Hz keeps every
//! harmonic the analysis uses while making a 1-hour session cheap to process.
//! Holes over 1 s split the recording (bouts never span one); shorter holes
//! are interpolated and counted.

use ndarray::Array2;
use shared::sensor::Recording;

use crate::samples::Samples;

use crate::AnalysisError;
use crate::report::Gap;

mod grid;
use grid::{GridWalk, Tap, fit_sums, line_sum};
mod intervals;
pub(crate) use intervals::Scan;

/// Internal analysis rate in Hz.
pub const FS: f64 = 50.0;
/// Holes longer than this split the session.
pub const MAX_INTERPOLATED_GAP_S: f64 = 1.0;

/// A gap-free stretch resampled to [`FS`].
#[derive(Debug, Clone)]
pub struct Segment {
    /// Seconds from the first sample of the session.
    pub start_s: f64,
    /// Specific force (3 × n), m/s², sensor frame.
    pub acc: Array2<f64>,
    /// Angular rate (3 × n), deg/s, sensor frame.
    pub gyro: Array2<f64>,
    /// Interpolated holes longer than [`HOLE_S`]: (first, last) grid
    /// positions (fractional indexes) of the samples around each.
    pub holes: Vec<(f64, f64)>,
}

/// Shortest input interval counted as a hole for the displacement
/// profiles: linear interpolation over it misses a good part of the trot
/// beat's curvature (error ≈ a·(ωd)²/8: ~15 % of the beat's acceleration
/// at 0.1 s), which the double integration of one stride turns into
/// millimetres.
pub const HOLE_S: f64 = 0.1;

impl Segment {
    pub fn len(&self) -> usize {
        self.acc.ncols()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Time of sample `i` in seconds from the session start.
    pub fn time(&self, i: f64) -> f64 {
        self.start_s + i / FS
    }
}

/// The resampled session plus the facts found on the way.
#[derive(Debug, Clone)]
pub struct Resampled {
    pub segments: Vec<Segment>,
    pub gaps: Vec<Gap>,
    pub short_gaps: u32,
    pub clipped_samples: u64,
    pub duration_s: f64,
    pub samples: u64,
}

/// Checks the recording's shape and values; the analysis trusts nothing.
pub fn validate(rec: &Recording) -> Result<(), AnalysisError> {
    check(&Samples::from(rec)).map(|_| ())
}

/// [`validate`], returning the largest magnitude of each acceleration and
/// angular-rate channel (as [`max_abs`]) found in the same pass as the
/// finiteness check, and the pass over the intervals ([`Scan`]) that
/// checked the order, for [`resample_checked`]: one read of the six
/// channels and two of the timestamps fewer per analysis.
pub(crate) fn check(rec: &Samples<'_>) -> Result<([f64; 6], Scan), AnalysisError> {
    let n = rec.t.len();
    if rec.acc.iter().chain(rec.gyro.iter()).any(|c| c.len() != n) {
        return Err(AnalysisError::LengthMismatch);
    }
    // Fast checks without early exits (they vectorise); the exact error, if
    // any, is then found by the per-sample searches below.
    let scan = intervals::scan(rec.t);
    if !scan.increasing {
        for (i, w) in rec.t.windows(2).enumerate() {
            if w[1].partial_cmp(&w[0]) != Some(std::cmp::Ordering::Greater) {
                return Err(AnalysisError::NonIncreasingTime { index: i + 1 });
            }
        }
    }
    let first_non_finite = |c: &[f64]| {
        let index = c.iter().position(|v| !v.is_finite()).unwrap_or(0);
        AnalysisError::NonFinite { index }
    };
    // Strictly increasing timestamps hold no NaN (every comparison with
    // one fails), and only the first can be −∞ and the last +∞: the ends
    // decide whether all are finite (the index is still searched in full).
    let ends_finite = |t: &[f64]| {
        t.first().is_none_or(|v| v.is_finite()) && t.last().is_none_or(|v| v.is_finite())
    };
    if !ends_finite(rec.t) {
        return Err(first_non_finite(rec.t));
    }
    let mut peaks = [0.0; 6];
    for (c, peak) in rec.acc.iter().chain(rec.gyro.iter()).zip(&mut peaks) {
        let (finite, m) = finite_max_abs(c);
        if !finite {
            return Err(first_non_finite(c));
        }
        *peak = m;
    }
    let duration = rec.duration_s();
    if duration > shared::sensor::MAX_DURATION_S + 1.0 {
        return Err(AnalysisError::TooLong {
            duration_s: duration,
        });
    }
    Ok((peaks, scan))
}

/// Resamples a validated recording.
pub fn resample(rec: &Recording) -> Resampled {
    let rec = Samples::from(rec);
    let mut peaks = [0.0; 6];
    for (c, peak) in rec.acc.iter().chain(rec.gyro.iter()).zip(&mut peaks) {
        *peak = max_abs(c);
    }
    resample_checked(&rec, &peaks, &intervals::scan(rec.t))
}

/// [`resample`] with the channels' largest magnitudes and the intervals'
/// scan already known ([`check`]).
pub(crate) fn resample_checked(rec: &Samples<'_>, peaks: &[f64; 6], scan: &Scan) -> Resampled {
    let n = rec.t.len();
    let mut out = Resampled {
        segments: Vec::new(),
        gaps: Vec::new(),
        short_gaps: 0,
        clipped_samples: count_clipped(rec, peaks),
        duration_s: rec.duration_s(),
        samples: n as u64,
    };
    if n < 2 {
        return out;
    }
    let t0 = rec.t[0];
    let dt_med = intervals::median_interval(rec.t, scan).max(1e-6);
    let mut seg_start = 0usize;
    // Interpolated holes of the current segment (input indexes after them).
    let mut holes: Vec<usize> = Vec::new();
    let hole_s = HOLE_S.max(1.5 * dt_med);
    // Only intervals over `hole_s` or over the gap length do anything below
    // (both at least HOLE_S).
    for i in scan.intervals_over(rec.t, hole_s.min(MAX_INTERPOLATED_GAP_S)) {
        let dt = rec.t[i] - rec.t[i - 1];
        if dt > MAX_INTERPOLATED_GAP_S {
            out.gaps.push(Gap {
                start_s: rec.t[i - 1] - t0,
                end_s: rec.t[i] - t0,
            });
            push_segment(rec, seg_start, i, dt_med, &holes, &mut out.segments);
            holes.clear();
            seg_start = i;
        } else if dt > hole_s {
            holes.push(i);
            if dt > 2.5 * dt_med && dt > 0.15 {
                out.short_gaps += 1;
            }
        }
    }
    push_segment(rec, seg_start, n, dt_med, &holes, &mut out.segments);
    out
}

/// Resamples samples `a..b` onto the 50 Hz grid: a local line through each 20-ms box when the input
/// is much faster than 50 Hz (anti-aliasing), linear interpolation otherwise.
/// `holes` are the input indexes of the segment that follow an interpolated
/// hole (an interval over [`HOLE_S`]).
fn push_segment(
    rec: &Samples<'_>,
    a: usize,
    b: usize,
    dt_med: f64,
    holes: &[usize],
    segments: &mut Vec<Segment>,
) {
    if b <= a + 1 {
        return;
    }
    let t = rec.t;
    let t0 = t[0];
    let ts = t[a] - t0;
    let te = t[b - 1] - t0;
    // The small epsilon keeps the grid length identical when the timestamps
    // are shifted (rounding of t − t0 must not drop the last grid point).
    let m = ((te - ts) * FS + 1e-6).floor() as usize + 1;
    // Every value of both buffers is written below.
    let mut acc = crate::recycle::take(3 * m);
    let mut gyro = crate::recycle::take(3 * m);
    {
        // Output rows as slices, inputs as slices: no 2-D indexing in the loop.
        let [[ax, ay, az], [gx, gy, gz]] = [&mut acc, &mut gyro].map(|v| {
            let (x, rest) = v.split_at_mut(m);
            let (y, z) = rest.split_at_mut(m);
            [x, y, z]
        });
        let mut outs: [&mut [f64]; 6] = [ax, ay, az, gx, gy, gz];
        // All six inputs cut to the same length `b`, so one bounds check of
        // `lo + 1 < b` covers the twelve reads of a grid point.
        let [ix, iy, iz] = rec.acc.map(|c| &c[..b]);
        let [jx, jy, jz] = rec.gyro.map(|c| &c[..b]);
        let ins: [&[f64]; 6] = [ix, iy, iz, jx, jy, jz];
        let mut grid = GridWalk {
            t: &t[..b],
            t0,
            ts,
            a,
            j: a,
            average: dt_med < 0.5 / FS,
            end: f64::INFINITY,
            e: a,
        };
        // One pass over the grid: each point's tap is found and applied to
        // the six channels at once (the tap is computed once, the same
        // `x[lo] + w · (x[lo + 1] − x[lo])` per channel as before, no
        // intermediate arrays of taps).
        let mut weights = Vec::new();
        for k in 0..m {
            match grid.tap(k, &mut weights) {
                Tap::Lerp { lo, w } => {
                    // A no-op (taps read inside `a..b`, b ≥ 2) that tells
                    // the compiler every read below is in bounds.
                    let lo = lo.min(b - 2);
                    for (out, x) in outs.iter_mut().zip(&ins) {
                        let (x0, x1) = (x[lo], x[lo + 1]);
                        out[k] = x0 + w * (x1 - x0);
                    }
                }
                Tap::Line3 { j, w } => {
                    // A no-op as above (the three samples lie in `a..b`).
                    let j = j.min(b - 3);
                    for (out, x) in outs.iter_mut().zip(&ins) {
                        out[k] = line_sum(&[x[j], x[j + 1], x[j + 2]], &w);
                    }
                }
                Tap::Fit { j, e, w } => {
                    let sums = fit_sums(&ins, j..e, &weights[w..w + (e - j)]);
                    for (out, s) in outs.iter_mut().zip(sums) {
                        out[k] = s;
                    }
                    weights.clear();
                }
            }
        }
    }
    let rows =
        |v: Vec<f64>| Array2::from_shape_vec((3, m), v).unwrap_or_else(|_| Array2::zeros((3, m)));
    let holes = holes
        .iter()
        .map(|&i| ((t[i - 1] - t0 - ts) * FS, (t[i] - t0 - ts) * FS))
        .collect();
    segments.push(Segment {
        start_s: ts,
        acc: rows(acc),
        gyro: rows(gyro),
        holes,
    });
}

/// Largest |v| (0 for none) of finite values (a validated recording), as
/// `fold(0.0, f64::max(m, |v|))`, in independent lanes: max is exact and
/// order-free, so lanes give the same value while the loop is not one long
/// dependency chain ([`finite_max_abs`]; with a NaN among the values a lane
/// may lose its maximum).
fn max_abs(c: &[f64]) -> f64 {
    finite_max_abs(c).1
}

/// Whether every value is finite, and [`max_abs`], in one pass (the
/// maximum is exact and order-free, so any number of lanes gives the same
/// value).
///
/// Eight lanes, and finiteness as Σ (v − v): 0 for finite values, NaN once
/// any value is infinite or NaN — adds and subtracts that vectorise beside
/// the maxima, where a per-lane flag does not. The lanes keep the largest
/// and the smallest value instead of the largest |v| (max and min
/// instructions on the loaded values, no mask and copy per value):
/// max(largest, −smallest) over values and 0 is the largest |v|. The
/// magnitude is only used when every value is finite; its zero's sign is
/// that of `max_abs` (+0).
#[allow(clippy::eq_op)] // v − v is the point: 0 for finite v, NaN otherwise
fn finite_max_abs(c: &[f64]) -> (bool, f64) {
    let max = |m: f64, v: f64| if v > m { v } else { m };
    let (mut hi, mut lo, mut nan) = ([0.0f64; 8], [0.0f64; 8], [0.0f64; 8]);
    let mut chunks = c.chunks_exact(8);
    for ch in &mut chunks {
        for (((h, l), f), &v) in hi.iter_mut().zip(&mut lo).zip(&mut nan).zip(ch) {
            *h = if *h > v { *h } else { v };
            *l = if *l < v { *l } else { v };
            *f += v - v;
        }
    }
    let rest = chunks.remainder();
    let tail = rest.iter().fold(0.0f64, |m, v| max(m, v.abs()));
    let all = nan.iter().all(|&f| f == 0.0) && rest.iter().all(|v| v.is_finite());
    let lanes = hi.iter().zip(&lo).map(|(&h, &l)| max(h, -l));
    (all, lanes.fold(tail, max))
}

/// Counts samples sitting at a channel's saturated extreme: runs of at least
/// three identical values equal to the channel's largest magnitude, when that
/// magnitude is beyond what riding produces without saturation (4 g, 500°/s).
/// `peaks` = each channel's [`max_abs`].
fn count_clipped(rec: &Samples<'_>, peaks: &[f64; 6]) -> u64 {
    let mut total = 0u64;
    let chans = rec
        .acc
        .iter()
        .map(|c| (c, 4.0 * 9.81))
        .chain(rec.gyro.iter().map(|c| (c, 500.0)));
    for ((c, floor), &peak) in chans.zip(peaks) {
        if peak < floor {
            continue;
        }
        let mut run = 0u64;
        for v in c.iter() {
            if v.abs() >= peak * 0.999 {
                run += 1;
            } else {
                if run >= 3 {
                    total += run;
                }
                run = 0;
            }
        }
        if run >= 3 {
            total += run;
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(t: Vec<f64>) -> Recording {
        let n = t.len();
        let col = |v: f64| vec![v; n];
        Recording {
            sample_rate_hz: 100.0,
            t,
            acc: [col(0.0), col(0.0), col(9.81)],
            gyro: [col(0.0), col(0.0), col(0.0)],
        }
    }

    /// Non-finite timestamps: NaN breaks the order first, an infinite end
    /// is named by its index (the ends decide finiteness after the order).
    #[test]
    fn non_finite_timestamps_are_named() {
        let err = |t: Vec<f64>| validate(&rec(t)).err();
        let inf = f64::INFINITY;
        assert_eq!(
            err(vec![0.0, 0.01, inf]),
            Some(AnalysisError::NonFinite { index: 2 })
        );
        assert_eq!(
            err(vec![-inf, 0.0, 0.01]),
            Some(AnalysisError::NonFinite { index: 0 })
        );
        assert_eq!(
            err(vec![f64::NAN]),
            Some(AnalysisError::NonFinite { index: 0 })
        );
        assert_eq!(
            err(vec![0.0, f64::NAN, 0.02]),
            Some(AnalysisError::NonIncreasingTime { index: 1 })
        );
        assert_eq!(err(vec![0.0, 0.01, 0.02]), None);
    }

    #[test]
    fn splits_at_long_gaps_only() {
        let mut t: Vec<f64> = (0..500).map(|i| i as f64 / 100.0).collect();
        t.retain(|&x| !(1.0..1.5).contains(&x)); // 0.5 s hole: interpolated
        t.extend((0..300).map(|i| 8.0 + i as f64 / 100.0)); // 3 s gap
        let r = resample(&rec(t));
        assert_eq!(r.segments.len(), 2);
        assert_eq!(r.gaps.len(), 1);
        assert_eq!(r.short_gaps, 1);
        assert!((r.segments[1].start_s - 8.0).abs() < 1e-9);
        assert!((r.segments[0].acc[[2, 10]] - 9.81).abs() < 1e-12);
        // The interpolated hole is listed on the grid of its segment
        // (samples 0.99 s and 1.5 s); the other segment has none.
        assert_eq!(r.segments[0].holes.len(), 1);
        let (h0, h1) = r.segments[0].holes[0];
        assert!((h0 - 0.99 * FS).abs() < 1e-6 && (h1 - 1.5 * FS).abs() < 1e-6);
        assert!(r.segments[1].holes.is_empty());
    }

    /// Single dropped samples (0.02 s at 100 Hz, 0.08 s at 25 Hz) are not
    /// holes; two in a row at 25 Hz (0.12 s) are.
    #[test]
    fn holes_are_intervals_over_a_tenth_of_a_second() {
        for (rate, drop, want) in [(100.0, 1, 0), (25.0, 1, 0), (25.0, 2, 1)] {
            let mut t: Vec<f64> = (0..500).map(|i| i as f64 / rate).collect();
            t.drain(100..100 + drop);
            let r = resample(&rec(t));
            assert_eq!(r.segments[0].holes.len(), want, "{rate} Hz, {drop} dropped");
        }
    }
}
