//! Gait classification on 1-s blocks, from 6-s windows of the trunk motion.
//!
//! For each window the normalised autocorrelation of the vertical, lateral
//! and forward acceleration is computed at every lag from 0.16 to 1.68 s.
//! - The *stride period* is the first lag where all three axes repeat (the
//!   mean of the three normalised autocorrelations peaks). Taking the mean of
//!   *normalised* curves matters: at walk and trot the vertical signal repeats
//!   every half stride but the lateral sway only every full stride, so the
//!   half-stride lag scores about 1/3 while the full stride scores about 1.
//! - The *number of beats* per stride is read at half the stride period:
//!   walk and trot repeat vertically and longitudinally there (two beats),
//!   canter and gallop do not (one beat).
//! - Halt is told by the small vertical variance; walk from trot by the
//!   intensity and stride frequency; canter from gallop by stride frequency
//!   (2.0 Hz, the published boundary).
//!
//! Lagged products are summed per block once per lag and windows are built
//! from block sums, so the cost is O(samples × lags) whatever the overlap.

use crate::filter::moving_mean_each;
use crate::report::Gait;
use crate::resample::FS;

/// Feature rate: the 50 Hz signals are averaged in pairs.
const FD: f64 = FS / 2.0;
/// Samples per 1-s block at the feature rate.
const BLOCK: usize = 25;
/// Blocks per window.
const WIN_BLOCKS: usize = 6;
const MIN_LAG: usize = 4;
const SEARCH_LAG: usize = 8;
const MAX_LAG: usize = 42;
/// Shortest bout kept, in blocks (seconds).
const MIN_RUN: usize = 4;

/// What one block (1 s) of the segment looks like.
#[derive(Debug, Clone, Copy, Default)]
pub struct BlockFeature {
    pub label: Option<Gait>,
    /// Stride frequency estimate (Hz), 0 when unknown.
    pub stride_hz: f64,
    /// Normalised autocorrelation at the stride period.
    pub regularity: f64,
}

/// A run of one gait inside a segment, in 50 Hz samples.
#[derive(Debug, Clone)]
pub struct Run {
    pub start: usize,
    pub end: usize,
    pub gait: Gait,
    pub stride_hz: f64,
    pub regularity: f64,
}

/// Pairs-average the `n` samples `x(0..n)` and remove the 2-s moving mean
/// (drift, centripetal offset). `x` is a function so that the first pass can
/// read the rotated signal straight from the resampled segment.
fn decimate(n: usize, x: impl Fn(usize) -> f64) -> Vec<f64> {
    let mut d: Vec<f64> = (0..n / 2)
        .map(|i| 0.5 * (x(2 * i) + x(2 * i + 1)))
        .collect();
    subtract_moving_mean(&mut d, (2.0 * FD) as usize);
    d
}

/// d ← d − centred moving mean of d over `w` samples, in place, with the
/// arithmetic of [`crate::filter::moving_mean_each`]: the running sums read
/// the original values, the trailing ones from a small ring of originals.
fn subtract_moving_mean(d: &mut [f64], w: usize) {
    let n = d.len();
    let half = w / 2;
    // A power of two at least half + 2 long: indexes by mask, not division.
    let mut ring = vec![0.0; (half + 2).next_power_of_two()];
    let mask = ring.len() - 1;
    let (mut pb, mut b) = (0.0, 0usize);
    let (mut pa, mut a) = (0.0, 0usize);
    for i in 0..n {
        let b_i = (i + half + 1).min(n);
        while b < b_i {
            pb += d[b]; // b ≥ i: not overwritten yet
            b += 1;
        }
        let a_i = i.saturating_sub(half);
        while a < a_i {
            pa += ring[a & mask]; // a ≥ i − half − 1: still in the ring
            a += 1;
        }
        let m = (pb - pa) / (b - a).max(1) as f64;
        ring[i & mask] = d[i];
        d[i] -= m;
    }
}

/// Block sums of x[k]·x[k+τ] for every lag, plus the prefix of x².
///
/// Windows are classified in order and a window only reads the block sums
/// of its own [`WIN_BLOCKS`] blocks, so the sums are kept in a ring of that
/// many blocks and computed as the windows advance ([`LagSums::advance`])
/// instead of being stored for the whole segment.
struct LagSums {
    nblocks: usize,
    xs: Vec<f64>,
    /// Block sums of the blocks `computed − WIN_BLOCKS .. computed`, block
    /// `b` at `b % WIN_BLOCKS`.
    ring: [[f64; MAX_LAG + 1]; WIN_BLOCKS],
    computed: usize,
    /// Sums over the current window's blocks, per lag.
    window: [f64; MAX_LAG + 1],
    energy: Vec<f64>,
}

