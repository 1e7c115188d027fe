//! Small signal-processing helpers: zero-phase band-pass, moving averages and
//! interpolated zero crossings. Zero-phase filtering matters because stride
//! events, lead and symmetry are all read from the *phase* of the motion.

use ndarray::{Array1, ArrayView1};

/// Second-order IIR section (RBJ cookbook), direct form I.
#[derive(Debug, Clone, Copy)]
struct Biquad {
    b0: f64,
    b1: f64,
    b2: f64,
    a1: f64,
    a2: f64,
}

impl Biquad {
    /// Constant-peak-gain band-pass centred on `f0` with quality `q`.
    fn bandpass(f0: f64, q: f64, fs: f64) -> Self {
        let w0 = 2.0 * std::f64::consts::PI * (f0 / fs).clamp(1e-4, 0.49);
        let alpha = w0.sin() / (2.0 * q.max(0.1));
        let a0 = 1.0 + alpha;
        Biquad {
            b0: alpha / a0,
            b1: 0.0,
            b2: -alpha / a0,
            a1: -2.0 * w0.cos() / a0,
            a2: (1.0 - alpha) / a0,
        }
    }

    /// Filters the samples in the order the iterator yields them, in place.
    fn run<'a>(&self, x: impl Iterator<Item = &'a mut f64>) {
        let (mut x1, mut x2, mut y1, mut y2) = (0.0, 0.0, 0.0, 0.0);
        for v in x {
            let x0 = *v;
            let y0 = self.b0 * x0 + self.b1 * x1 + self.b2 * x2 - self.a1 * y1 - self.a2 * y2;
            x2 = x1;
            x1 = x0;
            y2 = y1;
            y1 = y0;
            *v = y0;
        }
    }

    /// [`Biquad::run`] of the values `x` yields, appended to `y` (the same
    /// arithmetic in the same order): the forward pass of [`bandpass`] reads
    /// its input where it lies instead of filtering a copy of it in place.
    ///
    /// The closure owns the coefficients and the state (x1, x2, y1, y2):
    /// borrowed, they were stored and reloaded at every sample.
    fn run_into(&self, x: impl Iterator<Item = f64>, y: &mut Vec<f64>) {
        let f = *self;
        let (mut x1, mut x2, mut y1, mut y2) = (0.0, 0.0, 0.0, 0.0);
        y.extend(x.map(move |x0| {
            let y0 = f.b0 * x0 + f.b1 * x1 + f.b2 * x2 - f.a1 * y1 - f.a2 * y2;
            x2 = x1;
            x1 = x0;
            y2 = y1;
            y1 = y0;
            y0
        }));
    }

    /// [`Biquad::run`] of `bqs[i]` on each `ys[i]` (all at least as long as
    /// the indexes), visiting the indexes in the given order, the signals
    /// side by side.
    fn run_n<const N: usize>(
        bqs: &[Biquad; N],
        ys: &mut [Vec<f64>; N],
        order: impl Iterator<Item = usize>,
    ) {
        // Per signal: x1, x2, y1, y2.
        let mut state = [[0.0f64; 4]; N];
        for i in order {
            for ((y, s), f) in ys.iter_mut().zip(&mut state).zip(bqs) {
                let [x1, x2, y1, y2] = *s;
                let x0 = y[i];
                let y0 = f.b0 * x0 + f.b1 * x1 + f.b2 * x2 - f.a1 * y1 - f.a2 * y2;
                *s = [x0, x1, y0, y1];
                y[i] = y0;
            }
        }
    }
}

/// Zero-phase (forward-backward) band-pass around `f0` Hz.
pub fn bandpass(x: ArrayView1<f64>, f0: f64, q: f64, fs: f64) -> Array1<f64> {
    let bq = Biquad::bandpass(f0, q, fs);
    // The forward pass reads the input and writes the output buffer (no
    // copy of the input to filter in place: the same values).
    let mut y = Vec::with_capacity(x.len());
    match x.as_slice() {
        Some(s) => bq.run_into(s.iter().copied(), &mut y),
        None => bq.run_into(x.iter().copied(), &mut y),
    }
    // Backward pass by iterating in reverse: the same arithmetic as reversing
    // the buffer twice, without the two extra passes over memory.
    bq.run(y.iter_mut().rev());
    Array1::from_vec(y)
}

