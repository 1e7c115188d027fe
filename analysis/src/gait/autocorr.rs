//! Windowed autocorrelation for the gait classifier: the signals are
//! pair-averaged to 25 Hz with their 2-s moving mean removed, then lagged
//! products are summed per 1-s block once per lag and windows are built
//! from block sums, so the cost is O(samples × lags) whatever the overlap.

use super::{BLOCK, FD, MAX_LAG, MIN_LAG, WIN_BLOCKS};

/// Pairs-average the `n` samples `x(0..n)` and remove the 2-s moving mean
/// (drift, centripetal offset). `x` is a function so that the first pass can
/// read the rotated signal straight from the resampled segment.
pub(super) fn decimate(n: usize, x: impl Fn(usize) -> f64) -> Vec<f64> {
    let mut d = crate::recycle::take(n / 2);
    for (i, d) in d.iter_mut().enumerate() {
        *d = 0.5 * (x(2 * i) + x(2 * i + 1));
    }
    detrended(d)
}

/// The second half of [`decimate`], for pair averages computed elsewhere:
/// d − the 2-s moving mean of d.
pub(super) fn detrended(d: Vec<f64>) -> Vec<f64> {
    minus_moving_mean(d, (2.0 * FD) as usize)
}

/// d − the centred moving mean of d over `w` samples
/// ([`crate::filter::moving_mean_slice_each`], read from `d` itself), in a
/// new buffer from [`crate::recycle`]; `d` is handed back. (Subtracting in
/// place needed a ring of the overwritten values: more work per sample
/// than the second buffer.)
fn minus_moving_mean(d: Vec<f64>, w: usize) -> Vec<f64> {
    let mut out = crate::recycle::take(d.len());
    let mut pairs = out.iter_mut().zip(&d);
    crate::filter::moving_mean_slice_each(&d, w, |m| {
        if let Some((o, x)) = pairs.next() {
            *o = x - m;
        }
    });
    crate::recycle::give(d);
    out
}

