//! Spooks and bucks: brief events added to the ongoing gait of the varied
//! generator (the truth gait stays the surrounding one).

use std::f64::consts::PI;

use super::{EventKind, Variation};
use crate::report::Gait;
use crate::synth::physics::{self, G, TrunkState};
use crate::synth::rng::Rng;

#[derive(Debug, Clone, Copy)]
pub(super) enum Event {
    /// Shy sideways by `disp` m, turn away by `yaw` rad, crouch `crouch` m,
    /// roll `roll` rad, all over `t`; then turn back over `back` s.
    Spook {
        t0: f64,
        t: f64,
        back: f64,
        dir: f64,
        disp: f64,
        yaw: f64,
        crouch: f64,
        roll: f64,
    },
    /// Trunk heaved up by `lift` m and pitched nose-down by `pitch` rad
    /// (sin² bumps over `t`); the gait's own accelerations fade out meanwhile.
    Buck {
        t0: f64,
        t: f64,
        lift: f64,
        pitch: f64,
    },
}

impl Event {
    pub fn kind(&self) -> EventKind {
        match self {
            Event::Spook { .. } => EventKind::Spook,
            Event::Buck { .. } => EventKind::Buck,
        }
    }

    /// Start and end (s) of the event.
    pub fn span(&self) -> (f64, f64) {
        match *self {
            Event::Spook { t0, t, back, .. } => (t0, t0 + t + back),
            Event::Buck { t0, t, .. } => (t0, t0 + t),
        }
    }

    /// Adds the event to the trunk state at time `tk` (inside its span).
    pub fn apply(&self, tk: f64, s: &mut TrunkState) {
        match *self {
            Event::Spook {
                t0,
                t,
                back,
                dir,
                disp,
                yaw,
                crouch,
                roll,
            } => {
                let u = tk - t0;
                if u < t {
                    let (_, _, a) = physics::smooth_step(u, t);
                    let (_, yr, _) = physics::smooth_step(u, t);
                    let (b, db, ddb) = physics::bump(u, t);
                    s.force[1] += dir * disp * a;
                    s.force[2] -= crouch * ddb;
                    s.force[0] -= 0.2 * G * (2.0 * PI * u / t).sin();
                    s.roll -= dir * roll * b;
                    s.roll_rate -= dir * roll * db;
                    s.yaw_rate += dir * yaw * yr;
                } else if u < t + back {
                    let (_, yr, _) = physics::smooth_step(u - t, back);
                    s.yaw_rate -= dir * yaw * yr;
                }
            }
            Event::Buck { t0, t, lift, pitch } => {
                let u = tk - t0;
                if u < t {
                    let (b, db, ddb) = physics::bump(u, t);
                    let keep = 1.0 - b;
                    s.force[0] *= keep;
                    s.force[1] *= keep;
                    s.force[2] = G + (s.force[2] - G) * keep + lift * ddb;
                    s.pitch += pitch * b;
                    s.pitch_rate += pitch * db;
                }
            }
        }
    }
}
/// Draws the spook and buck (if any) of a bout from `start` to `end`, away
/// from fences and the bout's ends; a buck never overlaps another event
/// (within 1 s).
pub(super) fn draw_for_bout(
    gait: Gait,
    (start, end): (f64, f64),
    var: &Variation,
    rng: &mut Rng,
    events: &mut Vec<Event>,
) {
    let dur_h = (end - start) / 3600.0;
    if rng.chance((var.spooks_per_h * dur_h).min(1.0)) {
        let tt = rng.range(0.4, 0.8);
        events.push(Event::Spook {
            t0: rng.range(start + 3.0, end - 8.0),
            t: tt,
            back: rng.range(2.0, 3.0),
            dir: if rng.chance(0.5) { 1.0 } else { -1.0 },
            disp: rng.range(0.3, 0.8),
            yaw: rng.range(20.0, 60.0f64).to_radians(),
            crouch: rng.range(0.04, 0.1),
            roll: rng.range(5.0, 12.0f64).to_radians(),
        });
    }
    if gait != Gait::Walk && rng.chance((var.bucks_per_h * dur_h).min(1.0)) {
        let tt: f64 = rng.range(0.5, 0.8);
        let max_lift = 0.85 * G * tt * tt / (2.0 * PI * PI);
        let ev = Event::Buck {
            t0: rng.range(start + 3.0, end - 5.0),
            t: tt,
            lift: rng.range(0.5, 1.0) * max_lift,
            pitch: rng.range(10.0, 25.0f64).to_radians(),
        };
        let (a0, a1) = ev.span();
        let clash = events.iter().any(|e| {
            let (b0, b1) = e.span();
            a0 < b1 + 1.0 && b0 < a1 + 1.0
        });
        if !clash {
            events.push(ev);
        }
    }
}
