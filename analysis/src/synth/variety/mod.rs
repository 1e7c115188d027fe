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

mod events;
mod jumps;
mod shape;
mod track;
mod variation;

use std::f64::consts::PI;

use super::physics::{self, GaitShape};
use super::render::{self, Cycle, Link, Sensor};
use super::rng::Rng;
use super::{
    BoutPlan, Horse, SessionMods, SynthConfig, SynthSession, Truth, TruthBout, TruthJump,
    next_gait, plan_bout,
};
use crate::report::{Gait, Lead, Rein};
use events::Event;
use track::Seg;
pub use variation::{CanterModel, EventKind, SoftKind, TruthEvent, TruthReinSegment, Variation};

/// Independent RNG streams of the varied generator.
const STREAM_PLAN: u64 = 0x7661_7269_6574_7901;
const STREAM_SIGNAL: u64 = 0x7661_7269_6574_7902;
const STREAM_WIDE: u64 = 0x7661_7269_6574_7903;

/// A varied bout as rendered: its speed, shape (and lateral-work variant)
/// and the phase of the straight line's wander.
#[derive(Debug, Clone)]
struct VBout {
    speed: f64,
    shape: GaitShape,
    lateral: GaitShape,
    wander_phase: f64,
}

/// A planned varied session: everything but the signal.
#[derive(Default)]
struct Plan {
    bouts: Vec<VBout>,
    cycles: Vec<Cycle>,
    segs: Vec<Seg>,
    events: Vec<Event>,
    truth_bouts: Vec<TruthBout>,
    truth_jumps: Vec<TruthJump>,
    truth_events: Vec<TruthEvent>,
}

/// Generates one varied session. The same (config, variation) always gives
/// the same session; [`super::generate`] is not affected.
pub fn generate_varied(cfg: &SynthConfig, var: &Variation) -> SynthSession {
    let rate = cfg.rate_hz.clamp(
        shared::sensor::MIN_SAMPLE_RATE_HZ,
        shared::sensor::MAX_SAMPLE_RATE_HZ,
    );
    let (mut plan, duration) = plan_session(cfg, var);
    let mut truth_events = std::mem::take(&mut plan.truth_events);
    plan.events
        .sort_by(|a, b| a.span().0.total_cmp(&b.span().0));
    for e in &plan.events {
        let (start_s, end_s) = e.span();
        truth_events.push(TruthEvent {
            kind: e.kind(),
            start_s,
            end_s,
        });
    }
    truth_events.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));

    // Signal stream: mount, bias, holes, drops and noise.
    let mut sr = Rng::new(cfg.seed ^ STREAM_SIGNAL);
    let mount = draw_mount(var.max_tilt_deg, &mut sr);
    let sensor = Sensor::draw(mount, rate, &mut sr);
    let holes = draw_holes(var.radio_gaps, duration, &mut sr);
    let link = Link {
        drop_rate: var.drop_rate,
        holes: &holes,
    };
    let rec = render::render(rate, duration, &plan.cycles, &sensor, &link, &mut sr, {
        let plan = &plan;
        let mut si = 0usize;
        move |cy, tk| {
            while si + 1 < plan.segs.len() && tk >= plan.segs[si].t1 {
                si += 1;
            }
            stride_state(plan, si, cy, tk)
        }
    });
    SynthSession {
        truth: Truth {
            seed: cfg.seed,
            rate_hz: rate,
            duration_s: duration,
            mount_deg: mount,
            mount_tilt_deg: sensor.tilt_deg,
            bouts: plan.truth_bouts,
            jumps: plan.truth_jumps,
            gaps: render::long_gaps(&rec.t),
            holes,
            variation: Some(var.clone()),
            rein_segments: track::rein_segments(&plan.segs),
            events: truth_events,
        },
        recording: rec,
    }
}