/// Block sums of x[k]·x[k+τ] for every lag, plus the prefix of x².
///
/// Windows are classified in order and a window only reads the block sums
/// of its own [`WIN_BLOCKS`] blocks, so the sums are kept in a ring of that
/// many blocks and computed as the windows advance ([`LagSums::advance`])
/// instead of being stored for the whole segment.
pub(super) struct LagSums {
    pub nblocks: usize,
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
    pub fn new(xs: Vec<f64>) -> Self {
        let n = xs.len();
        let mut energy = crate::recycle::take(n + 1);
        energy[0] = 0.0;
        let mut acc = 0.0;
        for (e, v) in energy[1..].iter_mut().zip(&xs) {
            acc += v * v;
            *e = acc;
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

    /// Hands the signal and its energy prefix back for reuse
    /// ([`crate::recycle`]).
    pub fn recycle(self) {
        crate::recycle::give(self.xs);
        crate::recycle::give(self.energy);
    }

    /// Moves to window `w` (windows go in order): computes the new blocks'
    /// sums and the window's per-lag sums, adding its blocks in order.
    pub fn advance(&mut self, w: usize) {
        while self.computed < (w + WIN_BLOCKS).min(self.nblocks) {
            let b = self.computed;
            self.ring[b % WIN_BLOCKS] = self.block_sums(b);
            self.computed += 1;
        }
        // Each lag's sum adds the blocks in order from 0.0, as before, but
        // [`SUM_CHUNK`] lags at a time kept in registers over the blocks
        // (instead of the whole window row loaded and stored per block).
        let rows: [&[f64; MAX_LAG + 1]; WIN_BLOCKS] =
            std::array::from_fn(|k| &self.ring[(w + k) % WIN_BLOCKS]);
        let mut chunks = self.window.chunks_exact_mut(SUM_CHUNK);
        for (c, out) in (&mut chunks).enumerate() {
            let mut acc = [0.0; SUM_CHUNK];
            for row in rows {
                let row = &row[c * SUM_CHUNK..(c + 1) * SUM_CHUNK];
                for (a, v) in acc.iter_mut().zip(row) {
                    *a += v;
                }
            }
            out.copy_from_slice(&acc);
        }
        let done = (MAX_LAG + 1) / SUM_CHUNK * SUM_CHUNK;
        for (lag, out) in chunks.into_remainder().iter_mut().enumerate() {
            let mut acc = 0.0;
            for row in rows {
                acc += row[done + lag];
            }
            *out = acc;
        }
    }

    /// Σ x[k]·x[k+τ] over block `b` for every lag (lags past the end of the
    /// signal sum the samples that have a partner; unused lags are 0).
    fn block_sums(&self, b: usize) -> [f64; MAX_LAG + 1] {
        let (xs, n) = (&self.xs[..], self.xs.len());
        if let Some(w) = xs.get(b * BLOCK..(b + 1) * BLOCK + MAX_LAG) {
            return full_block_sums(w);
        }
        let mut sums = [0.0; MAX_LAG + 1];
        for (lag, sum) in sums.iter_mut().enumerate().skip(MIN_LAG) {
            let a = b * BLOCK;
            let e = ((b + 1) * BLOCK).min(n.saturating_sub(lag));
            if e <= a {
                continue;
            }
            *sum = dot(&xs[a..e], &xs[a + lag..e + lag]);
        }
        sums
    }

    /// Normalised autocorrelation of window starting at block `w`, at `lag`.
    pub fn r(&self, w: usize, lag: usize) -> f64 {
        let n = self.energy.len() - 1;
        debug_assert!(self.computed == w + WIN_BLOCKS, "advance(w) first");
        let s = self.window[lag];
        let (a, e) = (w * BLOCK, (w + WIN_BLOCKS) * BLOCK);
        let e1 = self.energy[e.min(n)] - self.energy[a.min(n)];
        let e2 = self.energy[(e + lag).min(n)] - self.energy[(a + lag).min(n)];
        let d = (e1 * e2).sqrt();
        if d > 1e-9 { s / d } else { 0.0 }
    }

    /// [`LagSums::r`] for every lag from [`MIN_LAG`] (0 below): the
    /// window's own energy is read once, and for a window whose lagged
    /// partners all lie inside the signal the clamps drop out (the same
    /// operands, so the same values).
    pub fn r_all(&self, w: usize) -> [f64; MAX_LAG + 1] {
        let n = self.energy.len() - 1;
        let (a, e) = (w * BLOCK, (w + WIN_BLOCKS) * BLOCK);
        let mut out = [0.0; MAX_LAG + 1];
        if e + MAX_LAG > n {
            for (lag, r) in out.iter_mut().enumerate().skip(MIN_LAG) {
                *r = self.r(w, lag);
            }
            return out;
        }
        debug_assert!(self.computed == w + WIN_BLOCKS, "advance(w) first");
        let e1 = self.energy[e] - self.energy[a];
        let lagged_a = &self.energy[a..=a + MAX_LAG];
        let lagged_e = &self.energy[e..=e + MAX_LAG];
        // Branch-free (the quotient is computed for every lag and kept only
        // where d > 1e-9: the same value where it is kept), over zipped
        // slices: the loop vectorises (two lags per square root and
        // division).
        let lags = out[MIN_LAG..]
            .iter_mut()
            .zip(&self.window[MIN_LAG..])
            .zip(lagged_e[MIN_LAG..].iter().zip(&lagged_a[MIN_LAG..]));
        for ((r, s), (le, la)) in lags {
            let d = (e1 * (le - la)).sqrt();
            let q = s / d;
            *r = if d > 1e-9 { q } else { 0.0 };
        }
        out
    }

    /// Standard deviation of the (zero-mean) signal over window `w`.
    pub fn sd(&self, w: usize) -> f64 {
        let n = self.energy.len() - 1;
        let (a, e) = ((w * BLOCK).min(n), ((w + WIN_BLOCKS) * BLOCK).min(n));
        if e <= a {
            return 0.0;
        }
        ((self.energy[e] - self.energy[a]) / (e - a) as f64)
            .max(0.0)
            .sqrt()
    }

    /// Normalised autocorrelation of window `w` at any `lag` (not only the
    /// precomputed ones), summed directly: for the few lags a check reads.
    pub fn r_direct(&self, w: usize, lag: usize) -> f64 {
        let n = self.xs.len();
        let a = (w * BLOCK).min(n);
        let e = ((w + WIN_BLOCKS) * BLOCK).min(n.saturating_sub(lag));
        if e <= a {
            return 0.0;
        }
        let s = dot(&self.xs[a..e], &self.xs[a + lag..e + lag]);
        let e1 = self.energy[e] - self.energy[a];
        let e2 = self.energy[e + lag] - self.energy[a + lag];
        let d = (e1 * e2).sqrt();
        if d > 1e-9 { s / d } else { 0.0 }
    }
}

/// Lags of a window summed together over its blocks in [`LagSums::advance`].
const SUM_CHUNK: usize = 8;

/// Lags computed together by [`full_block_sums`].
const LAG_GROUP: usize = 4;

/// [`LagSums::block_sums`] of a block with every lag's partner inside the
/// signal: `w` = the block's samples and the [`MAX_LAG`] after them. Each
/// lag's sum is [`dot`]'s, with the same four partial sums added in the same
/// order (so the same bits), but [`LAG_GROUP`] lags share each load of the
/// block's samples and the lengths are known at compile time.
fn full_block_sums(w: &[f64]) -> [f64; MAX_LAG + 1] {
    let mut sums = [0.0; MAX_LAG + 1];
    let Ok(w) = <&[f64; BLOCK + MAX_LAG]>::try_from(w) else {
        return sums;
    };
    let x = &w[..BLOCK];
    let body = BLOCK / 4 * 4;
    let mut lag = MIN_LAG;
    while lag + LAG_GROUP <= MAX_LAG + 1 {
        let mut acc = [[0.0f64; 4]; LAG_GROUP];
        for c in (0..body).step_by(4) {
            for j in 0..4 {
                let xv = x[c + j];
                for (l, a) in acc.iter_mut().enumerate() {
                    a[j] += xv * w[lag + l + c + j];
                }
            }
        }
        for (l, a) in acc.iter().enumerate() {
            let y = &w[lag + l..lag + l + BLOCK];
            let tail: f64 = x[body..].iter().zip(&y[body..]).map(|(p, q)| p * q).sum();
            sums[lag + l] = a[0] + a[1] + a[2] + a[3] + tail;
        }
        lag += LAG_GROUP;
    }
    for (l, sum) in sums.iter_mut().enumerate().skip(lag) {
        *sum = dot(x, &w[l..l + BLOCK]);
    }
    sums
}

/// Σ x·y with four partial sums (no bounds checks; the adds pipeline).
fn dot(x: &[f64], y: &[f64]) -> f64 {
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
    acc[0] + acc[1] + acc[2] + acc[3] + tail
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

    /// The grouped block sums equal the per-lag dot products bit for bit.
    #[test]
    fn full_block_sums_are_exact() {
        let x = signal(BLOCK * 4 + MAX_LAG);
        for b in 0..4 {
            let w = &x[b * BLOCK..(b + 1) * BLOCK + MAX_LAG];
            let got = full_block_sums(w);
            for (lag, g) in got.iter().enumerate() {
                let want = if lag < MIN_LAG {
                    0.0
                } else {
                    dot(&w[..BLOCK], &w[lag..lag + BLOCK])
                };
                assert_eq!(g.to_bits(), want.to_bits(), "block {b} lag {lag}");
            }
        }
    }

    /// The subtraction equals d − moving_mean(d) bit for bit.
    #[test]
    fn minus_moving_mean_is_exact() {
        for (n, w) in [(0, 50), (7, 50), (60, 50), (5000, 50), (300, 3)] {
            let d = signal(n);
            let want =
                Array1::from_vec(d.clone()) - moving_mean(Array1::from_vec(d.clone()).view(), w);
            let got = minus_moving_mean(d, w);
            assert_eq!(got.len(), n);
            assert!(
                got.iter()
                    .zip(&want)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "n {n} w {w}"
            );
        }
    }
}
