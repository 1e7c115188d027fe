//! Canter and gallop lead from the phase of the trunk's lateral sway and roll
//! relative to its vertical oscillation.
//!
//! At the stride frequency the vertical acceleration v(t) and its quadrature
//! v'(t)/ω form a phase reference. On the left lead the lateral (leftward)
//! acceleration follows the quadrature component and the roll rate follows
//! v itself; on the right lead both are mirrored (sign flipped). Each
//! correlation is normalised. The two cues must agree: the lead is decided
//! only when both point the same way, with a confidence equal to the weaker
//! of the two; when they disagree, or the weaker is below
//! [`MIN_CONFIDENCE`], the answer is `unknown` — a horse whose trunk moves
//! differently from this model gets no guess.
//! Because both signals are band-passed with the same zero-phase filter, the
//! stride-to-stride jitter moves them together and does not blur the phase.

use ndarray::ArrayView1;

use crate::filter::bandpass;
use crate::report::Lead;
use crate::resample::FS;

fn ncorr(a: &[f64], b: &[f64]) -> f64 {
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    let d = (aa * bb).sqrt();
    if d > 1e-12 { ab / d } else { 0.0 }
}

/// Weakest agreeing cue (normalised correlation) that decides a lead.
pub const MIN_CONFIDENCE: f64 = 0.3;

/// Lead of a canter/gallop stretch (possibly `Unknown`), with a confidence
/// in 0–1.
pub fn lead(
    vert: ArrayView1<f64>,
    lat: ArrayView1<f64>,
    roll: ArrayView1<f64>,
    stride_hz: f64,
) -> Option<(Lead, f64)> {
    if stride_hz <= 0.0 || vert.len() < (2.0 * FS) as usize {
        return None;
    }
    let v = bandpass(vert, stride_hz, 2.0, FS).to_vec();
    let l = bandpass(lat, stride_hz, 2.0, FS).to_vec();
    let r = bandpass(roll, stride_hz, 2.0, FS).to_vec();
    let n = v.len();
    // Quadrature reference by central differences; skip filter edges.
    let edge = ((0.5 * FS) as usize).min(n / 4).max(1);
    let range = edge..n - edge;
    let vq: Vec<f64> = range.clone().map(|i| v[i + 1] - v[i - 1]).collect();
    let vi: Vec<f64> = range.clone().map(|i| v[i]).collect();
    let lateral = ncorr(&l[range.clone()], &vq);
    let rolling = ncorr(&r[range], &vi);
    let agree = lateral.signum() == rolling.signum();
    let confidence = if agree {
        lateral.abs().min(rolling.abs()).min(1.0)
    } else {
        0.0
    };
    let lead = if confidence < MIN_CONFIDENCE {
        Lead::Unknown
    } else if lateral > 0.0 {
        Lead::Left
    } else {
        Lead::Right
    };
    Some((lead, confidence))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array1;

    #[test]
    fn mirrored_patterns_give_opposite_leads() {
        let f = 1.6;
        let w = 2.0 * std::f64::consts::PI * f;
        for (s, want) in [(1.0, Lead::Left), (-1.0, Lead::Right)] {
            let t = |i: usize| i as f64 / FS;
            let vert = Array1::from_shape_fn(1500, |i| -4.0 * (w * t(i)).cos());
            let lat = Array1::from_shape_fn(1500, |i| s * 1.5 * (w * t(i) + 0.2).sin());
            let roll = Array1::from_shape_fn(1500, |i| -s * 30.0 * (w * t(i) - 0.2).cos());
            let (lead, conf) = lead(vert.view(), lat.view(), roll.view(), f).expect("long enough");
            assert_eq!(lead, want);
            assert!(conf > 0.8);
        }
    }

    #[test]
    fn contradicting_cues_give_unknown() {
        let f = 1.6;
        let w = 2.0 * std::f64::consts::PI * f;
        let t = |i: usize| i as f64 / FS;
        let vert = Array1::from_shape_fn(1500, |i| -4.0 * (w * t(i)).cos());
        // Lateral sway says left, roll says right.
        let lat = Array1::from_shape_fn(1500, |i| 1.5 * (w * t(i) + 0.2).sin());
        let roll = Array1::from_shape_fn(1500, |i| 30.0 * (w * t(i) - 0.2).cos());
        let (got, conf) = lead(vert.view(), lat.view(), roll.view(), f).expect("long enough");
        assert_eq!((got, conf), (Lead::Unknown, 0.0));
        // No lateral sway at all: too weak to decide.
        let flat = Array1::from_shape_fn(1500, |i| 0.01 * ((i * 7919) % 13) as f64);
        let roll = Array1::from_shape_fn(1500, |i| -30.0 * (w * t(i) - 0.2).cos());
        let (got, conf) = lead(vert.view(), flat.view(), roll.view(), f).expect("long enough");
        assert_eq!(got, Lead::Unknown);
        assert!(conf < MIN_CONFIDENCE);
    }
}
