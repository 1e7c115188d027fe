//! Opt-in variety for the generator (issue 8): horse size, collected to
//! extended gaits, spooks and bucks, rising trot, lateral work, arena tracks
//! with corners, circles and changes of rein, radio gaps and dropped samples,
//! any rate 25–400 Hz, mount tilt up to 25°, two body-motion models for canter
//! and soft jumps.
//!
//! [`generate_varied`] is a separate entry point with RNG streams of its own
//! (the seed XOR per-purpose constants): [`super::generate`] is untouched and
//! still produces the same bytes for the same seed. It reuses the base
//! generator's horse, bout planning and gait shapes and the [`super::physics`]
//! model, then changes them as the [`Variation`] says. The truth stays exact:
//! gait per time, stride frequency as realised (strides / their total time),
//! rein *segments* from the planned track (the sign of the track's yaw rate),
//! lead per bout (no change of rein inside a canter bout), MinDiff/MaxDiff from
//! the bout's noise-free trunk curve through [`crate::symmetry::diffs`], jumps
//! with the flight time of the ballistic phase (ground-reaction force exactly
//! 0), and an event list (spooks, bucks, lateral work, rising trot) inside the
//! surrounding gait.

use serde::{Deserialize, Serialize};
use shared::sensor::Recording;
use std::f64::consts::PI;

use super::physics::{self, G, GaitShape, Harmonic, JumpShape, SoftJump, TrunkState};
use super::rng::Rng;
use super::{
    Horse, SessionMods, SynthConfig, SynthSession, Truth, TruthBout, TruthJump, next_gait,
    plan_bout,
};
use crate::report::{Gait, Lead, Rein};

/// Independent RNG streams of the varied generator.
const STREAM_PLAN: u64 = 0x7661_7269_6574_7901;
const STREAM_SIGNAL: u64 = 0x7661_7269_6574_7902;
const STREAM_WIDE: u64 = 0x7661_7269_6574_7903;

/// Body-motion model of canter and gallop (see the README).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CanterModel {
    /// Model A (the base generator's): lateral sway and roll in quadrature
    /// (±90°) with the vertical oscillation, mirrored by lead.
    Quadrature,
    /// Model B: the trunk vaults over the leading fore like an inverted
    /// pendulum: lowest, furthest toward the leading side and rolled toward
    /// it at the same time — sway and roll in phase with the vertical
    /// oscillation (0°/180°), mirrored by lead.
    Pendular,
}

impl CanterModel {
    pub fn name(self) -> &'static str {
        match self {
            CanterModel::Quadrature => "A quadrature",
            CanterModel::Pendular => "B pendular",
        }
    }
}

/// Kind of soft jump.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SoftKind {
    /// Take-off push peaks under 1.3 g (longer, softer stance).
    SoftPush,
    /// The airborne phase has no long low-force plateau: hind limbs still
    /// push after the forelimbs leave, forelimbs touch before the impact, and
    /// the limb swing shakes the trunk in the ballistic part.
    NoPlateau,
}

/// Events inside the surrounding gait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Spook,
    Buck,
    LateralWork,
    RisingTrot,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TruthEvent {
    pub kind: EventKind,
    pub start_s: f64,
    pub end_s: f64,
}

/// A stretch of constant rein in the truth (sign of the planned yaw rate).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TruthReinSegment {
    pub start_s: f64,
    pub end_s: f64,
    pub rein: Rein,
}

/// What to vary in one session (the rate is [`SynthConfig::rate_hz`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variation {
    /// Amplitude factor of the gait displacements (0.6 pony – 1.6 big horse).
    pub size: f64,
    /// Session mean of the collection, −1 collected … 0 working … +1
    /// extended; each bout varies around it (SD 0.3).
    pub collection: f64,
    pub canter_model: CanterModel,
    /// Walk, trot and canter bouts follow a 20 × 40 or 20 × 60 m arena track
    /// (corners, 10–20 m circles, changes of rein across the diagonal at walk
    /// and trot) instead of one rein per bout.
    pub arena: bool,
    pub spooks_per_h: f64,
    pub bucks_per_h: f64,
    /// Share of trot bouts ridden rising (the rider sits on one diagonal).
    pub rising_trot: f64,
    /// Share of straight stretches ridden in lateral work.
    pub lateral_work: f64,
    /// Radio gaps of 1–4 s.
    pub radio_gaps: u32,
    /// Share of single dropped samples.
    pub drop_rate: f64,
    /// Largest mount tilt (°); the tilt is drawn in [0, max].
    pub max_tilt_deg: f64,
    /// Share of jumps that are soft.
    pub soft_jumps: f64,
}

