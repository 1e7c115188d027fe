//! Mount orientation: the sensor is never assumed to sit square on the girth.
//!
//! 1. *Tilt* — over a whole session the trunk's mean acceleration is zero, so
//!    the mean specific force is gravity; the rotation that takes it onto +z
//!    levels the frame (it fixes the mount's roll and pitch).
//! 2. *Heading* — a rotation of the mount about the vertical cannot be seen in
//!    gravity. It is found from turns instead: the centripetal acceleration
//!    points to the inside of the turn, i.e. along +y (left) when the yaw rate
//!    is positive. The horizontal direction whose acceleration correlates with
//!    the yaw rate is therefore the horse's left; forward is 90° clockwise.
//!    Without enough turning the heading is left at 0 and flagged.
//! 3. *Gyro bias* — the median angular rate over still stretches (halts).

use ndarray::{Array1, Array2, ArrayView1, Axis, array};

use crate::filter::{median, moving_mean};
use crate::resample::{FS, Segment};

mod frame;
pub use frame::{HorseAccel, to_horse};

/// The estimated mount and the rotation into the horse frame.
#[derive(Debug, Clone)]
pub struct Mount {
    /// Sensor frame → horse frame (x forward, y left, z up).
    pub rot: Array2<f64>,
    /// Sensor frame → level frame (heading not applied).
    pub level: Array2<f64>,
    /// Magnitude of the mean specific force (≈ g, absorbs scale errors).
    pub gravity: f64,
    /// Gyro bias in the sensor frame, deg/s.
    pub gyro_bias: [f64; 3],
    pub tilt_deg: f64,
    pub heading_deg: f64,
    pub heading_estimated: bool,
}

/// A segment expressed in the horse frame.
///
/// The rotated signals live in the resampled segment's own buffers (see
/// [`to_horse`]); the accessors name the rows.
#[derive(Debug, Clone)]
pub struct HorseSegment {
    pub start_s: f64,
    /// Rows: forward, left and vertical specific force (m/s²), gravity
    /// removed from the vertical.
    acc: Array2<f64>,
    /// Rows: roll, pitch and yaw rate in the horse frame, bias removed (deg/s).
    gyro: Array2<f64>,
    /// Magnitude of the specific force (orientation-free, m/s²).
    pub amag: Array1<f64>,
    /// The resampled segment's interpolated holes (grid positions).
    pub holes: Vec<(f64, f64)>,
}

impl HorseSegment {
    pub fn len(&self) -> usize {
        self.amag.len()
    }

    pub fn is_empty(&self) -> bool {
        self.amag.is_empty()
    }

    pub fn time(&self, i: f64) -> f64 {
        self.start_s + i / FS
    }

    /// Hands the rows back for the next analysis's resampling
    /// ([`crate::recycle`]).
    pub fn recycle(self) {
        for rows in [self.acc, self.gyro] {
            crate::recycle::give(rows.into_raw_vec_and_offset().0);
        }
    }

    /// Vertical specific force minus gravity (m/s²).
    pub fn vert(&self) -> ArrayView1<'_, f64> {
        self.acc.row(2)
    }

    /// Forward specific force (m/s²).
    pub fn fwd(&self) -> ArrayView1<'_, f64> {
        self.acc.row(0)
    }

    /// Leftward specific force (m/s²).
    pub fn lat(&self) -> ArrayView1<'_, f64> {
        self.acc.row(1)
    }

    /// Roll rate (deg/s).
    pub fn roll(&self) -> ArrayView1<'_, f64> {
        self.gyro.row(0)
    }

    /// Pitch rate (deg/s).
    pub fn pitch(&self) -> ArrayView1<'_, f64> {
        self.gyro.row(1)
    }

    /// Yaw rate (deg/s), positive turning left.
    pub fn yaw(&self) -> ArrayView1<'_, f64> {
        self.gyro.row(2)
    }
}

fn identity() -> Array2<f64> {
    Array2::eye(3)
}