impl LagSums {
    fn new(xs: Vec<f64>) -> Self {
        let n = xs.len();
        let mut energy = Vec::with_capacity(n + 1);
        energy.push(0.0);
        let mut acc = 0.0;
        for v in &xs {
            acc += v * v;
            energy.push(acc);
        }
        LagSums {
            nblocks: n / BLOCK,
            xs,
            ring: [[0.0; MAX_LAG + 1]; WIN_BLOCKS],
            computed: 0,
            window: [0.0; MAX_LAG + 1],
            energy,
        }
    }

    /// Moves to window `w` (windows go in order): computes the new blocks'
    /// sums and the window's per-lag sums, adding its blocks in order.
    fn advance(&mut self, w: usize) {
        while self.computed < (w + WIN_BLOCKS).min(self.nblocks) {
            let b = self.computed;
            self.ring[b % WIN_BLOCKS] = self.block_sums(b);
            self.computed += 1;
        }
        self.window = [0.0; MAX_LAG + 1];
        for b in w..w + WIN_BLOCKS {
            for (s, v) in self.window.iter_mut().zip(&self.ring[b % WIN_BLOCKS]) {
                *s += v;
            }
        }
    }

    /// Σ x[k]·x[k+τ] over block `b` for every lag (lags past the end of the
    /// signal sum the samples that have a partner; unused lags are 0).
    fn block_sums(&self, b: usize) -> [f64; MAX_LAG + 1] {
        let (xs, n) = (&self.xs[..], self.xs.len());
        let mut sums = [0.0; MAX_LAG + 1];
        for (lag, sum) in sums.iter_mut().enumerate().skip(MIN_LAG) {
            let a = b * BLOCK;
            let e = ((b + 1) * BLOCK).min(n.saturating_sub(lag));
            if e <= a {
                continue;
            }
            // Four partial sums: no bounds checks, and the adds pipeline.
            let (x, y) = (&xs[a..e], &xs[a + lag..e + lag]);
            let mut acc = [0.0f64; 4];
            let mut cx = x.chunks_exact(4);
            let mut cy = y.chunks_exact(4);
            for (p, q) in (&mut cx).zip(&mut cy) {
                for j in 0..4 {
                    acc[j] += p[j] * q[j];
                }
            }
            let tail: f64 = cx
                .remainder()
                .iter()
                .zip(cy.remainder())
                .map(|(p, q)| p * q)
                .sum();
            *sum = acc[0] + acc[1] + acc[2] + acc[3] + tail;
        }
        sums
    }

    /// Normalised autocorrelation of window starting at block `w`, at `lag`.
    fn r(&self, w: usize, lag: usize) -> f64 {
        let n = self.energy.len() - 1;
        debug_assert!(self.computed == w + WIN_BLOCKS, "advance(w) first");
        let s = self.window[lag];
        let (a, e) = (w * BLOCK, (w + WIN_BLOCKS) * BLOCK);
        let e1 = self.energy[e.min(n)] - self.energy[a.min(n)];
        let e2 = self.energy[(e + lag).min(n)] - self.energy[(a + lag).min(n)];
        let d = (e1 * e2).sqrt();
        if d > 1e-9 { s / d } else { 0.0 }
    }

    /// Standard deviation of the (zero-mean) signal over window `w`.
    fn sd(&self, w: usize) -> f64 {
        let n = self.energy.len() - 1;
        let (a, e) = ((w * BLOCK).min(n), ((w + WIN_BLOCKS) * BLOCK).min(n));
        if e <= a {
            return 0.0;
        }
        ((self.energy[e] - self.energy[a]) / (e - a) as f64)
            .max(0.0)
            .sqrt()
    }
}

