//! Fences of the varied generator: a normal jump, or a soft one (soft push,
//! or no low-force plateau in the air). The truth's flight time is the
//! ballistic phase, where the ground-reaction force is exactly 0.

use super::{SoftKind, Variation};
use crate::synth::TruthJump;
use crate::synth::physics::{G, SoftJump};
use crate::synth::render::{self, CycleKind, FenceAt};
use crate::synth::rng::Rng;

/// Draws one fence met at `at`: its cycle kind and duration, and its truth.
pub(super) fn draw_fence(
    var: &Variation,
    rng: &mut Rng,
    at: &FenceAt,
) -> (CycleKind, f64, TruthJump) {
    let mut base = render::draw_jump_shape(rng);
    let soft = rng.chance(var.soft_jumps).then(|| {
        if rng.chance(0.5) {
            SoftKind::SoftPush
        } else {
            SoftKind::NoPlateau
        }
    });
    let (kind, airborne_start, flight) = match soft {
        None => (CycleKind::Jump(base), base.takeoff_s, base.flight_s),
        Some(sk) => {
            let sj = match sk {
                SoftKind::SoftPush => soft_push(&mut base, rng),
                SoftKind::NoPlateau => no_plateau(&mut base, rng),
            };
            (CycleKind::Soft(sj), sj.ballistic_start_s(), sj.ballistic_s)
        }
    };
    let truth = TruthJump {
        time_s: at.t + airborne_start,
        flight_s: flight,
        rise_cm: G * flight.powi(2) / 8.0 * 100.0,
        strides_from_previous: at.strides_from_previous,
        push_g: Some(base.push / G),
        soft,
    };
    (kind, base.total_s(), truth)
}

/// A longer, softer take-off stance peaking at 1.1–1.28 g; the whole airborne
/// phase is ballistic.
fn soft_push(base: &mut crate::synth::physics::JumpShape, rng: &mut Rng) -> SoftJump {
    base.push = rng.range(1.1, 1.28) * G;
    base.takeoff_s = rng.range(0.32, 0.45);
    base.flight_s = rng.range(0.3, 0.55);
    SoftJump {
        base: *base,
        tail_s: 0.0,
        tail_g: 0.0,
        ballistic_s: base.flight_s,
        reach_s: 0.0,
        reach_g: 0.0,
        wobble_g: rng.range(0.0, 0.05),
    }
}

/// Hind limbs still pushing after the forelimbs leave, forelimbs touching
/// before the impact, limb swing shaking the trunk in between: the airborne
/// phase is `tail + ballistic + reach`, only the middle part is ballistic.
fn no_plateau(base: &mut crate::synth::physics::JumpShape, rng: &mut Rng) -> SoftJump {
    base.push = rng.range(1.15, 2.3) * G;
    let (tail_s, ballistic_s, reach_s) = (
        rng.range(0.06, 0.12),
        rng.range(0.2, 0.4),
        rng.range(0.05, 0.1),
    );
    base.flight_s = tail_s + ballistic_s + reach_s;
    SoftJump {
        base: *base,
        tail_s,
        tail_g: rng.range(0.3, 0.7),
        ballistic_s,
        reach_s,
        reach_g: rng.range(0.3, 0.6),
        wobble_g: rng.range(0.1, 0.3),
    }
}