/// Rotation taking unit vector `g` onto +z (Rodrigues).
fn level_rotation(g: [f64; 3]) -> Array2<f64> {
    let (gx, gy, gz) = (g[0], g[1], g[2]);
    // v = g × z
    let v = [gy, -gx, 0.0];
    let s2 = v[0] * v[0] + v[1] * v[1];
    let c = gz;
    if s2 < 1e-12 {
        return if c >= 0.0 {
            identity()
        } else {
            array![[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, -1.0]]
        };
    }
    let k = array![[0.0, -v[2], v[1]], [v[2], 0.0, -v[0]], [-v[1], v[0], 0.0]];
    let k2 = k.dot(&k);
    identity() + &k + &(k2 * ((1.0 - c) / s2))
}

/// Estimates the mount from all segments.
pub fn estimate(segments: &[Segment]) -> Mount {
    let mut sum = [0.0; 3];
    let mut n = 0usize;
    for seg in segments {
        for (c, row) in seg.acc.axis_iter(Axis(0)).enumerate() {
            sum[c] += row.sum();
        }
        n += seg.len();
    }
    let mean = sum.map(|v| v / n.max(1) as f64);
    let gmag = (mean[0] * mean[0] + mean[1] * mean[1] + mean[2] * mean[2]).sqrt();
    let (level, gravity) = if gmag > 1.0 && gmag.is_finite() {
        (level_rotation(mean.map(|v| v / gmag)), gmag)
    } else {
        (identity(), 9.80665)
    };
    let tilt_deg = level[[2, 2]].clamp(-1.0, 1.0).acos().to_degrees();
    let gyro_bias = gyro_bias(segments);
    let groups: Vec<Vec<(usize, usize, usize)>> =
        segments.iter().map(|s| vec![(0, s.len(), 0)]).collect();
    let (heading, heading_estimated) = heading(segments, &level, gyro_bias, &groups);
    with_heading(
        level,
        gravity,
        gyro_bias,
        tilt_deg,
        heading,
        heading_estimated,
    )
}

/// Re-estimates the heading from the fore-aft oscillation of walk and trot.
///
/// At walk and trot each step brakes and then propels the trunk, so the
/// horizontal acceleration at the beat frequency (twice the stride
/// frequency) is almost purely fore-aft, whereas the lateral sway is at the
/// stride frequency. The principal axis of the horizontal acceleration
/// band-passed at the beat frequency is therefore the horse's long axis; of
/// its two directions the one within 90° of the sensor's x axis is forward
/// (the mount is tilted by at most ~25°). Unlike the centripetal estimate
/// this does not need turns and is immune to constant offsets.
///
/// `runs[segment]` = (start, end, beat frequency Hz) of the walk/trot runs
/// found with the first estimate. Falls back to `mount` with less than 20 s.
pub fn refine_heading(
    segments: &[Segment],
    mount: &Mount,
    runs: &[Vec<(usize, usize, f64)>],
) -> Mount {
    let (mut sxx, mut sxy, mut syy, mut n) = (0.0, 0.0, 0.0, 0usize);
    // Five minutes of walk/trot pin the axis down; more only costs time.
    let enough = (300.0 * FS) as usize;
    'outer: for (seg, rs) in segments.iter().zip(runs) {
        for &(a, b, fb) in rs {
            let (b, edge) = (b.min(seg.len()), (0.5 * FS) as usize);
            if b < a + 4 * edge || fb <= 0.0 {
                continue;
            }
            let block = seg.acc.slice_axis(Axis(1), ndarray::Slice::from(a..b));
            let (bx, by) = (
                mount.level.row(0).dot(&block),
                mount.level.row(1).dot(&block),
            );
            let [x, y] = crate::filter::bandpass_n([bx.view(), by.view()], [fb; 2], 2.0, FS);
            for i in edge..x.len() - edge {
                sxx += x[i] * x[i];
                sxy += x[i] * y[i];
                syy += y[i] * y[i];
            }
            n += x.len() - 2 * edge;
            if n >= enough {
                break 'outer;
            }
        }
    }
    if n < (20.0 * FS) as usize {
        return mount.clone();
    }
    let mut axis = 0.5 * (2.0 * sxy).atan2(sxx - syy);
    if axis > std::f64::consts::FRAC_PI_2 {
        axis -= std::f64::consts::PI;
    } else if axis < -std::f64::consts::FRAC_PI_2 {
        axis += std::f64::consts::PI;
    }
    with_heading(
        mount.level.clone(),
        mount.gravity,
        mount.gyro_bias,
        mount.tilt_deg,
        axis,
        true,
    )
}

