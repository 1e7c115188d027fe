//! Session and bout figures assembled from the per-segment analysis: VeDBA,
//! the per-gait summaries, the symmetry stretches of a trot bout (straight
//! stretches of the rein timeline) and their stride-weighted combination.

use crate::orientation::HorseSegment;
use crate::report::{Bout, Gait, GaitSummary, Rein, Symmetry, SymmetryStretch, round};
use crate::resample::FS;
use crate::{filter, rein, symmetry};

/// Σ over samples of |a − 2-s running mean of a| in g (vector dynamic body
/// acceleration), in one pass over the three axes without temporaries.
///
/// The running means are [`filter::moving_mean_each`]'s, computed in step
/// for the three axes; per sample the squares are added in the order fwd,
/// lat, vert (as a per-axis accumulation would), so the sum is unchanged.
pub(crate) fn vedba_sum(hs: &HorseSegment, w: usize) -> f64 {
    let axes = [hs.fwd(), hs.lat(), hs.vert()].map(|x| {
        x.to_slice()
            .map(std::borrow::Cow::Borrowed)
            .unwrap_or_else(|| std::borrow::Cow::Owned(x.to_vec()))
    });
    let n = axes[0].len();
    // All three rows cut to the same length.
    let [x, y, z] = [&axes[0], &axes[1], &axes[2]].map(|c| &c[..n]);
    let half = w / 2;
    let (mut pb, mut pa) = ([0.0f64; 3], [0.0f64; 3]);
    let (mut a, mut b) = (0usize, 0usize);
    let mut total = 0.0;
    let mut add = |[xi, yi, zi]: [f64; 3], pb: &[f64; 3], pa: &[f64; 3], cnt: f64| {
        let dx = xi - (pb[0] - pa[0]) / cnt;
        let dy = yi - (pb[1] - pa[1]) / cnt;
        let dz = zi - (pb[2] - pa[2]) / cnt;
        total += (dx * dx + dy * dy + dz * dz).sqrt();
    };
    // Where the window is whole, each step adds exactly one sample at each
    // end and divides by the full width: that stretch gets a loop without
    // the edge bookkeeping, as in `moving_mean_each` (the same additions in
    // the same order).
    let (mid_start, mid_end) = (half + 1, n.saturating_sub(half + 1));
    let mut i = 0;
    while i < n {
        if i == mid_start && i < mid_end && b == i + half && a == i - half - 1 {
            let width = (2 * half + 1) as f64;
            // The current, entering (i + half) and leaving (i − half − 1)
            // samples as rows of the stretch's length: no bounds checks.
            let rows = |from: usize| {
                let r = from..from + (mid_end - mid_start);
                [&x[r.clone()], &y[r.clone()], &z[r]]
            };
            let ([xc, yc, zc], [xe, ye, ze]) = (rows(mid_start), rows(mid_start + half));
            let [xl, yl, zl] = rows(mid_start - half - 1);
            for k in 0..xc.len().min(yc.len()).min(zc.len()) {
                pb[0] += xe[k];
                pb[1] += ye[k];
                pb[2] += ze[k];
                pa[0] += xl[k];
                pa[1] += yl[k];
                pa[2] += zl[k];
                add([xc[k], yc[k], zc[k]], &pb, &pa, width);
            }
            b = mid_end + half;
            a = mid_end - half - 1;
            i = mid_end;
            continue;
        }
        let b_i = (i + half + 1).min(n);
        while b < b_i {
            pb[0] += x[b];
            pb[1] += y[b];
            pb[2] += z[b];
            b += 1;
        }
        let a_i = i.saturating_sub(half);
        while a < a_i {
            pa[0] += x[a];
            pa[1] += y[a];
            pa[2] += z[a];
            a += 1;
        }
        add([x[i], y[i], z[i]], &pb, &pa, (b - a).max(1) as f64);
        i += 1;
    }
    total / 9.80665
}

