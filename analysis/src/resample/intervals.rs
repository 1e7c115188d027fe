//! The passes over the sample intervals t[i] − t[i − 1], fused into one
//! ([`scan`]): the order check of the validation, the counts that bracket
//! the median interval, and the candidate holes and gaps. Each read the
//! whole timestamp column; one pass reads it once.

use std::cmp::Ordering::{Greater, Less};

use super::HOLE_S;

/// Intervals sampled to bracket the median ([`median_interval`]).
const SAMPLE: usize = 1024;

/// What one pass over the intervals finds.
#[derive(Debug, Clone)]
pub(crate) struct Scan {
    /// Every interval positive: t[i] − t[i − 1] > 0 exactly when
    /// t[i] > t[i − 1] (for any two doubles, infinities and NaN included: a
    /// difference of distinct finite values is never 0, and inf − inf is
    /// NaN), so this is the strict order of the timestamps.
    pub(crate) increasing: bool,
    /// The median bracket (lo, hi) and the intervals below it and inside
    /// it, counted with `<` and `<=` (only meaningful when `increasing`:
    /// on positive values they order as `total_cmp`). `None` for fewer than
    /// 4 × [`SAMPLE`] intervals.
    bracket: Option<(f64, f64, usize, usize)>,
    /// The indexes i (increasing) with t[i] − t[i − 1] > [`HOLE_S`]: every
    /// interval that can be a hole or a gap (their thresholds are at least
    /// that), searched one by one only in the blocks that hold one.
    over: Vec<usize>,
}

/// The one pass over the intervals of `t`.
pub(crate) fn scan(t: &[f64]) -> Scan {
    let m = t.len().saturating_sub(1);
    let dt = |i: usize| t[i + 1] - t[i];
    let bounds = (m >= 4 * SAMPLE).then(|| {
        let mut sample: Vec<f64> = (0..SAMPLE).map(|j| dt(j * m / SAMPLE)).collect();
        sample.sort_unstable_by(f64::total_cmp);
        (sample[SAMPLE / 2 - 64], sample[SAMPLE / 2 + 64])
    });
    // Without a bracket the counts are not used: NaN bounds count nothing.
    let (lo, hi) = bounds.unwrap_or((f64::NAN, f64::NAN));
    // Inside the bracket = at most `hi` and not below `lo` (lo ≤ hi):
    // counted as the difference, one comparison fewer per interval.
    let (mut below, mut up_to_hi) = (0usize, 0usize);
    let mut positive = true;
    let mut over = Vec::new();
    // Branch-free per block (it vectorises); a block is searched one by
    // one only when it holds an interval over HOLE_S (holes and gaps are
    // rare).
    const BLOCK: usize = 64;
    let mut i = 1;
    while i < t.len() {
        let e = (i + BLOCK).min(t.len());
        let mut any = false;
        // Zipped slices, not `windows(2)`: the loop vectorises.
        for (t1, t0) in t[i..e].iter().zip(&t[i - 1..e - 1]) {
            let v = t1 - t0;
            below += usize::from(v < lo);
            up_to_hi += usize::from(v <= hi);
            positive &= v > 0.0;
            any |= v > HOLE_S;
        }
        if any {
            over.extend((i..e).filter(|&k| t[k] - t[k - 1] > HOLE_S));
        }
        i = e;
    }
    Scan {
        increasing: positive,
        // Only read when every interval is positive (so are lo ≤ hi).
        bracket: bounds.map(|(lo, hi)| (lo, hi, below, up_to_hi.saturating_sub(below))),
        over,
    }
}

impl Scan {
    /// The indexes i (increasing) with t[i] − t[i − 1] > `min`, for
    /// `min` ≥ [`HOLE_S`] (a subset of the candidates).
    pub(crate) fn intervals_over<'a>(
        &'a self,
        t: &'a [f64],
        min: f64,
    ) -> impl Iterator<Item = usize> + 'a {
        debug_assert!(min >= HOLE_S);
        self.over
            .iter()
            .copied()
            .filter(move |&i| t[i] - t[i - 1] > min)
    }
}

