//! Rein (turning direction) from the yaw rate about the vertical. A 10 m
//! circle at trot turns at about 20°/s and a walk circle at ~9°/s, while a
//! straight line wanders by a few °/s; the yaw rate is smoothed over 2 s and
//! a sample counts as turning beyond ±4°/s. Positive yaw = turning left.
//! The samples are grouped into a timeline of left / right / straight
//! stretches (wobbles under 1 s merged), and each boundary between a turn
//! and a straight line is moved to where the smoothed rate crosses half the
//! turn's own rate (the edge of the unsmoothed turn); bouts take their rein
//! shares from it and symmetry is measured on its straight stretches.

use ndarray::ArrayView1;

use crate::report::ReinShare;

/// Yaw rate (deg/s) beyond which a sample counts as turning.
pub const TURN_THRESHOLD_DPS: f64 = 4.0;

/// One stretch of constant turning direction, in sample indexes `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segment {
    pub start: usize,
    pub end: usize,
    pub rein: crate::report::Rein,
}

/// Shortest stretch kept (samples at 50 Hz): a shorter wobble of the smoothed
/// yaw rate across the threshold is merged into the stretch before it.
pub const MIN_SEGMENT: usize = 50;

/// The rein timeline of a segment: stretches left / right / straight from the
/// smoothed yaw rate, every sample covered, no stretch shorter than
/// [`MIN_SEGMENT`] unless the whole input is.
pub fn timeline(yaw_smooth: ArrayView1<f64>) -> Vec<Segment> {
    use crate::report::Rein;
    let class = |y: f64| {
        if y > TURN_THRESHOLD_DPS {
            Rein::Left
        } else if y < -TURN_THRESHOLD_DPS {
            Rein::Right
        } else {
            Rein::Straight
        }
    };
    let raw = match yaw_smooth.as_slice() {
        Some(ys) => class_runs(ys.iter().copied(), class),
        None => class_runs(yaw_smooth.iter().copied(), class),
    };
    let mut out: Vec<Segment> = Vec::with_capacity(raw.len());
    for s in raw {
        match out.last_mut() {
            Some(p) if p.rein == s.rein => p.end = s.end,
            Some(p) if s.end - s.start < MIN_SEGMENT => p.end = s.end,
            Some(p) if p.end - p.start < MIN_SEGMENT => {
                // A short first stretch takes the direction of what follows.
                p.end = s.end;
                p.rein = s.rein;
            }
            _ => out.push(s),
        }
    }
    center_edges(&mut out, yaw_smooth);
    out
}

/// Runs of one class, each closed where the class changes (every sample in
/// one run; the samples are read from a slice when the view is contiguous).
fn class_runs(
    mut ys: impl Iterator<Item = f64>,
    class: impl Fn(f64) -> crate::report::Rein,
) -> Vec<Segment> {
    let mut raw = Vec::new();
    let Some(first) = ys.next() else {
        return raw;
    };
    let (mut start, mut rein, mut i) = (0, class(first), 1);
    for y in ys {
        let r = class(y);
        if r != rein {
            raw.push(Segment {
                start,
                end: i,
                rein,
            });
            (start, rein) = (i, r);
        }
        i += 1;
    }
    raw.push(Segment {
        start,
        end: i,
        rein,
    });
    raw
}

/// Half-width of the yaw-rate smoothing (samples at 50 Hz): how far a
/// threshold crossing can sit from the turn's true edge.
const SMOOTH_HALF: usize = 50;

/// Moves each boundary between a turn and a straight stretch to where the
/// smoothed yaw rate crosses half the turn's own rate: a moving mean turns a step into a ramp that crosses half its
/// height at the step, while the fixed threshold crosses early on the way
/// into a sharp turn and late on the way out (by up to the half-width).
/// A boundary between a left and a right turn moves to the zero crossing.
fn center_edges(segs: &mut [Segment], yaw: ArrayView1<f64>) {
    use crate::report::Rein;
    // The turn's own rate: the 90th percentile of |yaw| over it (its
    // plateau; the ramps at its ends are lower).
    let level = |s: &Segment| {
        let mut v: Vec<f64> = (s.start..s.end).map(|i| yaw[i].abs()).collect();
        if v.is_empty() {
            return 0.0;
        }
        let q = (v.len() * 9 / 10).min(v.len() - 1);
        rank_of_magnitudes(&mut v, q)
    };
    for k in 1..segs.len() {
        let (a, b) = (segs[k - 1], segs[k]);
        let target = match (a.rein, b.rein) {
            (Rein::Straight, Rein::Straight) => continue,
            (Rein::Straight, _) => 0.5 * level(&b),
            (_, Rein::Straight) => 0.5 * level(&a),
            _ => 0.0,
        };
        let sign = |s: &Segment| match s.rein {
            Rein::Left => 1.0,
            Rein::Right => -1.0,
            Rein::Straight => 0.0,
        };
        // Signed distance of the yaw rate past the edge level, rising from
        // the side of `a` to the side of `b`.
        let past = |i: usize| {
            if b.rein != Rein::Straight {
                sign(&b) * yaw[i] - target
            } else {
                target - sign(&a) * yaw[i]
            }
        };
        let lo = b.start.saturating_sub(SMOOTH_HALF).max(a.start + 1);
        let hi = (b.start + SMOOTH_HALF).min(b.end.saturating_sub(1));
        if hi <= lo {
            continue;
        }
        if let Some(edge) = (lo..=hi).find(|&i| past(i) >= 0.0) {
            segs[k - 1].end = edge;
            segs[k].start = edge;
        }
    }
}

