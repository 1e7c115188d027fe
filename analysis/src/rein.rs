//! Rein (turning direction) from the yaw rate about the vertical. A 10 m
//! circle at trot turns at about 20°/s and a walk circle at ~9°/s, while a
//! straight line wanders by a few °/s; the yaw rate is smoothed over 2 s and
//! a sample counts as turning beyond ±4°/s. Positive yaw = turning left.

use ndarray::ArrayView1;

use crate::report::ReinShare;

/// Yaw rate (deg/s) beyond which a sample counts as turning.
pub const TURN_THRESHOLD_DPS: f64 = 4.0;

/// Share of samples turning left, right or straight in `yaw_smooth`.
pub fn share(yaw_smooth: ArrayView1<f64>) -> ReinShare {
    let n = yaw_smooth.len();
    if n == 0 {
        return ReinShare {
            left: 0.0,
            right: 0.0,
            straight: 1.0,
        };
    }
    let left = yaw_smooth
        .iter()
        .filter(|&&y| y > TURN_THRESHOLD_DPS)
        .count();
    let right = yaw_smooth
        .iter()
        .filter(|&&y| y < -TURN_THRESHOLD_DPS)
        .count();
    let n = n as f64;
    ReinShare {
        left: left as f64 / n,
        right: right as f64 / n,
        straight: (n - left as f64 - right as f64) / n,
    }
}