pub(crate) fn summarise(bouts: &[Bout], analysed_s: f64) -> Vec<GaitSummary> {
    Gait::ALL
        .iter()
        .filter_map(|&g| {
            let bs: Vec<&Bout> = bouts.iter().filter(|b| b.gait == g).collect();
            if bs.is_empty() {
                return None;
            }
            let time: f64 = bs.iter().map(|b| b.duration_s()).sum();
            let strides: u32 = bs.iter().map(|b| b.strides).sum();
            let wmean = |f: &dyn Fn(&Bout) -> f64| {
                if time > 0.0 {
                    bs.iter().map(|b| f(b) * b.duration_s()).sum::<f64>() / time
                } else {
                    0.0
                }
            };
            let left: f64 = bs.iter().map(|b| b.rein.left * b.duration_s()).sum();
            let right: f64 = bs.iter().map(|b| b.rein.right * b.duration_s()).sum();
            let straight: f64 = bs.iter().map(|b| b.rein.straight * b.duration_s()).sum();
            Some(GaitSummary {
                gait: g,
                time_s: round(time, 3),
                share: round(
                    if analysed_s > 0.0 {
                        time / analysed_s
                    } else {
                        0.0
                    },
                    4,
                ),
                strides,
                mean_cadence_spm: round(
                    if time > 0.0 {
                        strides as f64 / time * 60.0
                    } else {
                        0.0
                    },
                    1,
                ),
                regularity: round(wmean(&|b| b.regularity), 3),
                elevation_cm: round(wmean(&|b| b.elevation_cm), 1),
                left_s: round(left, 1),
                right_s: round(right, 1),
                straight_s: round(straight, 1),
                rein_balance: round(
                    if left + right > 0.0 {
                        (left - right) / (left + right)
                    } else {
                        0.0
                    },
                    3,
                ),
            })
        })
        .collect()
}

/// Symmetry of every straight stretch of at least 5 s inside the trot run
/// `[a, b)`, measured with the run's stride frequency.
pub(crate) fn straight_stretches(
    hs: &HorseSegment,
    turns: &[rein::Segment],
    a: usize,
    b: usize,
    stride_hz: f64,
    seg_end: f64,
) -> Vec<SymmetryStretch> {
    let min = (symmetry::MIN_BOUT_S * FS) as usize;
    turns
        .iter()
        .filter(|t| t.rein == Rein::Straight)
        .filter_map(|t| {
            // Half a second off each end: the smoothed yaw rate lags the end
            // of a turn, and the strides of a transition are not trot yet.
            let trim = (0.5 * FS) as usize;
            let (s, e) = (t.start.max(a) + trim, t.end.min(b).saturating_sub(trim));
            if e <= s || e - s < min {
                return None;
            }
            let holes: Vec<(f64, f64)> = hs
                .holes
                .iter()
                .map(|&(h0, h1)| (h0 - s as f64, h1 - s as f64))
                .collect();
            let m = symmetry::measure(
                filter::sub(hs.vert(), s, e),
                filter::sub(hs.lat(), s, e),
                filter::sub(hs.fwd(), s, e),
                stride_hz,
                &holes,
            )?;
            let f = symmetry::figures(m.min_diff, m.max_diff, m.range, m.cycles);
            Some(SymmetryStretch {
                start_s: round(hs.time(s as f64), 3),
                end_s: round(hs.time(e as f64).min(seg_end), 3),
                min_diff_mm: f.min_diff_mm,
                max_diff_mm: f.max_diff_mm,
                min_diff_ci_mm: m.min_ci.map(|c| round(c * 1000.0, 1)),
                max_diff_ci_mm: m.max_ci.map(|c| round(c * 1000.0, 1)),
                symmetry_index: f.symmetry_index,
                strides: m.cycles,
            })
        })
        .collect()
}

/// Stride-weighted summary of stretches (a bout's, or the session's).
pub(crate) fn combine(stretches: &[SymmetryStretch]) -> Option<Symmetry> {
    let n: u32 = stretches.iter().map(|s| s.strides).sum();
    if n == 0 {
        return None;
    }
    let w = |f: &dyn Fn(&SymmetryStretch) -> f64| {
        stretches
            .iter()
            .map(|s| f(s) * f64::from(s.strides))
            .sum::<f64>()
            / f64::from(n)
    };
    let (mn, mx) = (w(&|s| s.min_diff_mm), w(&|s| s.max_diff_mm));
    let worst = mn.abs().max(mx.abs());
    Some(Symmetry {
        min_diff_mm: round(mn, 1),
        max_diff_mm: round(mx, 1),
        symmetry_index: round(w(&|s| s.symmetry_index), 1),
        score: round(
            (10.0 - (worst - 3.0).max(0.0) * 10.0 / 17.0).clamp(0.0, 10.0),
            1,
        ),
        strides: n,
    })
}
