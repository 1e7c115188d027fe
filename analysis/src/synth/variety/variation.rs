//! What the varied generator varies: the [`Variation`] of one session, the
//! wide evaluation set's variations and configs, and the kinds that appear
//! in a varied session's truth (canter body model, soft jump, events, rein
//! segments).

use serde::{Deserialize, Serialize};

use super::STREAM_WIDE;
use crate::report::Rein;
use crate::synth::SynthConfig;
use crate::synth::rng::Rng;

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
