//! Gait shapes of the varied generator: the base horse's shapes scaled by
//! size and collection, canter model B (pendular), rising trot, and the
//! lateral-work variant of a shape.

use std::f64::consts::PI;

use super::{CanterModel, Variation};
use crate::report::{Gait, Lead};
use crate::synth::Horse;
use crate::synth::physics::{self, G, GaitShape, Harmonic};
use crate::synth::rng::Rng;

/// The bout's gait shape for this horse and variation.
pub(super) fn varied_shape(
    horse: &Horse,
    gait: Gait,
    lead: Option<Lead>,
    var: &Variation,
    collection: f64,
    stride_hz: f64,
    rng: &mut Rng,
) -> GaitShape {
    let mut sh = horse.shape(gait, lead, rng);
    if gait == Gait::Halt {
        return sh;
    }
    // Collected and extended gaits are both more elevated than working ones;
    // extension lengthens the stride (fore-aft motion), collection shortens it.
    let lift = var.size * (1.0 + 0.25 * collection.abs());
    let reach = var.size * (1.0 + 0.3 * collection);
    let one_beat = gait.has_lead();
    for h in &mut sh.z {
        // The first harmonics of walk/trot are the diagonal asymmetry: not
        // a matter of size.
        if one_beat || h.k >= 2.0 {
            h.amp *= lift;
        }
    }
    for h in &mut sh.y {
        h.amp *= var.size;
    }
    for h in &mut sh.x {
        h.amp *= reach;
    }
    if one_beat && var.canter_model == CanterModel::Pendular {
        let s = if lead == Some(Lead::Right) { -1.0 } else { 1.0 };
        let ya = sh.y.first().map_or(0.0, |h| h.amp.abs());
        let ra = sh.roll.first().map_or(0.0, |h| h.amp.abs());
        // z = a·cos θ is lowest at θ = π; there the trunk is furthest toward
        // the leading side (+y = left) and rolled down toward it (−roll =
        // left side down).
        sh.y = vec![Harmonic::new(1.0, s * ya, PI + horse.lead_phase)];
        sh.roll = vec![Harmonic::new(1.0, s * ra, horse.roll_phase)];
    }
    if gait == Gait::Trot && rng.chance(var.rising_trot) {
        // Rising trot: the rider's weight comes down during one diagonal's
        // stance only, so that diagonal sinks further (a first harmonic like
        // the horse's own asymmetry) and the trunk pitches with it.
        let d = if rng.chance(0.5) { 1.0 } else { -1.0 };
        sh.z.push(Harmonic::new(1.0, d * rng.range(1.5e-3, 4e-3), 0.0));
        sh.z.push(Harmonic::new(1.0, d * rng.range(0.0, 2e-3), -PI / 2.0));
        sh.pitch
            .push(Harmonic::new(1.0, d * 0.5f64.to_radians(), 0.3));
        // Marker for the truth's event list (amplitude 0, no effect).
        sh.x.push(Harmonic::new(0.0, 0.0, 0.0));
    }
    // The ground can only push: keep the specific force ≥ 0.05 g at the
    // fastest stride of the bout (+10 % jitter).
    let omega = 2.0 * PI * stride_hz * 1.1;
    let lowest = (0..360)
        .map(|i| physics::accel(&sh.z, 2.0 * PI * i as f64 / 360.0, omega))
        .fold(f64::INFINITY, f64::min);
    if G + lowest < 0.05 * G {
        let k = 0.95 * G / -lowest;
        for h in &mut sh.z {
            h.amp *= k;
        }
    }
    sh
}

/// Whether the shape carries the rising-trot marker.
pub(super) fn is_rising(sh: &GaitShape) -> bool {
    sh.x.iter().any(|h| h.k == 0.0)
}

/// Lateral work (shoulder-in, leg-yield, half-pass): the trunk is at β to
/// the line of travel, so part of the fore-aft beat oscillation appears on
/// the lateral axis; the crossing limbs widen the sway and the roll. The
/// vertical curve (and so the truth's MinDiff/MaxDiff) is unchanged.
pub(super) fn lateral_shape(sh: &GaitShape, rng: &mut Rng) -> GaitShape {
    let beta = rng.range(10.0, 35.0f64).to_radians();
    let dir = if rng.chance(0.5) { 1.0 } else { -1.0 };
    let mut l = sh.clone();
    let widen = rng.range(1.3, 2.0);
    for h in &mut l.y {
        h.amp *= widen;
    }
    for h in &sh.x {
        if h.amp != 0.0 {
            l.y.push(Harmonic::new(h.k, dir * h.amp * beta.sin(), h.phase));
        }
    }
    for h in &mut l.x {
        h.amp *= beta.cos();
    }
    for h in &mut l.roll {
        h.amp *= 1.5;
    }
    l
}
