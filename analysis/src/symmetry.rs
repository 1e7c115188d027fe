//! Trot symmetry: MinDiff and MaxDiff of the trunk's vertical displacement
//! between the two diagonals, on straight trot bouts of at least 5 s.
//!
//! *Telling the diagonals apart.* At trot the trunk sways once per stride
//! toward the side of the supporting forelimb: it is furthest left during the
//! left-fore/right-hind (LF) stance. The lateral acceleration band-passed at
//! the stride frequency is −ω²·(lateral displacement), so its upward zero
//! crossing marks a quarter stride after the LF mid-stance. The strides are
//! cut on the grid of vertical beats (the vertical acceleration band-passed
//! at twice the stride frequency, one upward crossing per diagonal — the
//! trot's strongest timing) at the phase of the lateral sway over the
//! stretch, which pins the LF stance at phase 0 and the RF stance at phase
//! π. That phase is the stride-frequency Fourier coefficient of the lateral
//! acceleration over every two-beat window ([`lateral_phase`]): exactly
//! orthogonal to the beat frequency, so the fore-aft beat oscillation that
//! lateral work turns into the lateral axis cannot move it, and no single
//! stride decides it. Without a common phase, the circular mean of the
//! band-passed lateral crossings on the grid ([`stride_starts`]), then the
//! crossings themselves are used.
//!
//! *Displacement.* The vertical is first re-levelled on the stretch (the
//! direction of its mean specific force, [`level`]): the session-wide mount
//! estimate is off by up to ~2° on a given stretch, and a tilt about the
//! fore-aft axis mixes the lateral sway — a first harmonic of the stride,
//! like the asymmetry — into the vertical. Each stride's vertical
//! acceleration is decomposed into 6 harmonics of that stride's own period
//! and divided by −(kω)² — double integration with the per-stride drift (the
//! 0th harmonic) removed. Strides over an interpolated hole of the
//! recording (over 0.1 s) are left out: a straight line across a trot beat
//! is metres per second² off, millimetres after integration. The complex
//! coefficients are averaged over strides.
//!
//! MinDiff = lowest point around the LF stance − lowest point around the RF
//! stance; MaxDiff = highest point after the LF push-off − highest point after
//! the RF push-off (mm). The minima are searched in ±90° around each stance,
//! so a phase error of the lateral reference smaller than that changes
//! nothing.

use ndarray::{Array1, ArrayView1};
use std::f64::consts::PI;

use crate::filter::{bandpass_n, up_crossings};
use crate::report::Symmetry;
use crate::resample::FS;
use crate::stride::{Profile, displacement_profile_clear};

mod extremes;
use extremes::HARMONICS;
pub use extremes::{diffs, figures, profile_diffs};

/// Shortest bout scored.
pub const MIN_BOUT_S: f64 = 5.0;

/// Stride boundaries at the lateral reference's mean phase on the grid of
/// vertical beats. The beats (two per stride, one per diagonal) are the
/// trot's strongest, steadiest timing; the lateral sway only has to say
/// which of the two alternations of beats is the LF diagonal, and at what
/// phase its crossings sit — a circular mean over the whole stretch, so a
/// noisy crossing no longer misplaces its own stride. `None` when there
/// are too few beats or crossings, or the crossings have no common phase.
fn stride_starts(beats: &[f64], crossings: &[f64]) -> Option<Vec<f64>> {
    if beats.len() < 6 || crossings.len() < 3 {
        return None;
    }
    // Position of a time in beat units (k + fraction between beats k, k+1).
    let position = |t: f64| -> Option<f64> {
        let k = beats.partition_point(|&b| b <= t).checked_sub(1)?;
        let (b0, b1) = (beats[k], *beats.get(k + 1)?);
        Some(k as f64 + (t - b0) / (b1 - b0))
    };
    let (mut c, mut s) = (0.0, 0.0);
    for u in crossings.iter().filter_map(|&t| position(t)) {
        let a = PI * u; // one stride = two beats = 2π
        c += a.cos();
        s += a.sin();
    }
    let n = crossings.len() as f64;
    if (c * c + s * s).sqrt() < 0.5 * n {
        return None;
    }
    let psi = s.atan2(c).rem_euclid(2.0 * PI) / PI; // in beats, 0..2
    grid_at(beats, psi)
}

