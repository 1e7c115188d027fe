//! Zero-phase band-pass filters: one RBJ biquad run forward then backward,
//! alone, for `N` signals of one length side by side, or for any number of
//! signals of any lengths four at a time.

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

/// [`bandpass`] of `N` signals, signal `i` around `f0[i]` Hz, run side by
/// side ([`bandpass_each`]): each signal's recursion is a chain of dependent
/// multiply-adds, so independent ones fill the pipeline. Each output is
/// [`bandpass`]'s, bit for bit (the same arithmetic in the same order per
/// signal).
pub fn bandpass_n<const N: usize>(
    xs: [ArrayView1<f64>; N],
    f0: [f64; N],
    q: f64,
    fs: f64,
) -> [Vec<f64>; N] {
    let inputs: Vec<(ArrayView1<f64>, f64)> = xs.into_iter().zip(f0).collect();
    let mut ys = bandpass_each(&inputs, q, fs).into_iter();
    std::array::from_fn(|_| ys.next().unwrap_or_default())
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
/// lasts, all remaining lanes step together; then it drops out. At most
/// [`SIDE_BY_SIDE`] lanes ([`bandpass_each`] passes groups of that size).
fn filter_lanes(lanes: &mut [(Biquad, Vec<f64>)]) {
    debug_assert!(lanes.len() <= SIDE_BY_SIDE, "{} lanes", lanes.len());
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
