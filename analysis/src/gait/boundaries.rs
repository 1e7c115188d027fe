//! Boundaries between gaits of clearly different intensity, moved to the
//! best step fit of the 1-s mean square of the vertical acceleration (a
//! 6-s window flips ~1.5 s early toward the more intense gait).

use super::Run;
use crate::filter::moving_mean_slice_each;
use crate::resample::FS;

/// Moves each boundary between gaits of clearly different intensity to the
/// best step fit of the 1-s mean square of the vertical acceleration.
///
/// A 6-s window flips to the more intense gait as soon as a quarter of it is
/// that gait, which would start intense bouts ~1.5 s early and end them late;
/// the step fit removes that bias. Boundaries between gaits of similar
/// intensity (trot/canter) keep the window decision.
pub(super) fn refine_boundaries(runs: &mut [Run], n: usize, vert: impl Fn(usize) -> f64) {
    if runs.len() < 2 || n < 2 {
        return;
    }
    let sec = |s: f64| (s * FS) as usize;
    // Everything a boundary at p reads lies within p ± 10 s.
    let reach = sec(10.0);
    let bounds: Vec<usize> = runs[1..].iter().map(|r| r.start).collect();
    let squares = MeanSquares::new(n, &vert, &bounds, reach);
    for (i, win) in (1..runs.len()).zip(squares.windows()) {
        let p = runs[i].start;
        let (a_start, b_end) = (runs[i - 1].start, runs[i].end);
        let l0 = a_start.max(p.saturating_sub(sec(10.0)));
        let l1 = p.saturating_sub(sec(3.0));
        let r0 = p + sec(3.0);
        let r1 = b_end.min(p + sec(10.0)).min(n);
        if l1 < l0 + sec(1.0) || r1 < r0 + sec(1.0) {
            continue;
        }
        let ref_l = crate::filter::median(win.r(l0..l1));
        let ref_r = crate::filter::median(win.r(r0..r1));
        // Only where the RMS differs by 1.4× or more (mean square by ~2×).
        if ref_l.max(ref_r) < 1.96 * ref_l.min(ref_r) {
            continue;
        }
        let lo = p.saturating_sub(sec(4.0)).max(a_start + sec(1.0));
        let hi = (p + sec(4.0)).min(b_end.saturating_sub(sec(1.0))).min(n);
        if hi <= lo {
            continue;
        }
        // Σ (r − c)² over [a, b) from prefix sums.
        let cost = |a: usize, b: usize, c: f64| {
            let (p1, p2) = (|k| win.p1(k), |k| win.p2(k));
            (p2(b) - p2(a)) - 2.0 * c * (p1(b) - p1(a)) + c * c * (b - a) as f64
        };
        let best = (lo..=hi)
            .step_by(5)
            .map(|q| (cost(lo, q, ref_l) + cost(q, hi, ref_r), q))
            .min_by(|x, y| x.0.total_cmp(&y.0))
            .map(|(_, q)| q)
            .unwrap_or(p);
        runs[i - 1].end = best;
        runs[i].start = best;
    }
}

/// The 1-s mean square r of the vertical acceleration, and the prefix sums
/// P1 = Σ r and P2 = Σ r², kept only within `reach` samples of each
/// boundary: the boundary fit reads nothing else, while the prefix sums
/// must still run from the segment start to have their exact values.
///
/// The values are stored once for the union of the boundaries' windows
/// (overlapping windows share them), as contiguous spans: per sample the
/// pass only checks whether it has reached the next span, and each window
/// is a slice of its span ([`MeanSquares::windows`]).
struct MeanSquares {
    /// r, P1 and P2 at the covered sample indexes, span after span (r has
    /// no value at index n, the end of the signal).
    r: Vec<f64>,
    p1: Vec<f64>,
    p2: Vec<f64>,
    /// Per boundary: the first sample index of its window, where that
    /// index's values are in the buffers, and the window's end (inclusive
    /// for P1 and P2, exclusive for r).
    windows: Vec<(usize, usize, usize)>,
}

/// One boundary's window of [`MeanSquares`]: its values from `base` on.
struct Window<'a> {
    base: usize,
    r: &'a [f64],
    p1: &'a [f64],
    p2: &'a [f64],
}