/// [`bandpass`] of `N` signals of one length, signal `i` around `f0[i]` Hz,
/// run side by side: each signal's recursion is a chain of dependent
/// multiply-adds, so `N` independent ones fill the pipeline. Each output is
/// [`bandpass`]'s, bit for bit (the same arithmetic in the same order per
/// signal).
pub fn bandpass_n<const N: usize>(
    xs: [ArrayView1<f64>; N],
    f0: [f64; N],
    q: f64,
    fs: f64,
) -> [Vec<f64>; N] {
    let bqs = f0.map(|f| Biquad::bandpass(f, q, fs));
    let mut ys = xs.map(|x| x.to_vec());
    let n = ys.first().map_or(0, Vec::len);
    if ys.iter().any(|y| y.len() != n) {
        for (y, bq) in ys.iter_mut().zip(&bqs) {
            bq.run(y.iter_mut());
            bq.run(y.iter_mut().rev());
        }
        return ys;
    }
    Biquad::run_n(&bqs, &mut ys, 0..n);
    Biquad::run_n(&bqs, &mut ys, (0..n).rev());
    ys
}

/// Signals filtered side by side by [`bandpass_each`].
const SIDE_BY_SIDE: usize = 4;

/// [`bandpass`] of each `(signal, f0)`, any lengths, bit for bit: the
/// signals are sorted by length and filtered [`SIDE_BY_SIDE`] at a time, so
/// that the recursions — each a chain of dependent multiply-adds that keeps
/// the pipeline mostly idle on its own — overlap. Each signal still sees
/// the same arithmetic in the same order, forward from its first sample,
/// then backward from its last.
pub fn bandpass_each(xs: &[(ArrayView1<f64>, f64)], q: f64, fs: f64) -> Vec<Vec<f64>> {
    let mut ys: Vec<Vec<f64>> = xs.iter().map(|(x, _)| x.to_vec()).collect();
    let mut order: Vec<usize> = (0..ys.len()).collect();
    order.sort_by_key(|&i| ys[i].len());
    for group in order.chunks(SIDE_BY_SIDE) {
        // The group's signals, shortest first, moved out and back.
        let mut lanes: Vec<(Biquad, Vec<f64>)> = group
            .iter()
            .map(|&i| (Biquad::bandpass(xs[i].1, q, fs), std::mem::take(&mut ys[i])))
            .collect();
        filter_lanes(&mut lanes);
        for (&i, (_, y)) in group.iter().zip(lanes) {
            ys[i] = y;
        }
    }
    ys
}

/// Forward then backward passes of each lane's biquad over its signal, in
/// place; lanes sorted by length. While the shortest of the remaining lanes
/// lasts, all remaining lanes step together; then it drops out.
fn filter_lanes(lanes: &mut [(Biquad, Vec<f64>)]) {
    for reverse in [false, true] {
        let mut state = vec![[0.0f64; 4]; lanes.len()];
        let mut done = 0usize;
        for first in 0..lanes.len() {
            let until = lanes[first].1.len();
            if until > done {
                let active = &mut lanes[first..];
                let st = &mut state[first..];
                match active.len() {
                    1 => step_lanes::<1>(active, st, done..until, reverse),
                    2 => step_lanes::<2>(active, st, done..until, reverse),
                    3 => step_lanes::<3>(active, st, done..until, reverse),
                    _ => step_lanes::<4>(active, st, done..until, reverse),
                }
                done = until;
            }
        }
    }
}

