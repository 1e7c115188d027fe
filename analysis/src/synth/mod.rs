//! Physics-based generator of synthetic riding sessions with ground truth,
//! used by `hoofbeat generate`, `hoofbeat evaluate`, the tests and the bench.
//!
//! A session is planned as a sequence of bouts (Markov chain over plausible
//! gait changes), each with its stride frequency, rein (circle radius and
//! speed → yaw rate), lead (with occasional counter-canter) and, for straight
//! canter bouts, fences. The horse has its own amplitudes and diagonal
//! asymmetry. Strides jitter by ~3 % around the bout's frequency. Samples are
//! produced by [`physics`] at the device rate, then the mount rotation, sensor
//! noise and bias, saturation, dropped samples and gaps are applied. The
//! analysis code is not used here except [`crate::symmetry::diffs`], the shared
//! *definition* of MinDiff/MaxDiff applied to the true, noise-free trunk curve.

pub mod history;
pub mod physics;
mod render;
pub mod rng;
mod truth;
pub mod variety;

use std::f64::consts::PI;

use crate::report::{Gait, Lead, Rein};
use physics::{G, GaitShape, Harmonic};
use render::{Cycle, CycleKind, Link, Sensor};
use rng::Rng;
pub use truth::{SynthConfig, SynthSession, Truth, TruthBout, TruthJump};

#[derive(Debug, Clone)]
struct BoutPlan {
    stride_hz: f64,
    rein: Rein,
    yaw_dps: f64,
    speed: f64,
    lead: Option<Lead>,
    shape: GaitShape,
    wander_phase: f64,
    jumps: usize,
}

/// Per-horse parameters.
#[derive(Debug, Clone)]
pub struct Horse {
    /// The horse's own stride frequencies (walk, trot, canter, gallop) when
    /// it has a history; single sessions draw each bout's from a wide range.
    pace: Option<[f64; 4]>,
    walk_amp: f64,
    trot_amp: f64,
    canter: (f64, f64, f64),
    gallop: (f64, f64, f64),
    asym_b: f64,
    asym_c: f64,
    lat_phase: f64,
    lead_phase: f64,
    roll_phase: f64,
}

impl Horse {
    fn new(rng: &mut Rng) -> Self {
        Horse {
            pace: None,
            walk_amp: rng.range(0.012, 0.018),
            trot_amp: rng.range(0.025, 0.032),
            canter: (
                rng.range(0.03, 0.04),
                rng.range(0.003, 0.006),
                rng.range(0.5, 1.5),
            ),
            gallop: (
                rng.range(0.018, 0.026),
                rng.range(0.002, 0.004),
                rng.range(0.5, 1.5),
            ),
            asym_b: rng.range(-0.006, 0.006),
            asym_c: rng.range(-0.006, 0.006),
            lat_phase: rng.range(-0.3, 0.3),
            lead_phase: rng.range(-0.35, 0.35),
            roll_phase: rng.range(-0.35, 0.35),
        }
    }