/// Trunk state during a stride: the bout's shape (lateral variant in lateral
/// work) on the track's stretch `si`, plus any spook or buck under way.
fn stride_state(plan: &Plan, si: usize, cy: &Cycle, tk: f64) -> physics::TrunkState {
    let b = &plan.bouts[cy.bout];
    let seg = plan.segs.get(si).copied().unwrap_or(Seg {
        t0: 0.0,
        t1: 0.0,
        yaw: 0.0,
        lateral: false,
    });
    let shape = if seg.lateral { &b.lateral } else { &b.shape };
    let mut state = render::stride_state(cy, tk, shape, seg.yaw, b.wander_phase, b.speed);
    for e in &plan.events {
        let (a0, a1) = e.span();
        if tk >= a0 && tk < a1 {
            e.apply(tk, &mut state);
        }
    }
    state
}

/// Mount tilt uniform in [0, max] with a random direction (roll and pitch
/// solved so the tilt is exact), heading ±25°; (roll, pitch, yaw) in degrees.
fn draw_mount(max_tilt_deg: f64, sr: &mut Rng) -> [f64; 3] {
    let tilt = sr.range(0.0, max_tilt_deg.clamp(0.0, 89.0));
    let azimuth = sr.range(0.0, 2.0 * PI);
    let roll = tilt * azimuth.cos();
    let pitch_ratio = (tilt.to_radians().cos() / roll.to_radians().cos()).clamp(-1.0, 1.0);
    let pitch = pitch_ratio.acos().to_degrees() * azimuth.sin().signum();
    [roll, pitch, sr.range(-25.0, 25.0f64)]
}

/// `radio_gaps` holes of 1–4 s and 0–5 short ones of 0.1–0.8 s.
fn draw_holes(radio_gaps: u32, duration: f64, sr: &mut Rng) -> Vec<[f64; 2]> {
    let mut holes: Vec<[f64; 2]> = Vec::new();
    for _ in 0..radio_gaps {
        let s = sr.range(0.05, 0.95) * duration;
        holes.push([s, s + sr.range(1.0, 4.0)]);
    }
    for _ in 0..(sr.unit() * 6.0) as usize {
        let s = sr.range(0.05, 0.95) * duration;
        holes.push([s, s + sr.range(0.1, 0.8)]);
    }
    holes
}

/// Plans the bouts (gait chain of the base generator), their cycles, track
/// and events, and the truth; returns the plan and the session's duration.
fn plan_session(cfg: &SynthConfig, var: &Variation) -> (Plan, f64) {
    let mut rng = Rng::new(cfg.seed ^ STREAM_PLAN);
    let horse = Horse::new(&mut rng);
    let total = (cfg.minutes * 60.0).max(1.0);
    let mut plan = Plan::default();
    let mut t = 0.0;
    let mut gait = Gait::Halt;
    while t < total {
        t = plan_bout_varied(&mut plan, &horse, gait, (t, total), var, &mut rng);
        gait = next_gait(gait, &mut rng);
    }
    (plan, t)
}

