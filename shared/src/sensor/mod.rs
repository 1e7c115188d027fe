//! The sensor data contract: what a girth IMU session looks like once decoded,
//! and the upload formats (CSV, JSON, compact binary; each optionally gzip).
//!
//! Sensor frame: x toward the horse's head, y toward its left, z up when the
//! horse stands square; the mount may be tilted up to about 25° in any axis.
//! Accelerometer: specific force in m/s² (≈ +9.81 on the up axis at rest).
//! Gyroscope: deg/s, right-handed (positive z = turning left).

/// Lowest accepted nominal sample rate (Hz).
pub const MIN_SAMPLE_RATE_HZ: f64 = 25.0;
/// Highest accepted nominal sample rate (Hz).
pub const MAX_SAMPLE_RATE_HZ: f64 = 400.0;
/// Longest accepted session (seconds): 4 hours.
pub const MAX_DURATION_S: f64 = 4.0 * 3600.0;

/// Decoded IMU samples, stored column by column so that the analysis can
/// view each axis as a contiguous signal without copying.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Recording {
    /// Nominal sample rate in Hz: the binary header's value, or the one
    /// estimated from the median time step for CSV and JSON.
    pub sample_rate_hz: f64,
    /// Seconds from the session start, strictly increasing (gaps allowed).
    pub t: Vec<f64>,
    /// Specific force in m/s² along x, y, z of the sensor frame.
    pub acc: [Vec<f64>; 3],
    /// Angular rate in deg/s about x, y, z of the sensor frame.
    pub gyro: [Vec<f64>; 3],
}

impl Recording {
    /// Number of samples.
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
