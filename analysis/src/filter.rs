//! Small signal-processing helpers: zero-phase band-pass, moving averages and
//! interpolated zero crossings. Zero-phase filtering matters because stride
//! events, lead and symmetry are all read from the *phase* of the motion.

use ndarray::{Array1, ArrayView1};

mod bandpass;
pub use bandpass::{bandpass, bandpass_each, bandpass_n};

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
