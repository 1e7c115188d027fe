//! The grid walk of the resampling: for each 50 Hz grid point, which input
//! samples it is computed from and with which weights (a least-squares line
//! through the samples of its box when the input is fast, else linear
//! interpolation), and the sums that apply those weights to the six
//! channels.

use super::FS;

/// How one grid point is computed from the input samples.
#[derive(Debug, Clone, Copy)]
pub(super) enum Tap {
    /// Least-squares line through samples `j..e` (at least two) evaluated
    /// at the grid time: Σ weights[w..w + e − j] · x[j..e].
    Fit { j: usize, e: usize, w: usize },
    /// [`Tap::Fit`] through exactly three samples `j..j + 3` (a 100-Hz box
    /// whose edge falls on a sample, 104 Hz), weights inline: the same
    /// weights and sums without a weight buffer or a loop.
    Line3 { j: usize, w: [f64; 3] },
    /// `x[lo] + w · (x[lo + 1] − x[lo])`.
    Lerp { lo: usize, w: f64 },
}

/// Σ x·w in sample order, from −0.0 like `Iterator::sum` (the same bits as
/// `x.iter().zip(w).map(|(x, c)| x * c).sum()`).
#[inline]
pub(super) fn line_sum<const N: usize>(x: &[f64; N], w: &[f64; N]) -> f64 {
    let mut s = -0.0;
    for (x, c) in x.iter().zip(w) {
        s += x * c;
    }
    s
}

/// A [`Tap::Fit`] applied to the six channels side by side: each channel's
/// Σ x[i]·weights[i − j] still summed over i in order from −0.0, as
/// `Iterator::sum` does, so the same bits as one channel at a time.
pub(super) fn fit_sums(
    ins: &[&[f64]; 6],
    range: std::ops::Range<usize>,
    weights: &[f64],
) -> [f64; 6] {
    let mut sums = [-0.0; 6];
    for (i, c) in range.zip(weights) {
        for (s, x) in sums.iter_mut().zip(ins) {
            *s += x[i] * c;
        }
    }
    sums
}

/// Weights of the least-squares line through the samples at times `rel`
/// (from the session start) evaluated at `tg`: 1/n + slope · (t − t̄) with
/// slope = (tg − t̄) / Σ (t − t̄)², every sum in sample order from −0.0 (as
/// `Iterator::sum`).
#[inline]
fn line_weights<const N: usize>(rel: [f64; N], tg: f64) -> [f64; N] {
    let n = N as f64;
    let mut sum = -0.0;
    for v in rel {
        sum += v;
    }
    let tm = sum / n;
    let mut sxx = -0.0;
    for v in rel {
        sxx += (v - tm).powi(2);
    }
    let slope = (tg - tm) / sxx;
    rel.map(|v| 1.0 / n + slope * (v - tm))
}

/// Walks the 50 Hz grid of one segment `a..b` over the input timestamps.
pub(super) struct GridWalk<'a> {
    /// The timestamps up to the segment's end `b` (so `b = t.len()` and the
    /// walk's reads need no further bounds checks).
    pub(super) t: &'a [f64],
    pub(super) t0: f64,
    pub(super) ts: f64,
    pub(super) a: usize,
    /// First input index with t ≥ current grid time − half a grid step.
    pub(super) j: usize,
    pub(super) average: bool,
    /// The previous box's end (its grid time + half a step; +∞ before the
    /// first box) and the first index at or past it: every sample before
    /// `e` lies before `end`.
    pub(super) end: f64,
    pub(super) e: usize,
}

impl GridWalk<'_> {
    /// The tap of grid point `k` (points in increasing order): the
    /// least-squares line through the samples in [tg − half, tg + half),
    /// evaluated at tg, when the input is fast and at least two samples fall
    /// in it, else linear interpolation between the samples around tg.
    ///
    /// A plain box mean is the value at its samples' mean time, not at tg:
    /// with two or three samples per box (104 Hz) that time wanders by up to
    /// half an input interval in a sawtooth (±5 ms at 4 Hz), which mixes the
    /// trot's 2.8-Hz beat into the stride frequency (1.2 Hz) — millimetres of
    /// MinDiff/MaxDiff. The line averages the noise like the mean and is
    /// exact at tg for any straight stretch of signal. Its weights (one per
    /// sample, summing to 1) go to `weights`.
    #[inline]
    pub(super) fn tap(&mut self, k: usize, weights: &mut Vec<f64>) -> Tap {
        let (t, t0, b) = (self.t, self.t0, self.t.len());
        let half = 0.5 / FS;
        // k < 2⁶³: the signed conversion (one instruction; the unsigned one
        // takes six) gives the same value.
        let tg = self.ts + (k as i64) as f64 / FS;
        // When the previous box ended at or before this one's start (as
        // computed: rounding may put it a hair past), the samples before
        // its end `e` are before this start too: the search skips them
        // (the same index as searching from `j`).
        if self.end <= tg - half {
            self.j = self.e;
        }
        while self.j < b && t[self.j] - t0 < tg - half {
            self.j += 1;
        }
        let j = self.j;
        if self.average {
            let mut e = j;
            while e < b && t[e] - t0 < tg + half {
                e += 1;
            }
            (self.end, self.e) = (tg + half, e);
            if e == j + 2 {
                // The line through two samples: no weights to store.
                let (tl, th) = (t[j] - t0, t[j + 1] - t0);
                return Tap::Lerp {
                    lo: j,
                    w: (tg - tl) / (th - tl),
                };
            }
            if e == j + 3 {
                let w = line_weights([t[j] - t0, t[j + 1] - t0, t[j + 2] - t0], tg);
                return Tap::Line3 { j, w };
            }
            if e > j + 2 {
                let n = (e - j) as f64;
                let tm = t[j..e].iter().map(|&v| v - t0).sum::<f64>() / n;
                let sxx: f64 = t[j..e].iter().map(|&v| (v - t0 - tm).powi(2)).sum();
                let slope = (tg - tm) / sxx;
                let w = weights.len();
                weights.extend(t[j..e].iter().map(|&v| 1.0 / n + slope * (v - t0 - tm)));
                return Tap::Fit { j, e, w };
            }
        }
        let mut hi = j;
        while hi < b && t[hi] - t0 < tg {
            hi += 1;
        }
        let hi = hi.clamp(self.a + 1, b - 1);
        let lo = hi - 1;
        let (tl, th) = (t[lo] - t0, t[hi] - t0);
        let w = if th > tl {
            ((tg - tl) / (th - tl)).clamp(0.0, 1.0)
        } else {
            0.0
        };
        Tap::Lerp { lo, w }
    }
}