    fn shape(&self, gait: Gait, lead: Option<Lead>, rng: &mut Rng) -> GaitShape {
        let h = Harmonic::new;
        let s = if lead == Some(Lead::Right) { -1.0 } else { 1.0 };
        match gait {
            Gait::Halt => GaitShape::default(),
            Gait::Walk => {
                let a = self.walk_amp * rng.range(0.9, 1.1);
                GaitShape {
                    z: vec![h(2.0, a, PI), h(4.0, 0.1 * a, 0.5)],
                    y: vec![h(1.0, rng.range(0.015, 0.025), 0.0)],
                    x: vec![h(2.0, 0.01, 1.0)],
                    roll: vec![h(1.0, 2f64.to_radians(), 0.3)],
                    pitch: vec![h(2.0, 1.5f64.to_radians(), 0.7)],
                }
            }
            Gait::Trot => {
                let a = self.trot_amp * rng.range(0.95, 1.05);
                let b = self.asym_b + 0.0005 * rng.normal();
                let c = self.asym_c + 0.0005 * rng.normal();
                GaitShape {
                    z: vec![
                        h(2.0, a, PI),
                        h(1.0, b, 0.0),
                        h(1.0, c, -PI / 2.0),
                        h(4.0, 0.08 * a, 0.3),
                    ],
                    y: vec![h(1.0, rng.range(0.01, 0.02), self.lat_phase)],
                    x: vec![h(2.0, 0.012, PI / 2.0)],
                    roll: vec![h(1.0, 2f64.to_radians(), self.lat_phase + PI / 2.0)],
                    pitch: vec![h(2.0, 1.5f64.to_radians(), 0.4)],
                }
            }
            Gait::Canter | Gait::Gallop => {
                let (a1, a2, p2) = if gait == Gait::Canter {
                    self.canter
                } else {
                    self.gallop
                };
                let k = rng.range(0.95, 1.05);
                GaitShape {
                    z: vec![h(1.0, a1 * k, 0.0), h(2.0, a2 * k, p2)],
                    y: vec![h(
                        1.0,
                        s * rng.range(0.01, 0.018),
                        PI / 2.0 + self.lead_phase,
                    )],
                    x: vec![h(1.0, 0.02, 0.7)],
                    roll: vec![h(
                        1.0,
                        s * rng.range(3.0, 5.0f64).to_radians(),
                        PI / 2.0 + self.roll_phase,
                    )],
                    pitch: vec![h(1.0, rng.range(4.0, 6.0f64).to_radians(), 0.3)],
                }
            }
        }
    }
}

fn next_gait(g: Gait, rng: &mut Rng) -> Gait {
    use Gait::*;
    let (opts, w): (&[Gait], &[f64]) = match g {
        Halt => (&[Walk], &[1.0]),
        Walk => (&[Halt, Trot, Canter], &[0.15, 0.6, 0.25]),
        Trot => (&[Walk, Canter], &[0.55, 0.45]),
        Canter => (&[Trot, Walk, Gallop], &[0.5, 0.3, 0.2]),
        Gallop => (&[Canter], &[1.0]),
    };
    opts[rng.weighted(w)]
}

/// Day-to-day changes of a horse, for histories of sessions.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionMods {
    /// Added to the horse's diagonal asymmetry harmonics (m): MinDiff moves
    /// by about twice `asym_b_m`, MaxDiff by about twice `asym_c_m`.
    pub asym_b_m: f64,
    pub asym_c_m: f64,
    /// Multiplies every stride frequency of the session.
    pub stride_factor: f64,
    /// Relative stride-to-stride jitter (SD) and its clamp.
    pub jitter: f64,
    pub jitter_limit: f64,
    /// Start with a walk, then a straight trot on the long side (warm-up).
    pub warmup: bool,
}

impl Default for SessionMods {
    fn default() -> Self {
        SessionMods {
            asym_b_m: 0.0,
            asym_c_m: 0.0,
            stride_factor: 1.0,
            jitter: 0.03,
            jitter_limit: 0.1,
            warmup: false,
        }
    }
}

