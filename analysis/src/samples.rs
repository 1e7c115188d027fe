//! [`Samples`]: borrowed column slices of one recording, so that callers
//! holding the columns elsewhere (a numpy array in Fortran order, the
//! columns of a DataFrame) are analysed without a copy.

use shared::sensor::Recording;

/// One session's samples as borrowed columns: the same content as a
/// [`Recording`], without owning it. Every column must have the length of
/// `t` (checked by [`crate::analyze_samples`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Samples<'a> {
    /// Nominal sample rate in Hz (metadata: the analysis works from `t`).
    pub sample_rate_hz: f64,
    /// Seconds from the session start, strictly increasing (gaps allowed).
    pub t: &'a [f64],
    /// Specific force in m/s² along x, y, z of the sensor frame.
    pub acc: [&'a [f64]; 3],
    /// Angular rate in deg/s about x, y, z of the sensor frame.
    pub gyro: [&'a [f64]; 3],
}

impl<'a> Samples<'a> {
    /// Number of samples (the length of `t`).
    pub fn len(&self) -> usize {
        self.t.len()
    }

    /// True when there is no sample at all.
    pub fn is_empty(&self) -> bool {
        self.t.is_empty()
    }

    /// Time from the first to the last sample, in seconds (0 when empty).
    pub fn duration_s(&self) -> f64 {
        match (self.t.first(), self.t.last()) {
            (Some(a), Some(b)) => b - a,
            _ => 0.0,
        }
    }
}

impl<'a> From<&'a Recording> for Samples<'a> {
    fn from(rec: &'a Recording) -> Self {
        let [ax, ay, az] = &rec.acc;
        let [gx, gy, gz] = &rec.gyro;
        Samples {
            sample_rate_hz: rec.sample_rate_hz,
            t: &rec.t,
            acc: [ax, ay, az],
            gyro: [gx, gy, gz],
        }
    }
}