impl Default for Variation {
    /// A working-size horse in the open, no events, as the base generator.
    fn default() -> Self {
        Variation {
            size: 1.0,
            collection: 0.0,
            canter_model: CanterModel::Quadrature,
            arena: false,
            spooks_per_h: 0.0,
            bucks_per_h: 0.0,
            rising_trot: 0.0,
            lateral_work: 0.0,
            radio_gaps: 0,
            drop_rate: 0.002,
            max_tilt_deg: 25.0,
            soft_jumps: 0.0,
        }
    }
}

/// Device rates of the wide set (every one in 25–400 Hz).
const WIDE_RATES: [f64; 12] = [
    25.0, 400.0, 30.0, 50.0, 52.0, 60.0, 100.0, 104.0, 120.0, 200.0, 208.0, 250.0,
];

impl Variation {
    /// Session `i` of the wide set: the categorical factors are stratified by
    /// `i` (canter model, arena/open, events, rate), the rest is drawn.
    pub fn wide(seed: u64, i: u32) -> Variation {
        let mut r = Rng::new(seed ^ STREAM_WIDE ^ ((i as u64) << 20));
        let events = (i / 4).is_multiple_of(2);
        Variation {
            size: r.range(0.6, 1.6),
            collection: r.range(-1.0, 1.0),
            canter_model: if i.is_multiple_of(2) {
                CanterModel::Quadrature
            } else {
                CanterModel::Pendular
            },
            arena: (i / 2).is_multiple_of(2),
            spooks_per_h: if events { r.range(6.0, 20.0) } else { 0.0 },
            bucks_per_h: if events { r.range(3.0, 10.0) } else { 0.0 },
            rising_trot: if r.chance(0.6) {
                r.range(0.3, 1.0)
            } else {
                0.0
            },
            lateral_work: if r.chance(0.5) {
                r.range(0.2, 0.6)
            } else {
                0.0
            },
            radio_gaps: (r.unit() * 7.0) as u32,
            drop_rate: 10f64.powf(r.range(-3.0, -1.3)),
            max_tilt_deg: r.range(0.0, 25.0),
            soft_jumps: if r.chance(0.7) {
                r.range(0.3, 1.0)
            } else {
                0.0
            },
        }
    }

    /// Config and variation of session `i` of the wide evaluation.
    pub fn wide_config(
        seed: u64,
        i: u32,
        min_minutes: f64,
        max_minutes: f64,
    ) -> (SynthConfig, Variation) {
        let mut r = Rng::new(seed ^ STREAM_WIDE ^ 0xFFFF ^ ((i as u64) << 24));
        let cfg = SynthConfig {
            seed: seed.wrapping_mul(1000).wrapping_add(i as u64),
            minutes: r.range(min_minutes, max_minutes.max(min_minutes)),
            rate_hz: WIDE_RATES[(i as usize * 5 + 3) % WIDE_RATES.len()],
        };
        (cfg, Variation::wide(seed, i))
    }
}

#[derive(Debug, Clone)]
enum Kind {
    Halt,
    Stride,
    Jump(JumpShape),
    Soft(SoftJump),
}

#[derive(Debug, Clone)]
struct Cycle {
    t0: f64,
    dur: f64,
    bout: usize,
    kind: Kind,
}

/// One stretch of the track: constant yaw rate (rad/s), maybe lateral work.
#[derive(Debug, Clone, Copy)]
struct Seg {
    t0: f64,
    t1: f64,
    yaw: f64,
    lateral: bool,
}

impl Seg {
    fn rein(&self) -> Rein {
        if self.yaw > 0.0 {
            Rein::Left
        } else if self.yaw < 0.0 {
            Rein::Right
        } else {
            Rein::Straight
        }
    }
}

