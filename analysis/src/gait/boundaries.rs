//! Boundaries between gaits of clearly different intensity, moved to the
//! best step fit of the 1-s mean square of the vertical acceleration (a
//! 6-s window flips ~1.5 s early toward the more intense gait).

use super::Run;
use crate::filter::moving_mean_each;
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
    let windows = MeanSquareWindows::new(n, &vert, &bounds, reach);
    for (i, win) in (1..runs.len()).zip(&windows) {
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
struct MeanSquareWindows {
    /// First sample index of the window.
    base: usize,
    /// r[base..end].
    r: Vec<f64>,
    /// P1 and P2 at prefix indexes base..=end.
    p1: Vec<f64>,
    p2: Vec<f64>,
}

impl MeanSquareWindows {
    /// One window per boundary in `bounds` (increasing), in one pass.
    fn new(n: usize, vert: impl Fn(usize) -> f64, bounds: &[usize], reach: usize) -> Vec<Self> {
        let mut wins: Vec<Self> = bounds
            .iter()
            .map(|&p| {
                let base = p.saturating_sub(reach).min(n);
                MeanSquareWindows {
                    base,
                    r: Vec::with_capacity(2 * reach),
                    p1: Vec::with_capacity(2 * reach + 1),
                    p2: Vec::with_capacity(2 * reach + 1),
                }
            })
            .collect();
        let ends: Vec<usize> = bounds.iter().map(|&p| (p + reach).min(n)).collect();
        let (mut s1, mut s2) = (0.0, 0.0);
        // Windows before `first` have ended (their ends increase too).
        let mut first = 0;
        let mut k = 0;
        // Stores the values at k in the windows that hold k, and returns the
        // next k any window holds: windows before `first` have ended and the
        // bases increase, so nothing is stored before the next base (the
        // running sums still add every sample).
        let mut visit = |k: usize, r: Option<f64>, s1: f64, s2: f64| -> usize {
            while first < wins.len() && ends[first] < k {
                first += 1;
            }
            for (w, &end) in wins[first..].iter_mut().zip(&ends[first..]) {
                if w.base > k {
                    break;
                }
                if k <= end {
                    w.p1.push(s1);
                    w.p2.push(s2);
                    if let (Some(r), true) = (r, k < end) {
                        w.r.push(r);
                    }
                }
            }
            while first < wins.len() && ends[first] <= k {
                first += 1;
            }
            wins.get(first).map_or(usize::MAX, |w| w.base.max(k + 1))
        };
        let mut next_visit = 0;
        // Mean square over 1 s: linear in the share of each gait inside the
        // window, so the ramp across a boundary is centred on it.
        moving_mean_each(
            n,
            |i| vert(i) * vert(i),
            FS as usize,
            |r| {
                if k >= next_visit {
                    next_visit = visit(k, Some(r), s1, s2);
                }
                s1 += r;
                s2 += r * r;
                k += 1;
            },
        );
        visit(n, None, s1, s2);
        wins
    }

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
        let wins = MeanSquareWindows::new(n, |i| v[i], &bounds, 500);
        for (&p, w) in bounds.iter().zip(&wins) {
            let (a, e) = (p.saturating_sub(500), (p + 500).min(n));
            assert_eq!(w.r(a..e), &r[a..e]);
            for k in a..=e {
                assert_eq!(w.p1(k).to_bits(), p1[k].to_bits());
                assert_eq!(w.p2(k).to_bits(), p2[k].to_bits());
            }
        }
    }
}