/// Classifies one window from its autocorrelations.
fn classify_window(v: &LagSums, l: &LagSums, f: &LagSums, w: usize) -> BlockFeature {
    let sd_v = v.sd(w);
    if sd_v < 0.45 {
        return BlockFeature {
            label: Some(Gait::Halt),
            stride_hz: 0.0,
            regularity: 0.0,
        };
    }
    let mut rv = [0.0; MAX_LAG + 1];
    let mut rf = [0.0; MAX_LAG + 1];
    let mut rc = [0.0; MAX_LAG + 1];
    for lag in MIN_LAG..=MAX_LAG {
        rv[lag] = v.r(w, lag);
        rf[lag] = f.r(w, lag);
        rc[lag] = (rv[lag] + l.r(w, lag) + rf[lag]) / 3.0;
    }
    let peaks: Vec<usize> = (SEARCH_LAG..MAX_LAG)
        .filter(|&k| rc[k] >= rc[k - 1] && rc[k] >= rc[k + 1])
        .collect();
    let best = peaks
        .iter()
        .map(|&k| rc[k])
        .fold(f64::NEG_INFINITY, f64::max);
    let Some(&k) = peaks.iter().find(|&&k| rc[k] >= 0.85 * best) else {
        return BlockFeature::default();
    };
    if best < 0.2 {
        return BlockFeature::default();
    }
    let denom = rc[k - 1] - 2.0 * rc[k] + rc[k + 1];
    let shift = if denom.abs() > 1e-12 {
        (0.5 * (rc[k - 1] - rc[k + 1]) / denom).clamp(-0.5, 0.5)
    } else {
        0.0
    };
    let period = (k as f64 + shift) / FD;
    let half = ((k as f64 + shift) / 2.0).round() as usize;
    let half = half.clamp(MIN_LAG, MAX_LAG);
    let two_beat = rv[half] + rf[half] > 0.5;
    let mut stride_hz = 1.0 / period;
    let gait = if two_beat {
        if sd_v > 2.8 || (stride_hz > 1.08 && sd_v > 1.6) {
            Gait::Trot
        } else {
            Gait::Walk
        }
    } else if sd_v < 1.1 {
        // Too gentle for canter: the lag found is a walk step, not a stride.
        stride_hz /= 2.0;
        Gait::Walk
    } else if stride_hz < 2.0 {
        Gait::Canter
    } else {
        Gait::Gallop
    };
    BlockFeature {
        label: Some(gait),
        stride_hz,
        regularity: rc[k].clamp(0.0, 1.0),
    }
}

/// Labels every 1-s block of a segment (blocks at the edges copy the nearest
/// window); returns an empty vector when the segment is shorter than a window.
///
/// The signals are given as functions of the sample index (`n` samples), so
/// that they need not be stored at the full rate.
pub fn block_features(
    n: usize,
    vert: impl Fn(usize) -> f64,
    lat: impl Fn(usize) -> f64,
    fwd: impl Fn(usize) -> f64,
) -> Vec<BlockFeature> {
    let mut v = LagSums::new(decimate(n, vert));
    let mut l = LagSums::new(decimate(n, lat));
    let mut f = LagSums::new(decimate(n, fwd));
    let nblocks = v.nblocks;
    if nblocks < WIN_BLOCKS {
        return Vec::new();
    }
    let nwin = nblocks - WIN_BLOCKS + 1;
    let wins: Vec<BlockFeature> = (0..nwin)
        .map(|w| {
            for x in [&mut v, &mut l, &mut f] {
                x.advance(w);
            }
            classify_window(&v, &l, &f, w)
        })
        .collect();
    // Window w is centred on block w + WIN_BLOCKS/2.
    let off = WIN_BLOCKS / 2;
    (0..nblocks)
        .map(|b| wins[b.saturating_sub(off).min(nwin - 1)])
        .collect()
}

/// Majority vote over 5 blocks, unknown blocks filled from neighbours, short
/// runs absorbed by their longer neighbour.
///
/// `vert(0..seg_len)` is the segment's vertical acceleration.
pub fn runs(features: &[BlockFeature], seg_len: usize, vert: impl Fn(usize) -> f64) -> Vec<Run> {
    let n = features.len();
    if n == 0 {
        return Vec::new();
    }
    let mut labels: Vec<Option<Gait>> = (0..n)
        .map(|i| {
            let mut counts = [0usize; 5];
            for f in &features[i.saturating_sub(2)..(i + 3).min(n)] {
                if let Some(g) = f.label {
                    counts[g as usize] += 1;
                }
            }
            let (best, c) = counts
                .iter()
                .enumerate()
                .max_by_key(|&(i, c)| (*c, usize::MAX - i))
                .unwrap_or((0, &0));
            if *c == 0 { None } else { Some(Gait::ALL[best]) }
        })
        .collect();
    fill_unknown(&mut labels);
    let Some(labels) = labels.into_iter().collect::<Option<Vec<Gait>>>() else {
        return Vec::new();
    };
    let mut rs: Vec<(usize, usize, Gait)> = Vec::new();
    for (i, g) in labels.iter().enumerate() {
        match rs.last_mut() {
            Some(r) if r.2 == *g => r.1 = i + 1,
            _ => rs.push((i, i + 1, *g)),
        }
    }
    absorb_short(&mut rs);
    let block = (FS as usize).max(1);
    let last = rs.len().saturating_sub(1);
    let mut out: Vec<Run> = rs
        .iter()
        .enumerate()
        .map(|(i, &(a, b, gait))| {
            let fs: Vec<f64> = features[a..b]
                .iter()
                .filter(|f| f.label == Some(gait) && f.stride_hz > 0.0)
                .map(|f| f.stride_hz)
                .collect();
            let reg: Vec<f64> = features[a..b]
                .iter()
                .filter(|f| f.label == Some(gait))
                .map(|f| f.regularity)
                .collect();
            Run {
                start: a * block,
                end: if i == last {
                    seg_len
                } else {
                    (b * block).min(seg_len)
                },
                gait,
                stride_hz: crate::filter::median(&fs),
                regularity: if reg.is_empty() {
                    0.0
                } else {
                    reg.iter().sum::<f64>() / reg.len() as f64
                },
            }
        })
        .collect();
    refine_boundaries(&mut out, seg_len, vert);
    out
}