#[derive(Debug, Clone)]
struct VBout {
    speed: f64,
    shape: GaitShape,
    lateral: GaitShape,
    wander_phase: f64,
}

#[derive(Debug, Clone, Copy)]
enum Event {
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
    fn span(&self) -> (f64, f64) {
        match *self {
            Event::Spook { t0, t, back, .. } => (t0, t0 + t + back),
            Event::Buck { t0, t, .. } => (t0, t0 + t),
        }
    }

    fn apply(&self, tk: f64, s: &mut TrunkState) {
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

/// The bout's gait shape for this horse and variation.
fn varied_shape(
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

fn is_rising(sh: &GaitShape) -> bool {
    sh.x.iter().any(|h| h.k == 0.0)
}

/// Lateral work (shoulder-in, leg-yield, half-pass): the trunk is at β to
/// the line of travel, so part of the fore-aft beat oscillation appears on
/// the lateral axis; the crossing limbs widen the sway and the roll. The
/// vertical curve (and so the truth's MinDiff/MaxDiff) is unchanged.
fn lateral_shape(sh: &GaitShape, rng: &mut Rng) -> GaitShape {
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

/// Track of one arena bout from `t0` to `until` on `hand`.
fn arena_track(
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

/// Generates one varied session. The same (config, variation) always gives
/// the same session; [`super::generate`] is not affected.
pub fn generate_varied(cfg: &SynthConfig, var: &Variation) -> SynthSession {
    let mut rng = Rng::new(cfg.seed ^ STREAM_PLAN);
    let horse = Horse::new(&mut rng);
    let mods = SessionMods::default();
    let total = (cfg.minutes * 60.0).max(1.0);
    let rate = cfg.rate_hz.clamp(
        shared::sensor::MIN_SAMPLE_RATE_HZ,
        shared::sensor::MAX_SAMPLE_RATE_HZ,
    );

    let mut bouts: Vec<VBout> = Vec::new();
    let mut cycles: Vec<Cycle> = Vec::new();
    let mut segs: Vec<Seg> = Vec::new();
    let mut events: Vec<Event> = Vec::new();
    let mut truth_bouts: Vec<TruthBout> = Vec::new();
    let mut truth_jumps: Vec<TruthJump> = Vec::new();
    let mut truth_events: Vec<TruthEvent> = Vec::new();
    let mut t = 0.0;
    let mut gait = Gait::Halt;
    while t < total {
        let collection = (var.collection + 0.3 * rng.normal()).clamp(-1.0, 1.0);
        let (mut plan, planned) = plan_bout(gait, &horse, &mods, None, &mut rng);
        let arena_bout =
            var.arena && matches!(gait, Gait::Walk | Gait::Trot | Gait::Canter) && plan.jumps == 0;
        if arena_bout {
            if plan.rein == Rein::Straight {
                plan.rein = if rng.chance(0.5) {
                    Rein::Left
                } else {
                    Rein::Right
                };
            }
            if gait.has_lead() {
                let natural = if plan.rein == Rein::Left {
                    Lead::Left
                } else {
                    Lead::Right
                };
                let counter = rng.chance(0.15);
                plan.lead = Some(match (natural, counter) {
                    (Lead::Left, true) => Lead::Right,
                    (Lead::Right, true) => Lead::Left,
                    (l, _) => l,
                });
            }
        }
        if gait != Gait::Halt {
            plan.stride_hz *= 1.0 - 0.04 * collection.abs();
            plan.speed *= (1.0 + 0.25 * collection) * var.size.sqrt();
        }
        let shape = varied_shape(
            &horse,
            gait,
            plan.lead,
            var,
            collection,
            plan.stride_hz,
            &mut rng,
        );
        let lateral = lateral_shape(&shape, &mut rng);
        let bi = bouts.len();
        let start = t;
        let end_plan = (t + planned).min(total);
        let (mut n, mut sum_t) = (0u32, 0.0);
        if gait == Gait::Halt {
            while t < end_plan {
                let d = (end_plan - t).min(1.0);
                cycles.push(Cycle {
                    t0: t,
                    dur: d,
                    bout: bi,
                    kind: Kind::Halt,
                });
                t += d;
            }
        } else {
            let expected = (planned * plan.stride_hz) as usize;
            let mut fences = Vec::new();
            let mut k = 6 + (rng.unit() * 4.0) as usize;
            for _ in 0..plan.jumps {
                if k + 6 < expected {
                    fences.push(k);
                }
                k += 4 + (rng.unit() * 6.0) as usize;
            }
            let mut idx = 0usize;
            let mut since_landing: Option<u32> = None;
            while t < end_plan {
                if fences.first() == Some(&idx) {
                    fences.remove(0);
                    let mut base = JumpShape {
                        takeoff_s: rng.range(0.26, 0.34),
                        flight_s: rng.range(0.3, 0.6),
                        landing_s: rng.range(0.22, 0.28),
                        push: rng.range(2.0, 2.5) * G,
                        impact: rng.range(3.0, 4.0) * G,
                        push_pitch_rate: rng.range(1.5, 2.5),
                        landing_pitch: rng.range(0.2, 0.4),
                    };
                    let soft = rng.chance(var.soft_jumps).then(|| {
                        if rng.chance(0.5) {
                            SoftKind::SoftPush
                        } else {
                            SoftKind::NoPlateau
                        }
                    });
                    let (kind, airborne_start, flight) = match soft {
                        None => (Kind::Jump(base), base.takeoff_s, base.flight_s),
                        Some(sk) => {
                            let sj = if sk == SoftKind::SoftPush {
                                base.push = rng.range(1.1, 1.28) * G;
                                base.takeoff_s = rng.range(0.32, 0.45);
                                base.flight_s = rng.range(0.3, 0.55);
                                SoftJump {
                                    base,
                                    tail_s: 0.0,
                                    tail_g: 0.0,
                                    ballistic_s: base.flight_s,
                                    reach_s: 0.0,
                                    reach_g: 0.0,
                                    wobble_g: rng.range(0.0, 0.05),
                                }
                            } else {
                                base.push = rng.range(1.15, 2.3) * G;
                                let (tail_s, ballistic_s, reach_s) = (
                                    rng.range(0.06, 0.12),
                                    rng.range(0.2, 0.4),
                                    rng.range(0.05, 0.1),
                                );
                                base.flight_s = tail_s + ballistic_s + reach_s;
                                SoftJump {
                                    base,
                                    tail_s,
                                    tail_g: rng.range(0.3, 0.7),
                                    ballistic_s,
                                    reach_s,
                                    reach_g: rng.range(0.3, 0.6),
                                    wobble_g: rng.range(0.1, 0.3),
                                }
                            };
                            (Kind::Soft(sj), sj.ballistic_start_s(), sj.ballistic_s)
                        }
                    };
                    truth_jumps.push(TruthJump {
                        time_s: t + airborne_start,
                        flight_s: flight,
                        rise_cm: G * flight.powi(2) / 8.0 * 100.0,
                        strides_from_previous: since_landing,
                        push_g: Some(base.push / G),
                        soft,
                    });
                    since_landing = Some(0);
                    let dur = base.total_s();
                    cycles.push(Cycle {
                        t0: t,
                        dur,
                        bout: bi,
                        kind,
                    });
                    t += dur;
                } else {
                    let d = (1.0 + mods.jitter * rng.normal())
                        .clamp(1.0 - mods.jitter_limit, 1.0 + mods.jitter_limit)
                        / plan.stride_hz;
                    cycles.push(Cycle {
                        t0: t,
                        dur: d,
                        bout: bi,
                        kind: Kind::Stride,
                    });
                    t += d;
                    n += 1;
                    sum_t += d;
                    since_landing = since_landing.map(|s| s + 1);
                }
                idx += 1;
            }
        }
        let end = t;
        // The track: arena figures, or one rein for the whole bout.
        let lateral_ok = matches!(gait, Gait::Walk | Gait::Trot | Gait::Canter) && plan.jumps == 0;
        let mut track = if arena_bout {
            arena_track(
                gait,
                plan.speed,
                plan.rein,
                start,
                end,
                var.lateral_work,
                &mut rng,
            )
        } else {
            vec![Seg {
                t0: start,
                t1: end,
                yaw: plan.yaw_dps.to_radians(),
                lateral: false,
            }]
        };
        track.retain(|s| s.t0 < end);
        if let Some(last) = track.last_mut() {
            last.t1 = end;
        }
        for s in &mut track {
            if !lateral_ok || s.rein() != Rein::Straight {
                s.lateral = false;
            } else if !arena_bout && gait != Gait::Halt {
                s.lateral = rng.chance(var.lateral_work);
            }
            if s.lateral {
                truth_events.push(TruthEvent {
                    kind: EventKind::LateralWork,
                    start_s: s.t0,
                    end_s: s.t1,
                });
            }
        }
        if is_rising(&shape) {
            truth_events.push(TruthEvent {
                kind: EventKind::RisingTrot,
                start_s: start,
                end_s: end,
            });
        }
        // Spooks and bucks, away from fences and the bout's ends.
        if gait != Gait::Halt && plan.jumps == 0 && end - start >= 15.0 {
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
        // Truth: the bout's rein is the one it spends most time on.
        let mut share = [0.0f64; 3];
        for s in &track {
            share[s.rein() as usize] += s.t1 - s.t0;
        }
        let rein = if share[0] > share[1] && share[0] > share[2] {
            Rein::Left
        } else if share[1] > share[0] && share[1] > share[2] {
            Rein::Right
        } else {
            Rein::Straight
        };
        let (min_diff_mm, max_diff_mm) = if gait == Gait::Trot {
            let (mn, mx, _) = crate::symmetry::diffs(|th| physics::value(&shape.z, th));
            (Some(mn * 1000.0), Some(mx * 1000.0))
        } else {
            (None, None)
        };
        truth_bouts.push(TruthBout {
            start_s: start,
            end_s: end,
            gait,
            stride_hz: if n > 0 { n as f64 / sum_t } else { 0.0 },
            strides: n,
            rein,
            lead: plan.lead,
            counter_canter: plan.lead.map(|l| {
                matches!(
                    (l, rein),
                    (Lead::Left, Rein::Right) | (Lead::Right, Rein::Left)
                )
            }),
            elevation_cm: physics::peak_to_peak(&shape.z) * 100.0,
            min_diff_mm,
            max_diff_mm,
        });
        segs.extend(track);
        bouts.push(VBout {
            speed: plan.speed,
            shape,
            lateral,
            wander_phase: plan.wander_phase,
        });
        gait = next_gait(gait, &mut rng);
    }
    let duration = t;
    events.sort_by(|a, b| a.span().0.total_cmp(&b.span().0));
    for e in &events {
        let (s, en) = e.span();
        truth_events.push(TruthEvent {
            kind: match e {
                Event::Spook { .. } => EventKind::Spook,
                Event::Buck { .. } => EventKind::Buck,
            },
            start_s: s,
            end_s: en,
        });
    }
    truth_events.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
    let mut rein_segments: Vec<TruthReinSegment> = Vec::new();
    for s in &segs {
        match rein_segments.last_mut() {
            Some(last) if last.rein == s.rein() => last.end_s = s.t1,
            _ => rein_segments.push(TruthReinSegment {
                start_s: s.t0,
                end_s: s.t1,
                rein: s.rein(),
            }),
        }
    }

    // Signal stream: mount, bias, holes, drops and noise.
    let mut sr = Rng::new(cfg.seed ^ STREAM_SIGNAL);
    let tilt = sr.range(0.0, var.max_tilt_deg.clamp(0.0, 89.0));
    let azimuth = sr.range(0.0, 2.0 * PI);
    let roll = tilt * azimuth.cos();
    let pitch_ratio = (tilt.to_radians().cos() / roll.to_radians().cos()).clamp(-1.0, 1.0);
    let pitch = pitch_ratio.acos().to_degrees() * azimuth.sin().signum();
    let mount = [roll, pitch, sr.range(-25.0, 25.0f64)];
    let q = physics::matmul(
        &physics::rot_z(mount[2].to_radians()),
        &physics::matmul(
            &physics::rot_y(mount[1].to_radians()),
            &physics::rot_x(mount[0].to_radians()),
        ),
    );
    let to_sensor = physics::transpose(&q);
    let tilt_deg = q[2][2].clamp(-1.0, 1.0).acos().to_degrees();
    let acc_bias = [
        sr.range(-0.15, 0.15),
        sr.range(-0.15, 0.15),
        sr.range(-0.15, 0.15),
    ];
    let gyro_bias = [
        sr.range(-1.5, 1.5),
        sr.range(-1.5, 1.5),
        sr.range(-1.5, 1.5),
    ];
    let noise_scale = (rate / 100.0).sqrt();
    let mut holes: Vec<[f64; 2]> = Vec::new();
    for _ in 0..var.radio_gaps {
        let s = sr.range(0.05, 0.95) * duration;
        holes.push([s, s + sr.range(1.0, 4.0)]);
    }
    for _ in 0..(sr.unit() * 6.0) as usize {
        let s = sr.range(0.05, 0.95) * duration;
        holes.push([s, s + sr.range(0.1, 0.8)]);
    }

    let n = (duration * rate).floor() as usize + 1;
    let mut rec = Recording {
        sample_rate_hz: rate,
        ..Default::default()
    };
    for c in 0..3 {
        rec.acc[c].reserve(n);
        rec.gyro[c].reserve(n);
    }
    rec.t.reserve(n);
    let (mut ci, mut si) = (0usize, 0usize);
    for k in 0..n {
        let tk = k as f64 / rate;
        while ci + 1 < cycles.len() && tk >= cycles[ci].t0 + cycles[ci].dur {
            ci += 1;
        }
        while si + 1 < segs.len() && tk >= segs[si].t1 {
            si += 1;
        }
        let na = [sr.normal(), sr.normal(), sr.normal()];
        let ng = [sr.normal(), sr.normal(), sr.normal()];
        let dropped =
            k > 0 && (sr.chance(var.drop_rate) || holes.iter().any(|h| tk > h[0] && tk < h[1]));
        if dropped {
            continue;
        }
        let Some(cy) = cycles.get(ci) else { break };
        let b = &bouts[cy.bout];
        let tau = tk - cy.t0;
        let mut state = match &cy.kind {
            Kind::Halt => TrunkState {
                force: [0.0, 0.0, G],
                ..Default::default()
            },
            Kind::Jump(js) => js.state(tau),
            Kind::Soft(sj) => sj.state(tau),
            Kind::Stride => {
                let seg = segs.get(si).copied().unwrap_or(Seg {
                    t0: 0.0,
                    t1: 0.0,
                    yaw: 0.0,
                    lateral: false,
                });
                let omega = 2.0 * PI / cy.dur;
                let theta = omega * tau;
                let wander = 1.5f64.to_radians() * (2.0 * PI * tk / 9.0 + b.wander_phase).sin();
                let yaw = seg.yaw + if seg.yaw == 0.0 { wander } else { 0.3 * wander };
                let shape = if seg.lateral { &b.lateral } else { &b.shape };
                physics::gait_state(shape, theta, omega, yaw, b.speed)
            }
        };
        if matches!(cy.kind, Kind::Stride) {
            for e in &events {
                let (a0, a1) = e.span();
                if tk >= a0 && tk < a1 {
                    e.apply(tk, &mut state);
                }
            }
        }
        let (f_body, w_body) = physics::body_frame(&state);
        let f = physics::mul(&to_sensor, f_body);
        let w = physics::mul(&to_sensor, w_body);
        rec.t.push(tk);
        for c in 0..3 {
            let a = f[c] + acc_bias[c] + 0.06 * noise_scale * na[c];
            let g = w[c].to_degrees() + gyro_bias[c] + 0.4 * noise_scale * ng[c];
            rec.acc[c].push(a.clamp(-16.0 * G, 16.0 * G));
            rec.gyro[c].push(g.clamp(-2000.0, 2000.0));
        }
    }
    let mut gaps = Vec::new();
    for w in rec.t.windows(2) {
        if w[1] - w[0] > crate::resample::MAX_INTERPOLATED_GAP_S {
            gaps.push([w[0], w[1]]);
        }
    }
    SynthSession {
        recording: rec,
        truth: Truth {
            seed: cfg.seed,
            rate_hz: rate,
            duration_s: duration,
            mount_deg: mount,
            mount_tilt_deg: tilt_deg,
            bouts: truth_bouts,
            jumps: truth_jumps,
            gaps,
            holes,
            variation: Some(var.clone()),
            rein_segments,
            events: truth_events,
        },
    }
}