/// Steps `r` of the `N` lanes' recursions (step r reads sample r forward,
/// sample len − 1 − r backward), each with [`Biquad::run`]'s arithmetic.
fn step_lanes<const N: usize>(
    lanes: &mut [(Biquad, Vec<f64>)],
    state: &mut [[f64; 4]],
    steps: std::ops::Range<usize>,
    reverse: bool,
) {
    let n = steps.len();
    let mut bqs = [Biquad::bandpass(1.0, 1.0, 50.0); N];
    let mut s = [[0.0f64; 4]; N];
    let mut rows: [&mut [f64]; N] = std::array::from_fn(|_| &mut [][..]);
    for (k, ((bq, y), st)) in lanes.iter_mut().zip(state.iter()).take(N).enumerate() {
        bqs[k] = *bq;
        s[k] = *st;
        // The samples these steps visit, in memory order.
        let (a, b) = if reverse {
            (y.len() - steps.end, y.len() - steps.start)
        } else {
            (steps.start, steps.end)
        };
        rows[k] = &mut y[a..b];
    }
    let mut step = |i: usize| {
        for ((row, st), f) in rows.iter_mut().zip(&mut s).zip(&bqs) {
            let [x1, x2, y1, y2] = *st;
            let x0 = row[i];
            let y0 = f.b0 * x0 + f.b1 * x1 + f.b2 * x2 - f.a1 * y1 - f.a2 * y2;
            *st = [x0, x1, y0, y1];
            row[i] = y0;
        }
    };
    if reverse {
        (0..n).rev().for_each(&mut step);
    } else {
        (0..n).for_each(&mut step);
    }
    for (st, s) in state.iter_mut().zip(s) {
        *st = s;
    }
}

/// Centred moving average over `w` samples (shorter at the edges).
pub fn moving_mean(x: ArrayView1<f64>, w: usize) -> Array1<f64> {
    // Written in place rather than pushed: a push may reallocate, and the
    // call it might make kept the running sums in memory instead of
    // registers (a store and a reload in each sum's chain, per sample).
    let mut out = vec![0.0; x.len()];
    let mut slots = out.iter_mut();
    let mut put = |m| {
        if let Some(o) = slots.next() {
            *o = m;
        }
    };
    match x.as_slice() {
        Some(s) => moving_mean_slice_each(s, w, &mut put),
        None => moving_mean_each(x.len(), |i| x[i], w, &mut put),
    }
    Array1::from_vec(out)
}

/// Calls `f` with the centred moving average of the `n` values `x(0..n)` at
/// every index in order (`x` is a function so that derived signals such as
/// squares need no buffer of their own):
/// (P[b] − P[a]) / (b − a) with P the prefix sums, a = i − w/2 and
/// b = i + w/2 + 1 clamped to the signal.
///
/// The two prefix sums are carried along as running sums instead of being
/// stored: P[k] is the same left-to-right sum either way, so the results are
/// bit-identical to a stored prefix array, without its allocation and pass.
pub fn moving_mean_each(n: usize, x: impl FnMut(usize) -> f64, w: usize, f: impl FnMut(f64)) {
    moving_mean_impl(n, x, None, w, f);
}

/// [`moving_mean_each`] of the values of a slice: the same sums in the same
/// order, the whole-window stretch reading the entering and leaving values
/// as sub-slices of its length (no bounds check per value).
pub fn moving_mean_slice_each(s: &[f64], w: usize, f: impl FnMut(f64)) {
    moving_mean_impl(s.len(), |i| s[i], Some(s), w, f);
}

/// [`moving_mean_each`], with `slice` = the values of `x` when they are a
/// slice.
fn moving_mean_impl(
    n: usize,
    mut x: impl FnMut(usize) -> f64,
    slice: Option<&[f64]>,
    w: usize,
    mut f: impl FnMut(f64),
) {
    let half = w / 2;
    // Running P[b] and P[a] and the indexes they have reached.
    let (mut pb, mut b) = (0.0, 0usize);
    let (mut pa, mut a) = (0.0, 0usize);
    // Where the window is whole, each step adds exactly one sample at each
    // end and divides by the full width: that stretch gets a loop without
    // the edge bookkeeping (the same additions in the same order).
    let (mid_start, mid_end) = (half + 1, n.saturating_sub(half + 1));
    let mut i = 0;
    while i < n {
        if i == mid_start && i < mid_end && b == i + half && a == i - half - 1 {
            let width = (2 * half + 1) as f64;
            if let Some(s) = slice {
                let len = mid_end - mid_start;
                let enter = &s[mid_start + half..][..len];
                let leave = &s[mid_start - half - 1..][..len];
                for (e, l) in enter.iter().zip(leave) {
                    pb += e;
                    pa += l;
                    f((pb - pa) / width);
                }
            } else {
                for i in mid_start..mid_end {
                    pb += x(i + half);
                    pa += x(i - half - 1);
                    f((pb - pa) / width);
                }
            }
            b = mid_end + half;
            a = mid_end - half - 1;
            i = mid_end;
            continue;
        }
        let b_i = (i + half + 1).min(n);
        while b < b_i {
            pb += x(b);
            b += 1;
        }
        let a_i = i.saturating_sub(half);
        while a < a_i {
            pa += x(a);
            a += 1;
        }
        f((pb - pa) / (b - a).max(1) as f64);
        i += 1;
    }
}