/// Phase (in beats, 0..2) of the first upward crossing of the lateral sway
/// after an even beat, from the stride-frequency Fourier coefficient of the
/// lateral acceleration over every two-beat window of the grid. A window of
/// exactly one stride makes that coefficient orthogonal to everything at the
/// beat frequency and its harmonics (the fore-aft beat oscillation that
/// lateral work turns into the lateral axis, residual vertical), which can
/// add zero crossings to a band-passed signal. Consecutive windows start
/// half a stride apart, so their coefficients alternate in sign. `None`
/// when the windows' phases do not agree (resultant under half their
/// summed magnitude) or there are too few of them.
fn lateral_phase(lat: ArrayView1<f64>, beats: &[f64], stride_hz: f64) -> Option<f64> {
    const N: usize = LATERAL_POINTS;
    let (lo, hi) = (0.7 * FS / stride_hz, 1.4 * FS / stride_hz);
    let n = lat.len();
    let (mut re, mut im, mut mag, mut windows) = (0.0, 0.0, 0.0, 0usize);
    for (k, w) in beats.windows(3).enumerate() {
        let (a, b) = (w[0], w[2]);
        if !(lo..=hi).contains(&(b - a)) || a < 0.0 || b.ceil() as usize >= n {
            continue;
        }
        let (mut cr, mut ci) = (0.0, 0.0);
        for (j, (sn, cs)) in unit_circle().iter().enumerate() {
            let t = a + (b - a) * j as f64 / N as f64;
            let i = t as usize;
            let f = t - i as f64;
            let v = lat[i] + f * (lat[(i + 1).min(n - 1)] - lat[i]);
            cr += v * cs;
            ci -= v * sn;
        }
        let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
        re += sign * cr;
        im += sign * ci;
        mag += (cr * cr + ci * ci).sqrt();
        windows += 1;
    }
    if windows < 4 || (re * re + im * im).sqrt() < 0.5 * mag {
        return None;
    }
    // lat ∝ cos(π(u − u0)) in beat units u: the coefficient of the window
    // starting at beat k is ∝ e^{−iπ(u0 − k)}, so the alternating sum is
    // ∝ e^{−iπ u0}; the upward crossing is a quarter stride (half a beat)
    // before the sway's peak u0.
    let u0 = -im.atan2(re) / PI;
    Some((u0 - 0.5).rem_euclid(2.0))
}

/// Phase points per two-beat window of [`lateral_phase`]: 32 resolve the
/// stride harmonic of a linearly interpolated 50-Hz signal (the 31st and
/// 33rd harmonics that alias onto it carry nothing).
const LATERAL_POINTS: usize = 32;

/// sin and cos of 2πj/N, j = 0..N ([`LATERAL_POINTS`]), computed once.
fn unit_circle() -> &'static [(f64, f64); LATERAL_POINTS] {
    static TABLE: std::sync::OnceLock<[(f64, f64); LATERAL_POINTS]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        std::array::from_fn(|j| (2.0 * PI * j as f64 / LATERAL_POINTS as f64).sin_cos())
    })
}

/// Stride boundaries every two beats from phase `psi` (beats, 0..2) on.
fn grid_at(beats: &[f64], psi: f64) -> Option<Vec<f64>> {
    let starts: Vec<f64> = (0..)
        .map(|m| 2.0 * m as f64 + psi)
        .take_while(|&u| u < (beats.len() - 1) as f64)
        .map(|u| {
            let k = u as usize;
            beats[k] + (u - k as f64) * (beats[k + 1] - beats[k])
        })
        .collect();
    (starts.len() >= 5).then_some(starts)
}

/// MinDiff/MaxDiff of one stretch, in metres, with 95 % half-widths.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured {
    pub min_diff: f64,
    pub max_diff: f64,
    pub range: f64,
    pub cycles: u32,
    /// From a grouped jackknife over the stretch's strides (≥ 3 groups).
    pub min_ci: Option<f64>,
    pub max_ci: Option<f64>,
}

/// Standard gravity (m/s²): the vertical rows carry the specific force
/// minus the mount's gravity estimate, which is close to it.
const G: f64 = 9.80665;