fn plan_bout(
    gait: Gait,
    horse: &Horse,
    mods: &SessionMods,
    rein_override: Option<Rein>,
    rng: &mut Rng,
) -> (BoutPlan, f64) {
    use Gait::*;
    let (dur, f, speed, radius) = match gait {
        Halt => (rng.range(8.0, 40.0), 0.0, 0.0, (1.0, 1.0)),
        Walk => (
            rng.range(30.0, 150.0),
            rng.range(0.78, 0.98),
            rng.range(1.4, 1.8),
            (6.0, 10.0),
        ),
        Trot => (
            rng.range(20.0, 120.0),
            rng.range(1.2, 1.55),
            rng.range(3.0, 4.0),
            (10.0, 20.0),
        ),
        Canter => (
            rng.range(15.0, 80.0),
            rng.range(1.35, 1.9),
            rng.range(5.0, 6.5),
            (12.0, 20.0),
        ),
        Gallop => (
            rng.range(10.0, 35.0),
            rng.range(2.1, 2.7),
            rng.range(9.0, 12.0),
            (30.0, 50.0),
        ),
    };
    let f = match (horse.pace, gait) {
        (Some(p), Walk | Trot | Canter | Gallop) => {
            let own = p[gait as usize - 1];
            own * (1.0 + 0.03 * (2.0 * rng.unit() - 1.0)) * mods.stride_factor
        }
        _ => f * mods.stride_factor,
    };
    let rein = if gait == Halt {
        Rein::Straight
    } else {
        [Rein::Straight, Rein::Left, Rein::Right][rng.weighted(&[0.4, 0.3, 0.3])]
    };
    let rein = rein_override.unwrap_or(rein);
    let yaw_dps = match rein {
        Rein::Straight => 0.0,
        Rein::Left => (speed / rng.range(radius.0, radius.1)).to_degrees(),
        Rein::Right => -(speed / rng.range(radius.0, radius.1)).to_degrees(),
    };
    let lead = if gait.has_lead() {
        let natural = match rein {
            Rein::Left => Lead::Left,
            Rein::Right => Lead::Right,
            Rein::Straight => {
                if rng.chance(0.5) {
                    Lead::Left
                } else {
                    Lead::Right
                }
            }
        };
        let counter = rein != Rein::Straight && rng.chance(0.2);
        Some(match (natural, counter) {
            (Lead::Left, true) => Lead::Right,
            (Lead::Right, true) => Lead::Left,
            (l, _) => l,
        })
    } else {
        None
    };
    let jumps = if gait == Canter && rein == Rein::Straight && dur >= 25.0 && rng.chance(0.6) {
        1 + (rng.unit() * 3.0) as usize
    } else {
        0
    };
    let plan = BoutPlan {
        stride_hz: f,
        rein,
        yaw_dps,
        speed,
        lead,
        shape: horse.shape(gait, lead, rng),
        wander_phase: rng.range(0.0, 2.0 * PI),
        jumps,
    };
    (plan, dur)
}

/// Generates one session of a horse drawn from the seed.
pub fn generate(cfg: &SynthConfig) -> SynthSession {
    let mut rng = Rng::new(cfg.seed);
    let horse = Horse::new(&mut rng);
    generate_with(cfg, &horse, &SessionMods::default(), rng)
}

/// Generates one session of the seed's horse, changed as `mods` says (for
/// sweeps of asymmetry, cadence or regularity).
pub fn generate_modified(cfg: &SynthConfig, mods: &SessionMods) -> SynthSession {
    let mut rng = Rng::new(cfg.seed);
    let horse = Horse::new(&mut rng);
    generate_with(cfg, &horse, mods, rng)
}

