//! Rotation into the horse frame: [`to_horse`] turns a resampled segment
//! into its horse-frame rows in place, and [`HorseAccel`] computes the same
//! values on demand for the first (heading) pass.

use ndarray::{Array1, Array2};

use super::{HorseSegment, Mount};
use crate::resample::Segment;

/// The horse-frame accelerations of a resampled segment, computed on
/// demand: the first (heading) pass only labels gaits, which reads each
/// sample a couple of times, so it does not store rotated copies. The values
/// are exactly [`to_horse`]'s.
#[derive(Debug, Clone, Copy)]
pub struct HorseAccel<'a> {
    x: &'a [f64],
    y: &'a [f64],
    z: &'a [f64],
    /// Gyro rows (empty when not contiguous or of another length).
    g: [&'a [f64]; 3],
    gyro_bias: [f64; 3],
    rot: [[f64; 3]; 3],
    gravity: f64,
}

impl<'a> HorseAccel<'a> {
    pub fn new(seg: &'a Segment, mount: &Mount) -> Self {
        let row = |c: usize| seg.acc.row(c).to_slice().unwrap_or_default();
        let (x, y, z) = (row(0), row(1), row(2));
        // Resampled segments are built contiguous; anything else is empty.
        let n = if x.len() == y.len() && y.len() == z.len() {
            x.len()
        } else {
            0
        };
        let grow = |c: usize| {
            let r = seg.gyro.row(c).to_slice().unwrap_or_default();
            if r.len() == n { r } else { &r[..0] }
        };
        HorseAccel {
            x: &x[..n],
            y: &y[..n],
            z: &z[..n],
            g: [grow(0), grow(1), grow(2)],
            gyro_bias: mount.gyro_bias,
            rot: std::array::from_fn(|i| std::array::from_fn(|j| mount.rot[[i, j]])),
            gravity: mount.gravity,
        }
    }

    pub fn len(&self) -> usize {
        self.x.len()
    }

    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    fn row(&self, r: usize, i: usize) -> f64 {
        let m = &self.rot[r];
        m[0] * self.x[i] + m[1] * self.y[i] + m[2] * self.z[i]
    }

    /// Vertical specific force minus gravity at sample `i`.
    pub fn vert(&self, i: usize) -> f64 {
        self.row(2, i) - self.gravity
    }

    /// Forward specific force at sample `i`.
    pub fn fwd(&self, i: usize) -> f64 {
        self.row(0, i)
    }

    /// Leftward specific force at sample `i`.
    pub fn lat(&self, i: usize) -> f64 {
        self.row(1, i)
    }

    /// Pair averages 0.5 · (s(2i) + s(2i + 1)) of [`Self::vert`],
    /// [`Self::lat`], [`Self::fwd`] and [`Self::roll`], i = 0..n/2, in one
    /// pass over the segment: the same arithmetic per sample as those
    /// functions (so the same values), with each sample's six channels read
    /// once instead of once per signal, and no bounds checks. The buffers
    /// come from [`crate::recycle`].
    pub fn pair_means(&self) -> [Vec<f64>; 4] {
        let half = self.len() / 2;
        let mut out: [Vec<f64>; 4] = std::array::from_fn(|_| crate::recycle::take(half));
        let [v, l, f, r] = &mut out;
        let (mv, ml, mf) = (&self.rot[2], &self.rot[1], &self.rot[0]);
        let g = self.gravity;
        let rows = self.x.chunks_exact(2).zip(self.y.chunks_exact(2));
        for ((((x, y), z), (v, l)), f) in rows
            .zip(self.z.chunks_exact(2))
            .zip(v.iter_mut().zip(l.iter_mut()))
            .zip(f.iter_mut())
        {
            let row = |m: &[f64; 3], k: usize| m[0] * x[k] + m[1] * y[k] + m[2] * z[k];
            *v = 0.5 * ((row(mv, 0) - g) + (row(mv, 1) - g));
            *l = 0.5 * (row(ml, 0) + row(ml, 1));
            *f = 0.5 * (row(mf, 0) + row(mf, 1));
        }
        let [gx, gy, gz] = self.g;
        if gx.len() == self.len() && gy.len() == self.len() && gz.len() == self.len() {
            let b = &self.gyro_bias;
            let rows = gx.chunks_exact(2).zip(gy.chunks_exact(2));
            for (((x, y), z), r) in rows.zip(gz.chunks_exact(2)).zip(r.iter_mut()) {
                let roll = |k: usize| {
                    mf[0] * (x[k] - b[0]) + mf[1] * (y[k] - b[1]) + mf[2] * (z[k] - b[2])
                };
                *r = 0.5 * (roll(0) + roll(1));
            }
        } else {
            // Roll is 0 without gyro rows (as `roll` returns).
            r.fill(0.0);
        }
        out
    }