/// The median sample interval: the element of rank ⌊m/2⌋ (total order) of
/// the m = n − 1 differences t[i+1] − t[i], exactly as selecting it from
/// all of them, but without storing them (2.9 MB for 1 h at 100 Hz).
/// `scan` = [`scan`]`(t)`.
///
/// A sorted sample of the intervals brackets the median; the scan counted
/// the intervals below and inside the bracket, and if the median falls
/// inside, a second pass keeps only those and selects among them. Otherwise
/// (never seen on real timestamps) it falls back to selecting among all
/// intervals.
pub(crate) fn median_interval(t: &[f64], scan: &Scan) -> f64 {
    let m = t.len().saturating_sub(1);
    let dt = |i: usize| t[i + 1] - t[i];
    let k = m / 2;
    let select_all = || {
        let mut dts: Vec<f64> = (0..m).map(dt).collect();
        *dts.select_nth_unstable_by(k, f64::total_cmp).1
    };
    let Some((lo, hi, mut below, mut within)) = scan.bracket else {
        return select_all();
    };
    let inside = |v: &f64| v.total_cmp(&lo) != Less && v.total_cmp(&hi) != Greater;
    // Any interval that is not positive (not seen after validation) and
    // the intervals are counted again with `total_cmp`.
    let positive = scan.increasing;
    if !positive {
        (below, within) = (0, 0);
        for v in (0..m).map(dt) {
            if v.total_cmp(&lo) == Less {
                below += 1;
            } else if v.total_cmp(&hi) != Greater {
                within += 1;
            }
        }
    }
    if !(below..below + within).contains(&k) {
        return select_all();
    }
    if lo.total_cmp(&hi).is_eq() {
        return lo;
    }
    let mut kept: Vec<f64> = if positive {
        t.windows(2)
            .map(|w| w[1] - w[0])
            .filter(|&v| v >= lo && v <= hi)
            .collect()
    } else {
        (0..m).map(dt).filter(inside).collect()
    };
    *kept.select_nth_unstable_by(k - below, f64::total_cmp).1
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bracketed selection returns exactly the median of all intervals.
    #[test]
    fn median_interval_is_exact() {
        let mut state = 12345u64;
        let mut rnd = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for (n, jitter, holes) in [
            (10, 0.1, 0.0),
            (5000, 0.0, 0.0),
            (20000, 0.3, 0.01),
            (50001, 1e-9, 0.2),
        ] {
            let mut t = vec![0.0];
            for _ in 1..n {
                let step = if rnd() < holes {
                    0.5
                } else {
                    0.01 * (1.0 + jitter * (rnd() - 0.5))
                };
                t.push(t[t.len() - 1] + step);
            }
            let mut dts: Vec<f64> = t.windows(2).map(|w| w[1] - w[0]).collect();
            let mid = dts.len() / 2;
            let want = *dts.select_nth_unstable_by(mid, f64::total_cmp).1;
            let got = median_interval(&t, &scan(&t));
            assert_eq!(got.to_bits(), want.to_bits(), "n {n}");
        }
    }

    /// The block search finds exactly the intervals a plain scan finds, and
    /// the order check is the plain one.
    #[test]
    fn scan_matches_plain_passes() {
        let mut t = vec![0.0];
        for i in 1..1000 {
            let step = if i % 97 == 0 || i == 64 || i == 999 {
                0.3
            } else {
                0.01
            };
            t.push(t[i - 1] + step);
        }
        for n in [0, 1, 2, 64, 65, 1000] {
            for min in [HOLE_S, 0.2, 1.0] {
                let want: Vec<usize> = (1..n).filter(|&i| t[i] - t[i - 1] > min).collect();
                let s = scan(&t[..n]);
                assert_eq!(s.intervals_over(&t, min).collect::<Vec<_>>(), want);
                assert!(s.increasing);
            }
        }
        let inf = f64::INFINITY;
        for bad in [
            vec![0.0, 0.0],
            vec![1.0, 0.5],
            vec![0.0, f64::NAN],
            vec![inf, inf],
            vec![-inf, -inf],
        ] {
            assert!(!scan(&bad).increasing, "{bad:?}");
        }
        assert!(scan(&[-inf, 0.0, inf]).increasing);
    }
}