/// Plans one bout of `gait` starting at `t` (cut at `total`) into `plan`;
/// returns its end.
fn plan_bout_varied(
    plan: &mut Plan,
    horse: &Horse,
    gait: Gait,
    (start, total): (f64, f64),
    var: &Variation,
    rng: &mut Rng,
) -> f64 {
    let mods = SessionMods::default();
    let collection = (var.collection + 0.3 * rng.normal()).clamp(-1.0, 1.0);
    let (mut bp, planned) = plan_bout(gait, horse, &mods, None, rng);
    let arena_bout =
        var.arena && matches!(gait, Gait::Walk | Gait::Trot | Gait::Canter) && bp.jumps == 0;
    if arena_bout {
        arena_hand_and_lead(&mut bp, gait, rng);
    }
    if gait != Gait::Halt {
        bp.stride_hz *= 1.0 - 0.04 * collection.abs();
        bp.speed *= (1.0 + 0.25 * collection) * var.size.sqrt();
    }
    let shape = shape::varied_shape(horse, gait, bp.lead, var, collection, bp.stride_hz, rng);
    let lateral = shape::lateral_shape(&shape, rng);
    let truth_jumps = &mut plan.truth_jumps;
    let layout = render::lay_out_bout(
        gait == Gait::Halt,
        bp.stride_hz,
        bp.jumps,
        planned,
        (start, (start + planned).min(total)),
        plan.bouts.len(),
        &mods,
        rng,
        &mut plan.cycles,
        |rng, at| {
            let (kind, dur, truth) = jumps::draw_fence(var, rng, &at);
            truth_jumps.push(truth);
            (kind, dur)
        },
    );
    let end = layout.end;
    let track = bout_track(
        &bp,
        gait,
        arena_bout,
        (start, end),
        var,
        rng,
        &mut plan.truth_events,
    );
    if shape::is_rising(&shape) {
        plan.truth_events.push(TruthEvent {
            kind: EventKind::RisingTrot,
            start_s: start,
            end_s: end,
        });
    }
    if gait != Gait::Halt && bp.jumps == 0 && end - start >= 15.0 {
        events::draw_for_bout(gait, (start, end), var, rng, &mut plan.events);
    }
    let rein = dominant_rein(&track);
    let (min_diff_mm, max_diff_mm) = if gait == Gait::Trot {
        let (mn, mx, _) = crate::symmetry::diffs(|th| physics::value(&shape.z, th));
        (Some(mn * 1000.0), Some(mx * 1000.0))
    } else {
        (None, None)
    };
    let n = layout.strides;
    plan.truth_bouts.push(TruthBout {
        start_s: start,
        end_s: end,
        gait,
        stride_hz: if n > 0 {
            n as f64 / layout.stride_time
        } else {
            0.0
        },
        strides: n,
        rein,
        lead: bp.lead,
        counter_canter: bp.lead.map(|l| {
            matches!(
                (l, rein),
                (Lead::Left, Rein::Right) | (Lead::Right, Rein::Left)
            )
        }),
        elevation_cm: physics::peak_to_peak(&shape.z) * 100.0,
        min_diff_mm,
        max_diff_mm,
    });
    plan.segs.extend(track);
    plan.bouts.push(VBout {
        speed: bp.speed,
        shape,
        lateral,
        wander_phase: bp.wander_phase,
    });
    end
}

/// An arena bout rides on a hand (never straight); a canter bout's lead is
/// the hand's, 15 % counter-canter.
fn arena_hand_and_lead(bp: &mut BoutPlan, gait: Gait, rng: &mut Rng) {
    if bp.rein == Rein::Straight {
        bp.rein = if rng.chance(0.5) {
            Rein::Left
        } else {
            Rein::Right
        };
    }
    if gait.has_lead() {
        let natural = if bp.rein == Rein::Left {
            Lead::Left
        } else {
            Lead::Right
        };
        let counter = rng.chance(0.15);
        bp.lead = Some(match (natural, counter) {
            (Lead::Left, true) => Lead::Right,
            (Lead::Right, true) => Lead::Left,
            (l, _) => l,
        });
    }
}

/// The bout's track (arena figures, or one rein for the whole bout), cut at
/// its end, with lateral work on straight stretches recorded as events.
fn bout_track(
    bp: &BoutPlan,
    gait: Gait,
    arena_bout: bool,
    (start, end): (f64, f64),
    var: &Variation,
    rng: &mut Rng,
    truth_events: &mut Vec<TruthEvent>,
) -> Vec<Seg> {
    let lateral_ok = matches!(gait, Gait::Walk | Gait::Trot | Gait::Canter) && bp.jumps == 0;
    let mut track = if arena_bout {
        track::arena_track(gait, bp.speed, bp.rein, start, end, var.lateral_work, rng)
    } else {
        vec![Seg {
            t0: start,
            t1: end,
            yaw: bp.yaw_dps.to_radians(),
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
    track
}

/// The rein the track spends most time on (straight on a tie).
fn dominant_rein(track: &[Seg]) -> Rein {
    let mut share = [0.0f64; 3];
    for s in track {
        share[s.rein() as usize] += s.t1 - s.t0;
    }
    if share[0] > share[1] && share[0] > share[2] {
        Rein::Left
    } else if share[1] > share[0] && share[1] > share[2] {
        Rein::Right
    } else {
        Rein::Straight
    }
}