/// Generates one session of a given horse on a given day.
fn generate_with(
    cfg: &SynthConfig,
    horse: &Horse,
    mods: &SessionMods,
    mut rng: Rng,
) -> SynthSession {
    let mut horse = horse.clone();
    horse.asym_b += mods.asym_b_m;
    horse.asym_c += mods.asym_c_m;
    let mut forced: std::collections::VecDeque<(Gait, Option<Rein>)> = if mods.warmup {
        [(Gait::Walk, None), (Gait::Trot, Some(Rein::Straight))].into()
    } else {
        Default::default()
    };
    let total = (cfg.minutes * 60.0).max(1.0);
    let rate = cfg.rate_hz.clamp(
        shared::sensor::MIN_SAMPLE_RATE_HZ,
        shared::sensor::MAX_SAMPLE_RATE_HZ,
    );

    // Plan bouts and lay out cycles.
    let mut plans: Vec<BoutPlan> = Vec::new();
    let mut cycles: Vec<Cycle> = Vec::new();
    let mut truth_bouts: Vec<TruthBout> = Vec::new();
    let mut truth_jumps: Vec<TruthJump> = Vec::new();
    let mut t = 0.0;
    let mut gait = Gait::Halt;
    while t < total {
        let rein_override = forced
            .front()
            .and_then(|f| (f.0 == gait).then_some(f.1))
            .flatten();
        if forced.front().is_some_and(|f| f.0 == gait) {
            forced.pop_front();
        }
        let (plan, planned) = plan_bout(gait, &horse, mods, rein_override, &mut rng);
        let start = t;
        let layout = render::lay_out_bout(
            gait == Gait::Halt,
            plan.stride_hz,
            plan.jumps,
            planned,
            (t, (t + planned).min(total)),
            plans.len(),
            mods,
            &mut rng,
            &mut cycles,
            |rng, at| {
                let shape = render::draw_jump_shape(rng);
                truth_jumps.push(TruthJump {
                    time_s: at.t + shape.takeoff_s,
                    flight_s: shape.flight_s,
                    rise_cm: G * shape.flight_s.powi(2) / 8.0 * 100.0,
                    strides_from_previous: at.strides_from_previous,
                    push_g: None,
                    soft: None,
                });
                (CycleKind::Jump(shape), shape.total_s())
            },
        );
        t = layout.end;
        let (n, sum_t) = (layout.strides, layout.stride_time);
        let (min_diff_mm, max_diff_mm) = if gait == Gait::Trot {
            let z = &plan.shape.z;
            let (mn, mx, _) = crate::symmetry::diffs(|th| physics::value(z, th));
            (Some(mn * 1000.0), Some(mx * 1000.0))
        } else {
            (None, None)
        };
        truth_bouts.push(TruthBout {
            start_s: start,
            end_s: t,
            gait,
            stride_hz: if n > 0 { n as f64 / sum_t } else { 0.0 },
            strides: n,
            rein: plan.rein,
            lead: plan.lead,
            counter_canter: plan.lead.map(|l| {
                matches!(
                    (l, plan.rein),
                    (Lead::Left, Rein::Right) | (Lead::Right, Rein::Left)
                )
            }),
            elevation_cm: physics::peak_to_peak(&plan.shape.z) * 100.0,
            min_diff_mm,
            max_diff_mm,
        });
        plans.push(plan);
        gait = match forced.front() {
            Some(&(g, _)) => g,
            None => next_gait(gait, &mut rng),
        };
    }
    let duration = t;

    // Mount, noise, bias.
    let mount = [
        rng.range(-25.0, 25.0f64),
        rng.range(-25.0, 25.0f64),
        rng.range(-25.0, 25.0f64),
    ];
    let sensor = Sensor::draw(mount, rate, &mut rng);
    let tilt = sensor.tilt_deg;

    // Gaps: 0–3 long holes, a few short ones.
    let mut holes: Vec<[f64; 2]> = Vec::new();
    for _ in 0..(rng.unit() * 4.0) as usize {
        let s = rng.range(0.05, 0.95) * duration;
        holes.push([s, s + rng.range(1.5, 10.0)]);
    }
    for _ in 0..(rng.unit() * 6.0) as usize {
        let s = rng.range(0.05, 0.95) * duration;
        holes.push([s, s + rng.range(0.1, 0.8)]);
    }
    let link = Link {
        drop_rate: 0.002,
        holes: &holes,
    };
    let rec = render::render(
        rate,
        duration,
        &cycles,
        &sensor,
        &link,
        &mut rng,
        |cy, tk| {
            let plan = &plans[cy.bout];
            let yaw = plan.yaw_dps.to_radians();
            render::stride_state(cy, tk, &plan.shape, yaw, plan.wander_phase, plan.speed)
        },
    );
    // Long holes as actually seen in the samples.
    let gaps = render::long_gaps(&rec.t);
    SynthSession {
        recording: rec,
        truth: Truth {
            seed: cfg.seed,
            rate_hz: rate,
            duration_s: duration,
            mount_deg: mount,
            mount_tilt_deg: tilt,
            bouts: truth_bouts,
            jumps: truth_jumps,
            gaps,
            holes,
            variation: None,
            rein_segments: Vec::new(),
            events: Vec::new(),
        },
    }
}
