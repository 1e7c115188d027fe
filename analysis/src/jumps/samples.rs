//! The samples the edges are placed on: the recording's own samples around a
//! flight ([`RawWindow`], [`raw_window`]) or the 50 Hz grid, seen through
//! [`Series`], and the linear crossing of a level between two of them.

use shared::sensor::Recording;

use crate::resample::FS;
use crate::samples::Samples;

/// The recording's own samples around a flight: |specific force| (m/s²)
/// and times in grid units (fractional indexes of the segment's 50 Hz grid).
#[derive(Debug, Clone, Default)]
pub struct RawWindow {
    pub t: Vec<f64>,
    pub a: Vec<f64>,
    /// Input faster than 2 × [`FS`]: box averaged onto the grid, which
    /// resolves the edges and keeps the noise down; only the bottom of a
    /// stance ramp (a dip under the in-flight baseline) is looked for on
    /// these samples.
    pub dense: bool,
}

/// The recording's samples whose grid positions (in the segment starting
/// `start_s` after the first sample) lie in `lo..=hi`, when resampling
/// interpolated them (input at most 2 × [`FS`]: every input sample is a
/// sample of the force; the grid's linear interpolation between two of them
/// cuts the corner where a stance meets the flight). Faster input is box
/// averaged onto the grid, which already resolves the edges and keeps the
/// noise down: the window is then marked [`RawWindow::dense`] and the grid
/// places the edges, the window only the bottom of a stance's ramp.
pub fn raw_window(rec: &Recording, start_s: f64, lo: f64, hi: f64) -> Option<RawWindow> {
    raw_window_samples(&Samples::from(rec), start_s, lo, hi)
}

/// [`raw_window`] on borrowed columns.
pub fn raw_window_samples(rec: &Samples<'_>, start_s: f64, lo: f64, hi: f64) -> Option<RawWindow> {
    let t0 = *rec.t.first()?;
    let at = |g: f64| t0 + start_s + g / FS;
    let a = rec.t.partition_point(|&t| t < at(lo));
    let b = rec.t.partition_point(|&t| t <= at(hi));
    if b < a + 3 {
        return None;
    }
    let mut dts: Vec<f64> = rec.t[a..b].windows(2).map(|w| w[1] - w[0]).collect();
    let mid = dts.len() / 2;
    let (_, &mut dt, _) = dts.select_nth_unstable_by(mid, f64::total_cmp);
    let [x, y, z] = &rec.acc;
    Some(RawWindow {
        t: rec.t[a..b]
            .iter()
            .map(|&t| (t - t0 - start_s) * FS)
            .collect(),
        a: (a..b)
            .map(|k| (x[k] * x[k] + y[k] * y[k] + z[k] * z[k]).sqrt())
            .collect(),
        dense: dt < 0.5 / FS,
    })
}

/// Samples of |specific force| with their times in grid units: the grid
/// itself (time = index) or a [`RawWindow`].
#[derive(Clone, Copy)]
pub(super) struct Series<'a> {
    pub(super) t: Option<&'a [f64]>,
    pub(super) a: &'a [f64],
}

impl Series<'_> {
    pub(super) fn len(&self) -> usize {
        self.a.len()
    }

    pub(super) fn t(&self, i: usize) -> f64 {
        self.t.map_or(i as f64, |t| t[i])
    }

    /// First index whose time is at or after `x` (`len` if none).
    pub(super) fn at(&self, x: f64) -> usize {
        match self.t {
            Some(t) => t.partition_point(|&v| v < x),
            None => (x.max(0.0).ceil() as usize).min(self.len()),
        }
    }

    /// Last index whose time is at or before `x` (0 if none).
    pub(super) fn upto(&self, x: f64) -> usize {
        match self.t {
            Some(t) => t.partition_point(|&v| v <= x).saturating_sub(1),
            None => (x.max(0.0).floor() as usize).min(self.len() - 1),
        }
    }
}

/// Time where `s` crosses `level` between `i` and `i+1` (linear).
pub(super) fn cross(s: Series, i: usize, level: f64) -> f64 {
    let (x0, x1) = (s.a[i], s.a[i + 1]);
    let (t0, t1) = (s.t(i), s.t(i + 1));
    if (x1 - x0).abs() < 1e-12 {
        t0
    } else {
        t0 + ((level - x0) / (x1 - x0)).clamp(0.0, 1.0) * (t1 - t0)
    }
}