/// Moves each boundary between gaits of clearly different intensity to the
/// best step fit of the 1-s mean square of the vertical acceleration.
///
/// A 6-s window flips to the more intense gait as soon as a quarter of it is
/// that gait, which would start intense bouts ~1.5 s early and end them late;
/// the step fit removes that bias. Boundaries between gaits of similar
/// intensity (trot/canter) keep the window decision.
fn refine_boundaries(runs: &mut [Run], n: usize, vert: impl Fn(usize) -> f64) {
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
        let mut visit = |k: usize, r: Option<f64>, s1: f64, s2: f64| {
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
        };
        // Mean square over 1 s: linear in the share of each gait inside the
        // window, so the ramp across a boundary is centred on it.
        moving_mean_each(
            n,
            |i| vert(i) * vert(i),
            FS as usize,
            |r| {
                visit(k, Some(r), s1, s2);
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

/// Unknown blocks take the label of the nearest known block (ties go to
/// the later one, which after a transition is the new gait).
fn fill_unknown(labels: &mut [Option<Gait>]) {
    let n = labels.len();
    let mut prev: Vec<Option<(usize, Gait)>> = vec![None; n];
    let mut last = None;
    for i in 0..n {
        if let Some(g) = labels[i] {
            last = Some((i, g));
        }
        prev[i] = last;
    }
    let mut next = None;
    for i in (0..n).rev() {
        if let Some(g) = labels[i] {
            next = Some((i, g));
            continue;
        }
        labels[i] = match (prev[i], next) {
            (Some((p, a)), Some((q, b))) => Some(if i - p < q - i { a } else { b }),
            (Some((_, a)), None) => Some(a),
            (None, Some((_, b))) => Some(b),
            (None, None) => None,
        };
    }
}

fn absorb_short(rs: &mut Vec<(usize, usize, Gait)>) {
    loop {
        if rs.len() < 2 {
            return;
        }
        let Some((i, _)) = rs
            .iter()
            .enumerate()
            .filter(|(_, r)| r.1 - r.0 < MIN_RUN)
            .min_by_key(|(_, r)| r.1 - r.0)
        else {
            return;
        };
        let len = |r: &(usize, usize, Gait)| r.1 - r.0;
        let target = match (i.checked_sub(1), rs.get(i + 1)) {
            (Some(p), Some(nx)) => {
                if rs[p].2 == nx.2 || len(&rs[p]) >= len(nx) {
                    p
                } else {
                    i + 1
                }
            }
            (Some(p), None) => p,
            (None, Some(_)) => i + 1,
            (None, None) => return,
        };
        let (a, b) = (rs[i].0.min(rs[target].0), rs[i].1.max(rs[target].1));
        rs[target] = (a, b, rs[target].2);
        rs.remove(i);
        // Merge equal neighbours.
        let mut j = 1;
        while j < rs.len() {
            if rs[j - 1].2 == rs[j].2 {
                rs[j - 1].1 = rs[j].1;
                rs.remove(j);
            } else {
                j += 1;
            }
        }
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

    /// In-place subtraction equals d − moving_mean(d) bit for bit.
    #[test]
    fn subtract_moving_mean_is_exact() {
        for (n, w) in [(0, 50), (7, 50), (60, 50), (5000, 50), (300, 3)] {
            let d = signal(n);
            let want =
                Array1::from_vec(d.clone()) - moving_mean(Array1::from_vec(d.clone()).view(), w);
            let mut got = d;
            subtract_moving_mean(&mut got, w);
            assert!(
                got.iter()
                    .zip(&want)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "n {n} w {w}"
            );
        }
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