fn with_heading(
    level: Array2<f64>,
    gravity: f64,
    gyro_bias: [f64; 3],
    tilt_deg: f64,
    heading: f64,
    heading_estimated: bool,
) -> Mount {
    let (sh, ch) = heading.sin_cos();
    let rz = array![[ch, sh, 0.0], [-sh, ch, 0.0], [0.0, 0.0, 1.0]];
    Mount {
        rot: rz.dot(&level),
        level,
        gravity,
        gyro_bias,
        tilt_deg,
        // `heading` is the direction of travel seen from the sensor; the mount
        // is rotated the opposite way.
        heading_deg: -heading.to_degrees(),
        heading_estimated,
    }
}

/// Median gyro over 2-s windows where both sensors are quiet.
fn gyro_bias(segments: &[Segment]) -> [f64; 3] {
    let w = (2.0 * FS) as usize;
    let mut means: [Vec<f64>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    // Σ of the three axes' standard deviations, added in axis order from
    // −0.0 (as `Iterator::sum`).
    let sd_sum = |c: &[std::borrow::Cow<'_, [f64]>; 3], r: std::ops::Range<usize>| {
        let [x, y, z] = sd3([&c[0][r.clone()], &c[1][r.clone()], &c[2][r]]);
        -0.0 + x + y + z
    };
    for seg in segments {
        let (acc, gyro) = (rows(&seg.acc), rows(&seg.gyro));
        let mut start = 0;
        while start + w <= seg.len() {
            let r = start..start + w;
            let acc_sd = sd_sum(&acc, r.clone());
            if acc_sd < 0.4 {
                let gyro_sd = sd_sum(&gyro, r.clone());
                if gyro_sd < 3.0 {
                    for (c, g) in gyro.iter().enumerate() {
                        means[c].push(g[r.clone()].iter().sum::<f64>() / w as f64);
                    }
                }
            }
            start += w;
        }
    }
    if means[0].len() < 3 {
        return [0.0; 3];
    }
    [median(&means[0]), median(&means[1]), median(&means[2])]
}

/// Population standard deviation of each of three equally long series:
/// the mean and the mean square deviation each summed in sample order from
/// −0.0 (as `Iterator::sum`), so the same bits as one series at a time, but
/// the three series' sums side by side — each is a chain of dependent adds,
/// and three chains fill the pipeline where one leaves it idle.
fn sd3(x: [&[f64]; 3]) -> [f64; 3] {
    let len = x.iter().map(|c| c.len()).min().unwrap_or(0);
    let x = x.map(|c| &c[..len]);
    let n = len.max(1) as f64;
    let mut sums = [-0.0f64; 3];
    for i in 0..len {
        for (s, c) in sums.iter_mut().zip(&x) {
            *s += c[i];
        }
    }
    let m = sums.map(|s| s / n);
    let mut sq = [-0.0f64; 3];
    for i in 0..len {
        for ((s, c), m) in sq.iter_mut().zip(&x).zip(&m) {
            let d = c[i] - m;
            *s += d * d;
        }
    }
    sq.map(|s| (s / n).sqrt())
}

/// Mount heading (radians) from the correlation of horizontal acceleration
/// with yaw rate during turns.
fn heading(
    segments: &[Segment],
    level: &Array2<f64>,
    bias: [f64; 3],
    groups: &[Vec<(usize, usize, usize)>],
) -> (f64, bool) {
    // Work on 0.5-s block means: rotation and averaging are linear, so
    // averaging first and rotating the means gives the same smoothed signals
    // at a twentieth of the cost.
    const B: usize = 25;
    let bias = Array1::from_vec(bias.to_vec());
    let w = (2.0 * FS) as usize / B;
    // Per group: n, Σr, Σx, Σy, Σrr, Σrx, Σry.
    let mut acc_g = [[0.0f64; 7]; 5];
    let mut turning = 0usize;
    for (seg, runs) in segments.iter().zip(groups) {
        let nb = seg.len() / B;
        if nb == 0 {
            continue;
        }
        let block_mean = |m: &Array2<f64>| {
            let mut out = Array2::<f64>::zeros((3, nb));
            for (c, v) in rows(m).iter().enumerate() {
                for (b, chunk) in v.chunks_exact(B).take(nb).enumerate() {
                    out[[c, b]] = chunk.iter().sum::<f64>() / B as f64;
                }
            }
            out
        };
        let acc = level.dot(&block_mean(&seg.acc));
        let gyro_z = level
            .row(2)
            .dot(&(block_mean(&seg.gyro) - bias.view().insert_axis(Axis(1))));
        let ax = moving_mean(acc.row(0), w);
        let ay = moving_mean(acc.row(1), w);
        let yaw = moving_mean(gyro_z.view(), w);
        for &(a, b, g) in runs {
            let s = &mut acc_g[g.min(4)];
            for i in a / B..(b / B).min(yaw.len()) {
                let r = yaw[i].to_radians();
                if yaw[i].abs() > 5.0 {
                    turning += B;
                }
                s[0] += 1.0;
                s[1] += r;
                s[2] += ax[i];
                s[3] += ay[i];
                s[4] += r * r;
                s[5] += r * ax[i];
                s[6] += r * ay[i];
            }
        }
    }
    let (mut sw2, mut cx, mut cy) = (0.0, 0.0, 0.0);
    for s in &acc_g {
        if s[0] < 2.0 {
            continue;
        }
        sw2 += s[4] - s[1] * s[1] / s[0];
        cx += s[5] - s[1] * s[2] / s[0];
        cy += s[6] - s[1] * s[3] / s[0];
    }
    let norm = (cx * cx + cy * cy).sqrt();
    // At least 20 s of turning and an implied speed of ≥ 0.3 m/s.
    if turning < (20.0 * FS) as usize || sw2 <= 1e-12 || norm / sw2 < 0.3 {
        return (0.0, false);
    }
    let (ux, uy) = (cx / norm, cy / norm);
    ((-ux).atan2(uy), true)
}

/// Rows of a (3 × n) array as contiguous slices (copied only if needed).
fn rows(m: &Array2<f64>) -> [std::borrow::Cow<'_, [f64]>; 3] {
    let row = |c: usize| {
        let r = m.row(c);
        match r.to_slice() {
            Some(s) => std::borrow::Cow::Borrowed(s),
            None => std::borrow::Cow::Owned(r.to_vec()),
        }
    };
    [row(0), row(1), row(2)]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The side-by-side standard deviations are the one-series ones, bit
    /// for bit, and their sum the `Iterator::sum` of them.
    #[test]
    fn sd3_is_three_single_sds() {
        let sd = |x: &[f64]| {
            let n = x.len().max(1) as f64;
            let m = x.iter().sum::<f64>() / n;
            (x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n).sqrt()
        };
        for len in [0usize, 1, 7, 100] {
            let series: Vec<Vec<f64>> = (0..3)
                .map(|c| {
                    (0..len)
                        .map(|i| ((i * 37 + c * 11) % 23) as f64 * 0.173 - 1.9 + c as f64)
                        .collect()
                })
                .collect();
            let got = sd3([&series[0], &series[1], &series[2]]);
            for (g, s) in got.iter().zip(&series) {
                assert_eq!(g.to_bits(), sd(s).to_bits(), "len {len}");
            }
            let want: f64 = series.iter().map(|s| sd(s)).sum();
            assert_eq!((-0.0 + got[0] + got[1] + got[2]).to_bits(), want.to_bits());
        }
    }

    #[test]
    fn level_rotation_maps_gravity_to_z() {
        let g = [0.3f64, -0.2, 0.9];
        let n = (g[0] * g[0] + g[1] * g[1] + g[2] * g[2]).sqrt();
        let g = g.map(|v| v / n);
        let r = level_rotation(g);
        let z = r.dot(&Array1::from_vec(g.to_vec()));
        assert!((z[2] - 1.0).abs() < 1e-9 && z[0].abs() < 1e-9 && z[1].abs() < 1e-9);
    }
}