/// The vertical specific force minus gravity along the stretch's own
/// vertical: the direction of its mean specific force. On a straight line
/// at a steady trot the trunk's mean acceleration is nil, so that mean is
/// gravity, whatever the session-wide mount estimate (tilted by the turns,
/// the lean into them and the other gaits of the session) or a steady lean
/// of the trunk on this stretch. A tilt of ε about the fore-aft axis adds
/// ε × the lateral sway — a first harmonic of the stride, like the
/// asymmetry itself — to the vertical: 1° of tilt on a 2 m/s² sway is
/// about 0.5 mm of MinDiff.
fn level(
    vert: ArrayView1<f64>,
    lat: ArrayView1<f64>,
    fwd: ArrayView1<f64>,
    strides: impl Iterator<Item = (f64, f64)>,
) -> Array1<f64> {
    let (mut n, mut sums) = (0usize, [0.0f64; 3]);
    for (a, b) in strides {
        let (i0, i1) = (
            (a.ceil() as usize).min(vert.len()),
            (b.ceil() as usize).min(vert.len()),
        );
        for i in i0..i1 {
            sums[0] += vert[i];
            sums[1] += lat[i];
            sums[2] += fwd[i];
        }
        n += i1 - i0;
    }
    let n = n.max(1) as f64;
    let (mz, my, mx) = (sums[0] / n + G, sums[1] / n, sums[2] / n);
    let norm = (mz * mz + my * my + mx * mx).sqrt();
    if norm <= 0.0 {
        return vert.to_owned();
    }
    ndarray::Zip::from(&vert)
        .and(&lat)
        .and(&fwd)
        .map_collect(|&v, &l, &f| ((v + G) * mz + l * my + f * mx) / norm - G)
}

/// Largest number of jackknife groups.
const GROUPS: usize = 10;

/// Measures one straight trot stretch (horse-frame signals of the stretch).
///
/// The strides are cut into up to 10 consecutive groups; the mean profile is
/// the stride-weighted mean of the groups' profiles (the harmonic
/// coefficients are averages, so this equals one pass over all strides), and
/// leaving one group out at a time gives the jackknife standard error of
/// MinDiff and MaxDiff — a confidence interval that widens with few or
/// inconsistent strides.
pub fn measure(
    vert: ArrayView1<f64>,
    lat: ArrayView1<f64>,
    fwd: ArrayView1<f64>,
    stride_hz: f64,
    holes: &[(f64, f64)],
) -> Option<Measured> {
    if stride_hz <= 0.0 || (vert.len() as f64) < MIN_BOUT_S * FS {
        return None;
    }
    // The stride-frequency lateral sway and the beat-frequency vertical
    // motion, filtered side by side.
    let [lat_bp, vert_bp] = bandpass_n([lat, vert], [stride_hz, 2.0 * stride_hz], 1.5, FS);
    let margin = 0.3 * FS;
    let len = vert.len() as f64;
    let crossings: Vec<f64> = up_crossings(ArrayView1::from(&lat_bp))
        .into_iter()
        .filter(|&c| c >= margin && c <= len - margin)
        .collect();
    let beats = crate::stride::merge_close(
        up_crossings(ArrayView1::from(&vert_bp))
            .into_iter()
            .filter(|&c| c >= margin && c <= len - margin),
        0.3 * FS / stride_hz,
    );
    let events = lateral_phase(lat, &beats, stride_hz)
        .and_then(|psi| grid_at(&beats, psi))
        .or_else(|| stride_starts(&beats, &crossings))
        .unwrap_or(crossings);
    if events.len() < 5 {
        return None;
    }
    // The band-passes ring across a hole: the beats and lateral phase of
    // its neighbours are off too, so a hole rules out a beat either side.
    let reach = FS / (2.0 * stride_hz);
    let holes: Vec<(f64, f64)> = holes.iter().map(|&(a, b)| (a - reach, b + reach)).collect();
    let holes = &holes[..];
    let (min_s, max_s) = (0.7 / stride_hz, 1.4 / stride_hz);
    let strides = events.windows(2).map(|w| (w[0], w[1])).filter(|&(a, b)| {
        (min_s..=max_s).contains(&((b - a) / FS))
            && a >= 0.0
            && b < len - 1.0
            && !holes.iter().any(|&(h0, h1)| h0 < b && h1 > a)
    });
    let levelled = level(vert, lat, fwd, strides);
    let vert = levelled.view();
    let windows = events.len() - 1;
    let groups = (windows / 2).clamp(1, GROUPS);
    let parts: Vec<Profile> = (0..groups)
        .filter_map(|g| {
            let (a, b) = (g * windows / groups, (g + 1) * windows / groups);
            displacement_profile_clear(
                vert,
                &events[a..=b],
                (min_s, max_s),
                HARMONICS,
                PI / 2.0,
                holes,
            )
        })
        .collect();
    let cycles: u32 = parts.iter().map(|p| p.cycles).sum();
    if cycles < 4 {
        return None;
    }
    let harmonics = parts[0].coeffs.len();
    let mut total = vec![(0.0, 0.0); harmonics];
    for p in &parts {
        for (t, c) in total.iter_mut().zip(&p.coeffs) {
            t.0 += c.0 * f64::from(p.cycles);
            t.1 += c.1 * f64::from(p.cycles);
        }
    }
    let mean_of = |sum: &[(f64, f64)], n: f64| Profile {
        coeffs: sum.iter().map(|c| (c.0 / n, c.1 / n)).collect(),
        cycles: n as u32,
    };
    let mean = mean_of(&total, f64::from(cycles));
    let (mn, mx, range) = profile_diffs(&mean);
    let (mut min_ci, mut max_ci) = (None, None);
    if parts.len() >= 3 {
        let loo: Vec<(f64, f64)> = parts
            .iter()
            .filter(|p| p.cycles < cycles)
            .map(|p| {
                let rest: Vec<(f64, f64)> = total
                    .iter()
                    .zip(&p.coeffs)
                    .map(|(t, c)| {
                        (
                            t.0 - c.0 * f64::from(p.cycles),
                            t.1 - c.1 * f64::from(p.cycles),
                        )
                    })
                    .collect();
                let prof = mean_of(&rest, f64::from(cycles - p.cycles));
                let (a, b, _) = profile_diffs(&prof);
                (a, b)
            })
            .collect();
        let g = loo.len() as f64;
        let half = |f: &dyn Fn(&(f64, f64)) -> f64| {
            let m = loo.iter().map(f).sum::<f64>() / g;
            let var = (g - 1.0) / g * loo.iter().map(|x| (f(x) - m).powi(2)).sum::<f64>();
            trend::stats::t975(loo.len() - 1) * var.sqrt()
        };
        min_ci = Some(half(&|x| x.0));
        max_ci = Some(half(&|x| x.1));
    }
    Some(Measured {
        min_diff: mn,
        max_diff: mx,
        range,
        cycles,
        min_ci,
        max_ci,
    })
}