    /// Roll rate (about the forward axis, deg/s, bias removed) at sample
    /// `i`; 0 when the segment's gyro rows are not available.
    pub fn roll(&self, i: usize) -> f64 {
        let ([gx, gy, gz], b, m) = (&self.g, &self.gyro_bias, &self.rot[0]);
        match (gx.get(i), gy.get(i), gz.get(i)) {
            (Some(x), Some(y), Some(z)) => {
                m[0] * (x - b[0]) + m[1] * (y - b[1]) + m[2] * (z - b[2])
            }
            _ => 0.0,
        }
    }
}

/// The three rows of a (3 × n) array as mutable slices (the array is made
/// contiguous first if it is not).
fn rows_mut(m: &mut Array2<f64>) -> [&mut [f64]; 3] {
    if !m.is_standard_layout() {
        *m = m.as_standard_layout().into_owned();
    }
    let n = m.ncols();
    let all = m.as_slice_mut().unwrap_or_default();
    let (x, rest) = all.split_at_mut(n);
    let (y, z) = rest.split_at_mut(n);
    [x, y, z]
}

/// Rotates a segment into the horse frame in place: the resampled sensor
/// rows become the horse-frame rows (each sample's outputs depend only on
/// that sample's inputs), so the only new buffer is the magnitude. The
/// arithmetic is the same as rotating into fresh arrays.
pub fn to_horse(seg: Segment, mount: &Mount) -> HorseSegment {
    let Segment {
        start_s,
        mut acc,
        mut gyro,
        holes,
    } = seg;
    let r = &mount.rot;
    let m = |i: usize, j: usize| r[[i, j]];
    let b = mount.gyro_bias;
    let [ax, ay, az] = rows_mut(&mut acc);
    let amag: Vec<f64> = ax
        .iter()
        .zip(ay.iter())
        .zip(az.iter())
        .map(|((x, y), z)| (x * x + y * y + z * z).sqrt())
        .collect();
    for ((x, y), z) in ax.iter_mut().zip(ay.iter_mut()).zip(az.iter_mut()) {
        let (sx, sy, sz) = (*x, *y, *z);
        *x = m(0, 0) * sx + m(0, 1) * sy + m(0, 2) * sz;
        *y = m(1, 0) * sx + m(1, 1) * sy + m(1, 2) * sz;
        *z = m(2, 0) * sx + m(2, 1) * sy + m(2, 2) * sz - mount.gravity;
    }
    let [gx, gy, gz] = rows_mut(&mut gyro);
    for ((x, y), z) in gx.iter_mut().zip(gy.iter_mut()).zip(gz.iter_mut()) {
        let (p, q, w) = (*x - b[0], *y - b[1], *z - b[2]);
        *x = m(0, 0) * p + m(0, 1) * q + m(0, 2) * w;
        *y = m(1, 0) * p + m(1, 1) * q + m(1, 2) * w;
        *z = m(2, 0) * p + m(2, 1) * q + m(2, 2) * w;
    }
    HorseSegment {
        start_s,
        acc,
        gyro,
        amag: Array1::from_vec(amag),
        holes,
    }
}

#[cfg(test)]
mod tests {
    use super::super::level_rotation;
    use super::*;

    /// The one-pass pair averages equal the per-sample signals' pair
    /// averages bit for bit (odd length: the last sample is left out).
    #[test]
    fn pair_means_match_per_sample_signals() {
        let n = 1001;
        let wave = |k: f64| {
            Array2::from_shape_fn((3, n), |(c, i)| {
                (0.37 * i as f64 + k * c as f64).sin() * (3.0 + c as f64)
            })
        };
        let seg = Segment {
            start_s: 0.0,
            acc: wave(1.0),
            gyro: wave(2.5),
            holes: Vec::new(),
        };
        let rot = level_rotation([0.3, -0.2, 0.93]);
        let mount = Mount {
            rot: rot.clone(),
            level: rot,
            gravity: 9.79,
            gyro_bias: [0.4, -1.1, 0.2],
            tilt_deg: 0.0,
            heading_deg: 0.0,
            heading_estimated: false,
        };
        let h = HorseAccel::new(&seg, &mount);
        let got = h.pair_means();
        let per_sample: [&dyn Fn(usize) -> f64; 4] =
            [&|i| h.vert(i), &|i| h.lat(i), &|i| h.fwd(i), &|i| h.roll(i)];
        for (got, x) in got.iter().zip(per_sample) {
            assert_eq!(got.len(), n / 2);
            for (i, g) in got.iter().enumerate() {
                let want = 0.5 * (x(2 * i) + x(2 * i + 1));
                assert_eq!(g.to_bits(), want.to_bits(), "sample {i}");
            }
        }
    }
}
