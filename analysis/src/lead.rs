//! Canter and gallop lead from the phase of the trunk's roll (and lateral
//! sway) against its vertical oscillation, one decision per bout.
//!
//! On the left lead the support runs right (trailing) hind → left hind and
//! right fore (the diagonal) → left (leading) fore, on the right lead the
//! mirror image (Hildebrand 1977; Barrey 1999); every transverse motion of
//! the trunk is mirrored between the two leads while the vertical one is
//! not, so the lead is the *sign* of a transverse signal against the
//! vertical oscillation — provided one knows at which phase of the stride
//! the trunk leans toward the leading side. Published kinematics give the
//! sequence, not that phase; the two descriptions in use differ by a
//! quarter stride: the trunk carried sideways by the support sequence (it
//! banks toward the leading side while the diagonal lands, a quarter stride
//! before the lowest point) or vaulting over the leading fore like an
//! inverted pendulum (rolled toward it at the lowest point). The cue asks
//! only that the trunk be rolled down toward the leading side somewhere in
//! that landing half of the support: the roll rate is projected on the
//! bisector of the two phases ([`early_stance_cue`]), which is positive on
//! the left lead and negative on the right with a 45° margin on either side
//! of both descriptions (per-horse phase differences of ±20° included).
//!
//! The roll decides: `lead_confidence` is the magnitude of that projection
//! (a normalised correlation, 0–1), and under [`MIN_CONFIDENCE`] the answer
//! is `unknown`. The lateral acceleration gives the same kind of cue for the
//! furthest sideways excursion in the push-off half of the support
//! ([`late_stance_cue`]), but it also carries the fore-aft oscillation (at
//! the stride frequency in canter) through any error of the mount heading,
//! so it only vetoes: when it points the other way with a strength of at
//! least [`VETO`], the bout is `unknown`. Both signals are band-passed with
//! the same zero-phase filter, so stride-to-stride jitter moves them
//! together and does not blur the phase. Witte, Knill & Wilson (2004) and
//! Barrey et al. (1994) describe the canter's limb loading and trunk
//! accelerations this rests on.

use ndarray::ArrayView1;

use crate::filter::bandpass_n;
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

/// Lateral cue: the trunk is furthest toward the leading side in the second
/// half of the support, between the lowest point (leftward acceleration
/// against the vertical acceleration, `r_v` < 0 on the left lead) and a
/// quarter stride later (leftward acceleration with its quadrature, `r_q` >
/// 0). The projection on the bisector of those two directions is > 0 on the
/// left lead, < 0 on the right lead, with a 45° margin on either side.
fn late_stance_cue(r_v: f64, r_q: f64) -> f64 {
    (r_q - r_v) * std::f64::consts::FRAC_1_SQRT_2
}

/// Roll cue: the trunk is rolled down toward the leading side between a
/// quarter stride before the lowest point (roll *rate* with the vertical
/// acceleration, `r_v` > 0 on the left lead) and the lowest point (roll
/// rate against the quadrature, `r_q` < 0): projection on their bisector.
fn early_stance_cue(r_v: f64, r_q: f64) -> f64 {
    (r_v - r_q) * std::f64::consts::FRAC_1_SQRT_2
}

/// Weakest agreeing cue (normalised correlation) that decides a lead.
pub const MIN_CONFIDENCE: f64 = 0.3;
/// Lateral cue strength that vetoes an opposite roll cue.
pub const VETO: f64 = 0.3;

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
    let [v, l, r] = bandpass_n([vert, lat, roll], [stride_hz; 3], 2.0, FS);
    let n = v.len();
    // Quadrature reference by central differences; skip filter edges.
    let edge = ((0.5 * FS) as usize).min(n / 4).max(1);
    let range = edge..n - edge;
    let vq: Vec<f64> = range.clone().map(|i| v[i + 1] - v[i - 1]).collect();
    let vi: Vec<f64> = range.clone().map(|i| v[i]).collect();
    let lateral = late_stance_cue(ncorr(&l[range.clone()], &vi), ncorr(&l[range.clone()], &vq));
    let rolling = early_stance_cue(ncorr(&r[range.clone()], &vi), ncorr(&r[range], &vq));
    let contradicted = lateral.signum() != rolling.signum() && lateral.abs() >= VETO;
    let confidence = if contradicted {
        0.0
    } else {
        rolling.abs().min(1.0)
    };
    let lead = if confidence < MIN_CONFIDENCE {
        Lead::Unknown
    } else if rolling > 0.0 {
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

    /// The pendular description: sway and roll in phase with the vertical.
    #[test]
    fn pendular_patterns_give_the_lead_too() {
        let f = 1.6;
        let w = 2.0 * std::f64::consts::PI * f;
        let t = |i: usize| i as f64 / FS;
        for (s, want) in [(1.0, Lead::Left), (-1.0, Lead::Right)] {
            let vert = Array1::from_shape_fn(1500, |i| -4.0 * (w * t(i)).cos());
            let lat = Array1::from_shape_fn(1500, |i| s * 1.5 * (w * t(i) + 0.3).cos());
            let roll = Array1::from_shape_fn(1500, |i| -s * 30.0 * (w * t(i) - 0.3).sin());
            let (lead, conf) = lead(vert.view(), lat.view(), roll.view(), f).expect("long enough");
            assert_eq!(lead, want);
            assert!(conf > 0.4, "{conf}");
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
        // No roll at all: too weak to decide, whatever the lateral sway.
        let flat = Array1::from_shape_fn(1500, |i| 0.01 * ((i * 7919) % 13) as f64);
        let (got, conf) = lead(vert.view(), lat.view(), flat.view(), f).expect("long enough");
        assert_eq!(got, Lead::Unknown);
        assert!(conf < MIN_CONFIDENCE);
    }
}
