//! Jump detection from the magnitude of the specific force, which does not
//! depend on the mount: in a ballistic flight the accelerometer reads ≈ 0 g
//! (apart from the small centripetal term of the trunk's pitch rotation),
//! between a take-off push and a hard landing. Normal canter suspension dips
//! toward 0 g for well under 0.2 s, so a flight must last 0.2–1.0 s below
//! 0.4 g, follow a push of ≥ 1.3 g and precede an impact of ≥ 1.8 g.
//!
//! Flight time: the ground-reaction force ramps down at take-off and up at
//! landing, so a fixed threshold would shorten or lengthen the flight by the
//! ramp. Each edge is located where the straight line through its crossings
//! of (baseline + 0.25 g) and (baseline + 0.6 g) reaches the in-flight
//! baseline, i.e. where the ground-reaction force vanishes.

use ndarray::ArrayView1;

use crate::filter::{median, sub};
use crate::resample::FS;

const G: f64 = 9.80665;

/// A flight found in one segment (times as fractional sample indexes).
#[derive(Debug, Clone, Copy)]
pub struct Flight {
    pub takeoff: f64,
    pub landing: f64,
}

/// Time (fractional index) where `a` crosses `level` between `i` and `i+1`.
fn cross(a: ArrayView1<f64>, i: usize, level: f64) -> f64 {
    let (x0, x1) = (a[i], a[i + 1]);
    if (x1 - x0).abs() < 1e-12 {
        i as f64
    } else {
        i as f64 + ((level - x0) / (x1 - x0)).clamp(0.0, 1.0)
    }
}

/// Falling edge before `start` (first sample below the low level).
fn falling_edge(a: ArrayView1<f64>, start: usize, base: f64) -> Option<f64> {
    let (l1, l2) = (base + 0.25 * G, base + 0.6 * G);
    let lim = start.saturating_sub((0.3 * FS) as usize);
    let mut i = start;
    while i > lim && a[i - 1] < l1 {
        i -= 1;
    }
    if i == 0 || a[i - 1] < l1 {
        return None;
    }
    let t1 = cross(a, i - 1, l1);
    let mut j = i - 1;
    while j > lim && a[j] < l2 {
        j -= 1;
    }
    if a[j] < l2 || j + 1 >= a.len() {
        return Some(t1);
    }
    let t2 = cross(a, j, l2);
    let ext = t1 + (t1 - t2) * 0.25 / 0.35;
    Some(if (ext - t1).abs() <= 0.05 * FS {
        ext
    } else {
        t1
    })
}

/// Rising edge after `end` (first sample back above the low level).
fn rising_edge(a: ArrayView1<f64>, end: usize, base: f64) -> Option<f64> {
    let (l1, l2) = (base + 0.25 * G, base + 0.6 * G);
    let n = a.len();
    let lim = (end + (0.3 * FS) as usize).min(n - 1);
    let mut i = end;
    while i < lim && a[i] < l1 {
        i += 1;
    }
    if i == 0 || a[i] < l1 {
        return None;
    }
    let t1 = cross(a, i - 1, l1);
    let mut j = i;
    while j < lim && a[j] < l2 {
        j += 1;
    }
    if a[j] < l2 || j == 0 {
        return Some(t1);
    }
    let t2 = cross(a, j - 1, l2);
    let ext = t1 - (t2 - t1) * 0.25 / 0.35;
    Some(if (t1 - ext).abs() <= 0.05 * FS {
        ext
    } else {
        t1
    })
}

/// All flights in a segment's specific-force magnitude.
pub fn detect(amag: ArrayView1<f64>) -> Vec<Flight> {
    let n = amag.len();
    let low = 0.4 * G;
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        if amag[i] >= low {
            i += 1;
            continue;
        }
        // Run below `low`, bridging single-sample spikes.
        let start = i;
        let mut end = i;
        while end + 1 < n && (amag[end + 1] < low || (end + 2 < n && amag[end + 2] < low)) {
            end += 1;
        }
        i = end + 1;
        let dur = (end + 1 - start) as f64 / FS;
        if !(0.16..=1.0).contains(&dur) || start == 0 || end + 1 >= n {
            continue;
        }
        let w = (0.4 * FS) as usize;
        let push = sub(amag, start.saturating_sub(w), start).fold(0.0f64, |m, v| m.max(*v));
        let impact = sub(amag, end + 1, (end + 1 + w).min(n)).fold(0.0f64, |m, v| m.max(*v));
        if push < 1.3 * G || impact < 1.8 * G {
            continue;
        }
        let inside: Vec<f64> = sub(amag, start, end + 1).to_vec();
        let base = median(&inside).min(0.3 * G);
        let (Some(takeoff), Some(landing)) = (
            falling_edge(amag, start, base),
            rising_edge(amag, end + 1, base),
        ) else {
            continue;
        };
        let flight = (landing - takeoff) / FS;
        if (0.2..=1.0).contains(&flight) {
            out.push(Flight { takeoff, landing });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array1;

    /// 1 g, a 0.3-s push to 2.2 g ramping to 0, a 0.45-s flight at 0.1 g, a
    /// 0.25-s landing to 3.5 g, then 1 g.
    fn profile(flight: f64) -> Array1<f64> {
        let f = |t: f64| -> f64 {
            let pi = std::f64::consts::PI;
            if t < 1.0 {
                G
            } else if t < 1.3 {
                let u = pi * (t - 1.0) / 0.3;
                if t < 1.15 {
                    G + 1.2 * G * u.sin()
                } else {
                    2.2 * G * u.sin()
                }
            } else if t < 1.3 + flight {
                0.1 * G
            } else if t < 1.55 + flight {
                let u = pi * (t - 1.3 - flight) / 0.25;
                if u < pi / 2.0 {
                    3.5 * G * u.sin()
                } else {
                    G + 2.5 * G * u.sin()
                }
            } else {
                G
            }
        };
        Array1::from_shape_fn(200, |i| f(i as f64 / FS))
    }

    #[test]
    fn finds_flight_and_its_duration() {
        for flight in [0.3, 0.45, 0.6] {
            let found = detect(profile(flight).view());
            assert_eq!(found.len(), 1, "flight {flight}");
            let measured = (found[0].landing - found[0].takeoff) / FS;
            assert!((measured - flight).abs() < 0.02, "{measured} vs {flight}");
        }
    }

    #[test]
    fn short_suspension_is_not_a_jump() {
        let a = Array1::from_shape_fn(500, |i| {
            let t = i as f64 / FS;
            G * (1.0 - 0.95 * (2.0 * std::f64::consts::PI * 1.7 * t).cos())
        });
        assert!(detect(a.view()).is_empty());
    }
}
