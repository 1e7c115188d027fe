//! What the generator is asked for and what it knows: the configuration,
//! the generated session and its ground truth (bouts, jumps, holes and, for
//! varied sessions, the variation, rein segments and events).

use serde::{Deserialize, Serialize};
use shared::sensor::Recording;

use super::variety;
use crate::report::{Gait, Lead, Rein};

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct SynthConfig {
    pub seed: u64,
    pub minutes: f64,
    /// Device sample rate in Hz.
    pub rate_hz: f64,
}

/// A generated session and its truth.
#[derive(Debug, Clone)]
pub struct SynthSession {
    pub recording: Recording,
    pub truth: Truth,
}

/// Ground truth of one bout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TruthBout {
    pub start_s: f64,
    pub end_s: f64,
    pub gait: Gait,
    /// Strides / total stride time of the bout's normal strides (0 at halt).
    pub stride_hz: f64,
    pub strides: u32,
    pub rein: Rein,
    pub lead: Option<Lead>,
    pub counter_canter: Option<bool>,
    pub elevation_cm: f64,
    /// Trot only.
    pub min_diff_mm: Option<f64>,
    pub max_diff_mm: Option<f64>,
}

/// Ground truth of one jump.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TruthJump {
    /// Start of the flight, seconds from the first sample.
    pub time_s: f64,
    pub flight_s: f64,
    pub rise_cm: f64,
    /// Canter strides since the previous fence of the same bout.
    pub strides_from_previous: Option<u32>,
    /// Varied sessions only: peak take-off specific force (g) and the kind
    /// of soft jump (`None` = a normal jump).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_g: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub soft: Option<variety::SoftKind>,
}

/// Everything the generator knows about a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    pub seed: u64,
    pub rate_hz: f64,
    pub duration_s: f64,
    /// Mount rotation (roll, pitch, yaw) in degrees and the resulting tilt.
    pub mount_deg: [f64; 3],
    pub mount_tilt_deg: f64,
    pub bouts: Vec<TruthBout>,
    pub jumps: Vec<TruthJump>,
    /// Holes longer than 1 s, [start, end] in seconds.
    pub gaps: Vec<[f64; 2]>,
    /// Every injected hole (also the short, interpolated ones).
    pub holes: Vec<[f64; 2]>,
    /// Varied sessions only (absent from the default generator's truth):
    /// what was varied, the rein per time (segments covering every bout; a
    /// bout on an arena track mixes straight lines, corners and circles) and
    /// the events inside the surrounding gait (spooks, bucks, lateral work,
    /// rising trot).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variation: Option<variety::Variation>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rein_segments: Vec<variety::TruthReinSegment>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<variety::TruthEvent>,
}