/// Share of `[a, b)` on each rein according to the timeline.
pub fn share_in(timeline: &[Segment], a: usize, b: usize) -> ReinShare {
    use crate::report::Rein;
    let n = b.saturating_sub(a);
    if n == 0 {
        return ReinShare {
            left: 0.0,
            right: 0.0,
            straight: 1.0,
        };
    }
    let (mut l, mut r) = (0usize, 0usize);
    for s in timeline {
        let o = s.end.min(b).saturating_sub(s.start.max(a));
        match s.rein {
            Rein::Left => l += o,
            Rein::Right => r += o,
            Rein::Straight => {}
        }
    }
    let n = n as f64;
    ReinShare {
        left: l as f64 / n,
        right: r as f64 / n,
        straight: (n - l as f64 - r as f64) / n,
    }
}

/// The value of rank `q` (total order) of `v`, magnitudes (sign bits
/// clear), exactly `*v.select_nth_unstable_by(q, f64::total_cmp).1`: values
/// equal in the total order have the same bits, so any exact selection
/// returns the same value.
///
/// A sorted sample brackets the rank; one branch-free pass counts the
/// values below and inside the bracket, and when the rank falls inside,
/// only those (about an eighth) are selected among. On values with a clear
/// sign bit (NaN included, above every number), `<` and `<=` against
/// finite bounds order as `total_cmp`. Otherwise it selects among all
/// values.
fn rank_of_magnitudes(v: &mut [f64], q: usize) -> f64 {
    const SAMPLE: usize = 256;
    const SPREAD: usize = 16;
    let n = v.len();
    let all = |v: &mut [f64]| *v.select_nth_unstable_by(q, f64::total_cmp).1;
    if n < 8 * SAMPLE {
        return all(v);
    }
    let mut sample: Vec<f64> = (0..SAMPLE).map(|j| v[j * n / SAMPLE]).collect();
    sample.sort_unstable_by(f64::total_cmp);
    let c = q * SAMPLE / n;
    let (lo, hi) = (
        sample[c.saturating_sub(SPREAD)],
        sample[(c + SPREAD).min(SAMPLE - 1)],
    );
    if !(lo.is_finite() && hi.is_finite()) {
        return all(v);
    }
    let (mut below, mut up_to_hi) = (0usize, 0usize);
    let mut magnitudes = true;
    for &x in v.iter() {
        below += usize::from(x < lo);
        up_to_hi += usize::from(x <= hi);
        magnitudes &= x.is_sign_positive();
    }
    // lo ≤ hi: inside = at most hi and not below lo.
    let within = up_to_hi - below;
    if !magnitudes || !(below..below + within).contains(&q) {
        return all(v);
    }
    let mut kept: Vec<f64> = v.iter().copied().filter(|&x| x >= lo && x <= hi).collect();
    *kept.select_nth_unstable_by(q - below, f64::total_cmp).1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Rein;
    use ndarray::Array1;

    /// The bracketed rank is the full selection's, bit for bit, with ties,
    /// NaN and infinities among the values.
    #[test]
    fn rank_of_magnitudes_is_exact() {
        let mut state = 99u64;
        let mut rnd = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for n in [1, 10, 2047, 2048, 5000, 20001] {
            for kind in 0..4 {
                let v: Vec<f64> = (0..n)
                    .map(|i| match kind {
                        0 => rnd() * 30.0,
                        1 => (rnd() * 8.0).floor(),
                        2 if i % 97 == 0 => f64::NAN,
                        2 => rnd(),
                        _ if i % 13 == 0 => f64::INFINITY,
                        _ => (rnd() * 3.0).floor() * 0.5,
                    })
                    .collect();
                for q in [0, n / 2, n * 9 / 10, n - 1] {
                    let mut a = v.clone();
                    let want = *a.select_nth_unstable_by(q, f64::total_cmp).1;
                    let got = rank_of_magnitudes(&mut v.clone(), q);
                    assert_eq!(got.to_bits(), want.to_bits(), "n {n} kind {kind} q {q}");
                }
            }
        }
    }

    #[test]
    fn short_wobbles_merge_and_every_sample_is_covered() {
        let mut y = vec![0.0; 300];
        y[100..110].iter_mut().for_each(|v| *v = 10.0); // 0.2 s blip: merged
        y[150..250].iter_mut().for_each(|v| *v = -12.0); // 2 s right turn
        let t = timeline(Array1::from(y).view());
        assert_eq!(
            t.iter()
                .map(|s| (s.start, s.end, s.rein))
                .collect::<Vec<_>>(),
            [
                (0, 150, Rein::Straight),
                (150, 250, Rein::Right),
                (250, 300, Rein::Straight)
            ]
        );
        let sh = share_in(&t, 100, 200);
        assert_eq!((sh.left, sh.right, sh.straight), (0.0, 0.5, 0.5));
    }

    /// A sharp 4-s turn smoothed over 2 s: the boundaries land on the turn's
    /// true edges, not on the early/late threshold crossings.
    #[test]
    fn boundaries_sit_at_half_the_turn_rate() {
        let mut raw = vec![0.0; 600];
        raw[200..400].iter_mut().for_each(|v| *v = 40.0);
        let smooth = crate::filter::moving_mean(Array1::from(raw).view(), 100);
        let t = timeline(smooth.view());
        assert_eq!(t.len(), 3, "{t:?}");
        assert_eq!(t[1].rein, Rein::Left);
        assert!(
            t[1].start.abs_diff(200) <= 2 && t[1].end.abs_diff(400) <= 2,
            "{t:?}"
        );
    }
}