impl MeanSquares {
    /// The windows of the boundaries `bounds` (increasing) in one pass: a
    /// window holds r at base..end and P1, P2 at base..=end, with base =
    /// p − reach and end = p + reach clamped to the signal.
    fn new(n: usize, vert: impl Fn(usize) -> f64, bounds: &[usize], reach: usize) -> Self {
        // Spans: the windows' index ranges (bases and ends increase with
        // the bounds), merged where they overlap or touch.
        let mut spans: Vec<(usize, usize)> = Vec::new();
        let mut windows = Vec::with_capacity(bounds.len());
        for &p in bounds {
            let (base, end) = (p.saturating_sub(reach).min(n), (p + reach).min(n));
            match spans.last_mut() {
                Some(last) if base <= last.1 + 1 => last.1 = last.1.max(end),
                _ => spans.push((base, end)),
            }
            windows.push((base, 0, end));
        }
        // Each window's offset in the buffers: its span's offset plus its
        // base's distance from the span's start.
        let total: usize = spans.iter().map(|&(a, e)| e - a + 1).sum();
        let (mut si, mut span_offset) = (0, 0);
        for w in &mut windows {
            while spans[si].1 < w.0 {
                span_offset += spans[si].1 - spans[si].0 + 1;
                si += 1;
            }
            w.1 = span_offset + (w.0 - spans[si].0);
        }
        let mut out = MeanSquares {
            r: Vec::with_capacity(total),
            p1: Vec::with_capacity(total),
            p2: Vec::with_capacity(total),
            windows,
        };
        let (mut s1, mut s2) = (0.0, 0.0);
        let mut k = 0;
        let mut spans = spans.into_iter();
        // The span being filled or waited for; past the last one nothing
        // is stored.
        let (mut lo, mut hi) = spans.next().unwrap_or((usize::MAX, usize::MAX));
        // The squares once per sample (the moving mean reads each twice,
        // and `vert` may rotate the sample on every call).
        let mut squares = crate::recycle::take(n);
        for (i, sq) in squares.iter_mut().enumerate() {
            let v = vert(i);
            *sq = v * v;
        }
        // Mean square over 1 s: linear in the share of each gait inside the
        // window, so the ramp across a boundary is centred on it.
        moving_mean_slice_each(&squares, FS as usize, |r| {
            if k >= lo {
                out.r.push(r);
                out.p1.push(s1);
                out.p2.push(s2);
                if k == hi {
                    (lo, hi) = spans.next().unwrap_or((usize::MAX, usize::MAX));
                }
            }
            s1 += r;
            s2 += r * r;
            k += 1;
        });
        crate::recycle::give(squares);
        // Index n (no r there) ends the last span when it reaches it.
        if k >= lo && k <= hi {
            out.p1.push(s1);
            out.p2.push(s2);
        }
        out
    }

    /// The boundaries' windows, in the order of `bounds`.
    fn windows(&self) -> impl Iterator<Item = Window<'_>> {
        self.windows.iter().map(|&(base, offset, end)| {
            let len = end - base;
            Window {
                base,
                r: &self.r[offset..offset + len],
                p1: &self.p1[offset..=offset + len],
                p2: &self.p2[offset..=offset + len],
            }
        })
    }
}

impl Window<'_> {
    /// r over the sample range (inside the window).
    fn r(&self, range: std::ops::Range<usize>) -> &[f64] {
        &self.r[range.start - self.base..range.end - self.base]
    }

    fn p1(&self, k: usize) -> f64 {
        self.p1[k - self.base]
    }

    fn p2(&self, k: usize) -> f64 {
        self.p2[k - self.base]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::moving_mean;
    use ndarray::Array1;

    fn signal(n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| ((i * 7919) % 1013) as f64 * 0.011 - 5.0 + (i as f64 * 0.07).sin())
            .collect()
    }

    /// The windows hold exactly the whole-segment mean square and prefix sums.
    #[test]
    fn mean_square_windows_match_whole_arrays() {
        let n = 4000;
        let v = signal(n);
        let sq = Array1::from_shape_fn(n, |i| v[i] * v[i]);
        let r = moving_mean(sq.view(), FS as usize).to_vec();
        let (mut p1, mut p2) = (vec![0.0], vec![0.0]);
        for x in &r {
            p1.push(p1[p1.len() - 1] + x);
            p2.push(p2[p2.len() - 1] + x * x);
        }
        let bounds = [100, 450, 2000, 3990, 4000];
        let squares = MeanSquares::new(n, |i| v[i], &bounds, 500);
        for (&p, w) in bounds.iter().zip(squares.windows()) {
            let (a, e) = (p.saturating_sub(500), (p + 500).min(n));
            assert_eq!(w.r(a..e), &r[a..e]);
            for k in a..=e {
                assert_eq!(w.p1(k).to_bits(), p1[k].to_bits());
                assert_eq!(w.p2(k).to_bits(), p2[k].to_bits());
            }
        }
    }
}
