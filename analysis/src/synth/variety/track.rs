//! The rider's track in the varied generator: stretches of constant yaw rate
//! (arena long and short sides, corners, circles, changes of rein across the
//! diagonal) and the truth's rein segments built from them.

use std::f64::consts::PI;

use super::TruthReinSegment;
use crate::report::{Gait, Rein};
use crate::synth::rng::Rng;

/// One stretch of the track: constant yaw rate (rad/s), maybe lateral work.
#[derive(Debug, Clone, Copy)]
pub(super) struct Seg {
    pub t0: f64,
    pub t1: f64,
    pub yaw: f64,
    pub lateral: bool,
}

impl Seg {
    pub fn rein(&self) -> Rein {
        if self.yaw > 0.0 {
            Rein::Left
        } else if self.yaw < 0.0 {
            Rein::Right
        } else {
            Rein::Straight
        }
    }
}

/// Track of one arena bout from `t0` to `until` on `hand`.
pub(super) fn arena_track(
    gait: Gait,
    speed: f64,
    hand: Rein,
    t0: f64,
    until: f64,
    lateral_p: f64,
    rng: &mut Rng,
) -> Vec<Seg> {
    let (len, width) = (if rng.chance(0.5) { 40.0 } else { 60.0 }, 20.0);
    let rc: f64 = match gait {
        Gait::Walk => rng.range(3.0, 5.0),
        Gait::Trot => rng.range(5.0, 7.0),
        _ => rng.range(7.0, 9.5),
    };
    let change_ok = matches!(gait, Gait::Walk | Gait::Trot);
    let mut sigma = if hand == Rein::Right { -1.0 } else { 1.0 };
    let mut segs: Vec<Seg> = Vec::new();
    let mut t = t0;
    let straight = |segs: &mut Vec<Seg>, t: &mut f64, dist: f64, rng: &mut Rng| {
        let d = dist / speed;
        if d > 0.05 {
            let lateral = d >= 3.0 && rng.chance(lateral_p);
            segs.push(Seg {
                t0: *t,
                t1: *t + d,
                yaw: 0.0,
                lateral,
            });
            *t += d;
        }
    };
    let turn = |segs: &mut Vec<Seg>, t: &mut f64, sigma: f64, angle: f64, r: f64| {
        let d = angle * r / speed;
        segs.push(Seg {
            t0: *t,
            t1: *t + d,
            yaw: sigma * speed / r,
            lateral: false,
        });
        *t += d;
    };
    let mut first = true;
    while t < until {
        // Long side, maybe a circle at its start.
        if rng.chance(0.25) {
            let r = rng.range(rc.max(5.0), 10.0);
            turn(&mut segs, &mut t, sigma, 2.0 * PI, r);
        }
        let part = if first { rng.range(0.2, 1.0) } else { 1.0 };
        first = false;
        straight(&mut segs, &mut t, part * (len - 2.0 * rc), rng);
        // Corner, short side, corner.
        turn(&mut segs, &mut t, sigma, PI / 2.0, rc);
        straight(&mut segs, &mut t, width - 2.0 * rc, rng);
        turn(&mut segs, &mut t, sigma, PI / 2.0, rc);
        if change_ok && rng.chance(0.3) {
            // Change of rein across the diagonal: turn in, ride the diagonal,
            // turn onto the other long side, now on the other hand.
            let a = ((width - 2.0 * rc) / (len - 2.0 * rc - 12.0)).atan();
            turn(&mut segs, &mut t, sigma, a, rc);
            let diag = (width - 2.0 * rc).hypot(len - 2.0 * rc - 12.0);
            straight(&mut segs, &mut t, diag, rng);
            turn(&mut segs, &mut t, -sigma, a, rc);
            sigma = -sigma;
            turn(&mut segs, &mut t, sigma, PI / 2.0, rc);
            straight(&mut segs, &mut t, width - 2.0 * rc, rng);
            turn(&mut segs, &mut t, sigma, PI / 2.0, rc);
        }
    }
    segs
}

/// Rein segments of the truth: the track's stretches with neighbours of the
/// same rein merged.
pub(super) fn rein_segments(segs: &[Seg]) -> Vec<TruthReinSegment> {
    let mut out: Vec<TruthReinSegment> = Vec::new();
    for s in segs {
        match out.last_mut() {
            Some(last) if last.rein == s.rein() => last.end_s = s.t1,
            _ => out.push(TruthReinSegment {
                start_s: s.t0,
                end_s: s.t1,
                rein: s.rein(),
            }),
        }
    }
    out
}