/// Times (in samples, fractional) where `x` crosses zero upwards.
pub fn up_crossings(x: ArrayView1<f64>) -> Vec<f64> {
    let mut out = Vec::new();
    for i in 1..x.len() {
        let (a, b) = (x[i - 1], x[i]);
        if a < 0.0 && b >= 0.0 {
            let frac = if b - a > 0.0 { -a / (b - a) } else { 0.0 };
            out.push((i - 1) as f64 + frac);
        }
    }
    out
}

/// Sub-view `a..b` of a signal, clamped to its bounds (never panics).
pub fn sub(x: ArrayView1<'_, f64>, a: usize, b: usize) -> ArrayView1<'_, f64> {
    let b = b.min(x.len());
    let a = a.min(b);
    x.slice_axis_move(ndarray::Axis(0), ndarray::Slice::from(a..b))
}

/// Median of a slice (NaN-free input expected; 0 when empty).
pub fn median(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    // A few values (the bursts' 4-s levels): sorted on the stack. Values
    // equal in the total order have the same bits, so the sorted order's
    // m-th value and the one before it are the selection's below.
    const SMALL: usize = 8;
    if values.len() <= SMALL {
        let mut buf = [0.0f64; SMALL];
        let a = &mut buf[..values.len()];
        a.copy_from_slice(values);
        for i in 1..a.len() {
            let mut j = i;
            while j > 0 && a[j - 1].total_cmp(&a[j]).is_gt() {
                a.swap(j - 1, j);
                j -= 1;
            }
        }
        let m = a.len() / 2;
        return if a.len() % 2 == 1 {
            a[m]
        } else {
            0.5 * (a[m - 1] + a[m])
        };
    }
    // Selection instead of a full sort: the m-th value (and, for an even
    // count, the largest value below it) is the same as in the sorted order.
    let mut v = values.to_vec();
    let m = v.len() / 2;
    let (below, &mut mid, _) = v.select_nth_unstable_by(m, f64::total_cmp);
    if values.len() % 2 == 1 {
        mid
    } else {
        let lower = below.iter().copied().max_by(f64::total_cmp).unwrap_or(mid);
        0.5 * (lower + mid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The small-count path equals the selection, bit for bit (ties, signed
    /// zeros, NaN).
    #[test]
    fn small_medians_are_the_selections() {
        let select = |values: &[f64]| {
            let mut v = values.to_vec();
            let m = v.len() / 2;
            let (below, &mut mid, _) = v.select_nth_unstable_by(m, f64::total_cmp);
            if values.len() % 2 == 1 {
                mid
            } else {
                let lower = below.iter().copied().max_by(f64::total_cmp).unwrap_or(mid);
                0.5 * (lower + mid)
            }
        };
        let pool = [3.0, -1.0, 0.0, -0.0, 2.5, 3.0, f64::NAN, 1e-300, -7.0, 2.5];
        let mut state = 7u64;
        for _ in 0..2000 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let n = 1 + (state >> 60) as usize % 9;
            let v: Vec<f64> = (0..n)
                .map(|i| pool[((state >> (4 * i)) % pool.len() as u64) as usize])
                .collect();
            assert_eq!(median(&v).to_bits(), select(&v).to_bits(), "{v:?}");
        }
    }

    /// Signals filtered side by side equal each filtered alone, bit for bit.
    #[test]
    fn bandpass_n_is_bandpass() {
        let sig = |k: f64| {
            Array1::from_shape_fn(777, |i| (i as f64 * 0.37 * k).sin() + ((i * 31) % 7) as f64)
        };
        let (a, b, c) = (sig(1.0), sig(1.7), sig(0.3));
        let f0 = [1.3, 2.6, 0.9];
        let got = bandpass_n([a.view(), b.view(), c.view()], f0, 2.0, 50.0);
        for ((g, x), f) in got.iter().zip([&a, &b, &c]).zip(f0) {
            let want = bandpass(x.view(), f, 2.0, 50.0);
            assert!(g.iter().zip(&want).all(|(p, q)| p.to_bits() == q.to_bits()));
        }
    }

    /// Any number of signals of any lengths (equal ones, empty ones, more
    /// than one group), each [`bandpass`]'s output bit for bit, in the
    /// order given.
    #[test]
    fn bandpass_each_is_bandpass() {
        let lens = [777, 0, 5, 777, 1203, 64, 1, 300, 301, 2];
        let sigs: Vec<Array1<f64>> = lens
            .iter()
            .enumerate()
            .map(|(k, &n)| {
                Array1::from_shape_fn(n, |i| {
                    (i as f64 * 0.11 * (k + 1) as f64).sin() + ((i * 31 + k) % 7) as f64
                })
            })
            .collect();
        let inputs: Vec<(ArrayView1<f64>, f64)> = sigs
            .iter()
            .enumerate()
            .map(|(k, x)| (x.view(), 0.7 + 0.3 * k as f64))
            .collect();
        for count in 0..=inputs.len() {
            let got = bandpass_each(&inputs[..count], 1.5, 50.0);
            assert_eq!(got.len(), count);
            for (g, (x, f)) in got.iter().zip(&inputs) {
                let want = bandpass(*x, *f, 1.5, 50.0);
                assert_eq!(g.len(), want.len());
                assert!(g.iter().zip(&want).all(|(p, q)| p.to_bits() == q.to_bits()));
            }
        }
    }

    #[test]
    fn bandpass_keeps_phase_of_centre_frequency() {
        let fs = 50.0;
        let x = Array1::from_shape_fn(1000, |i| {
            (2.0 * std::f64::consts::PI * 2.0 * i as f64 / fs).sin()
        });
        let y = bandpass(x.view(), 2.0, 1.5, fs);
        for i in 200..800 {
            assert!(
                (x[i] - y[i]).abs() < 0.05,
                "sample {i}: {} vs {}",
                x[i],
                y[i]
            );
        }
    }

    /// The running-sum moving mean equals the stored-prefix formulation bit
    /// for bit (the analysis output must not change with the optimisation).
    #[test]
    fn moving_mean_matches_prefix_sums_exactly() {
        let x = Array1::from_shape_fn(1003, |i| ((i * 7919) % 1000) as f64 * 0.37 - 150.0);
        for w in [1, 2, 3, 10, 100, 2000] {
            let n = x.len();
            let mut prefix = vec![0.0];
            let mut acc = 0.0;
            for v in x.iter() {
                acc += v;
                prefix.push(acc);
            }
            let half = w / 2;
            let got = moving_mean(x.view(), w);
            for i in 0..n {
                let (a, b) = (i.saturating_sub(half), (i + half + 1).min(n));
                let want = (prefix[b] - prefix[a]) / (b - a).max(1) as f64;
                assert_eq!(got[i].to_bits(), want.to_bits(), "w {w}, i {i}");
            }
        }
    }

    /// The selection median equals the sorted-array median bit for bit.
    #[test]
    fn median_matches_sorting() {
        for n in [1, 2, 3, 4, 7, 10, 101, 350] {
            let v: Vec<f64> = (0..n)
                .map(|i| ((i * 7919) % 97) as f64 * 0.3 - 9.0)
                .collect();
            let mut sorted = v.clone();
            sorted.sort_by(f64::total_cmp);
            let m = n / 2;
            let want = if n % 2 == 1 {
                sorted[m]
            } else {
                0.5 * (sorted[m - 1] + sorted[m])
            };
            assert_eq!(median(&v).to_bits(), want.to_bits(), "n {n}");
        }
    }

    #[test]
    fn up_crossings_interpolate() {
        let x = Array1::from_vec(vec![-1.0, 1.0, 2.0, -2.0, 2.0]);
        let c = up_crossings(x.view());
        assert_eq!(c, vec![0.5, 3.5]);
    }
}