/// Symmetry of one straight trot stretch (horse-frame signals of the stretch).
pub fn analyse(
    vert: ArrayView1<f64>,
    lat: ArrayView1<f64>,
    fwd: ArrayView1<f64>,
    stride_hz: f64,
) -> Option<Symmetry> {
    let m = measure(vert, lat, fwd, stride_hz, &[])?;
    Some(figures(m.min_diff, m.max_diff, m.range, m.cycles))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array1;

    /// Noisy lateral crossings 0.4 beat after the even beats: the strides
    /// start 0.4 beat after every even beat; crossings without a common
    /// phase give no grid.
    #[test]
    fn stride_starts_follow_the_beats_at_the_lateral_phase() {
        let beats: Vec<f64> = (0..20).map(|k| 25.0 * k as f64).collect();
        let jitter = [3.0, -4.0, 2.0, -1.0, 4.0, -3.0, 0.0, 1.0];
        let crossings: Vec<f64> = (0..8).map(|j| 50.0 * j as f64 + 10.0 + jitter[j]).collect();
        let starts = stride_starts(&beats, &crossings).expect("grid");
        assert_eq!(starts.len(), 10);
        for (j, t) in starts.iter().enumerate() {
            assert!((t - (50.0 * j as f64 + 10.0)).abs() < 0.5, "{starts:?}");
        }
        let scattered: Vec<f64> = (0..8).map(|j| 50.0 * j as f64 + 12.5 * j as f64).collect();
        assert!(stride_starts(&beats, &scattered).is_none());
    }

    /// A trot stretch at 50 Hz: z = −A cos 2θ + B cos θ + C sin θ (θ = 0 at
    /// the LF stance, so MinDiff = 2B, MaxDiff = 2C), lateral sway toward
    /// the stance forelimb, a fore-aft beat oscillation leaking into the
    /// lateral axis (lateral work), and the sensor tilted by `tilt` rad
    /// about the fore-aft axis. Returns (vert − g, lat, fwd).
    fn trot(b: f64, c: f64, tilt: f64, secs: f64) -> [Array1<f64>; 3] {
        let (f, a, l) = (1.4, 0.03, 0.03);
        let w = 2.0 * PI * f;
        let n = (secs * FS) as usize;
        // (fwd, lat, vert + g) in the trunk frame at sample i.
        let force = |i: usize| {
            let th = w * i as f64 / FS + 0.3;
            let az = w * w * (4.0 * a * (2.0 * th).cos() - b * th.cos() - c * th.sin());
            let ay = -l * w * w * th.cos() + 2.0 * (2.0 * th + 0.7).cos();
            let ax = 3.0 * (2.0 * th + 1.9).cos();
            (ax, ay, az + G)
        };
        let (st, ct) = tilt.sin_cos();
        [
            Array1::from_shape_fn(n, |i| {
                let (_, y, z) = force(i);
                -y * st + z * ct - G
            }),
            Array1::from_shape_fn(n, |i| {
                let (_, y, z) = force(i);
                y * ct + z * st
            }),
            Array1::from_shape_fn(n, |i| force(i).0),
        ]
    }

    /// Linear interpolation over samples `a..b` (a hole of the recording).
    fn hole(x: &mut Array1<f64>, a: usize, b: usize) {
        let (xa, xb) = (x[a - 1], x[b]);
        for i in a..b {
            x[i] = xa + (xb - xa) * (i + 1 - a) as f64 / (b + 1 - a) as f64;
        }
    }

    /// MinDiff/MaxDiff are recovered from 0 to 15 mm with a 2° mount tilt
    /// and lateral work, and a 0.3-s interpolated hole is left out.
    #[test]
    fn tilt_lateral_work_and_holes_do_not_bias_the_diffs() {
        for (b, c) in [
            (0.0, 0.0),
            (0.002, -0.001),
            (-0.005, 0.003),
            (0.0075, 0.006),
            (-0.0075, -0.0075),
        ] {
            let [mut v, mut l, mut f] = trot(b, c, 2f64.to_radians(), 20.0);
            for x in [&mut v, &mut l, &mut f] {
                hole(x, 400, 415);
            }
            let holes = [(399.0, 415.0)];
            let m = measure(v.view(), l.view(), f.view(), 1.4, &holes).expect("measured");
            assert!(
                (m.min_diff - 2.0 * b).abs() < 3e-4 && (m.max_diff - 2.0 * c).abs() < 3e-4,
                "{m:?} vs {} / {}",
                2.0 * b,
                2.0 * c
            );
            // The same stretch without the hole excluded is visibly off.
            let with_hole = measure(v.view(), l.view(), f.view(), 1.4, &[]).expect("measured");
            assert!(
                (with_hole.min_diff - 2.0 * b)
                    .abs()
                    .max((with_hole.max_diff - 2.0 * c).abs())
                    > 1e-3,
                "{with_hole:?}"
            );
        }
    }

    /// A 2° tilt alone moves MinDiff by ~1 mm unless the stretch is
    /// re-levelled.
    #[test]
    fn levelling_removes_the_tilt() {
        let [v, l, f] = trot(0.003, 0.0, 2f64.to_radians(), 20.0);
        let m = measure(v.view(), l.view(), f.view(), 1.4, &[]).expect("measured");
        assert!((m.min_diff - 0.006).abs() < 2e-4, "{m:?}");
        let n = v.len() as f64 - 1.0;
        let lv = level(v.view(), l.view(), f.view(), std::iter::once((0.0, n)));
        let l0 = l.sum() / l.len() as f64;
        assert!(l0.abs() > 0.3, "the tilt shows in the lateral mean: {l0}");
        // Levelled vertical: the lateral sway no longer leaks in.
        let [v0, _, _] = trot(0.003, 0.0, 0.0, 20.0);
        let err = (&lv - &v0).mapv(f64::abs).fold(0.0f64, |m, &x| m.max(x));
        assert!(err < 0.05, "{err}");
    }
}
