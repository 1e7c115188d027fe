//! The versioned result document: every type the worker stores, and the
//! canonical JSON encoding of it.
//!
//! All times are seconds from the first sample of the session, so shifting
//! the timestamps of an upload does not change the document. Floating-point
//! figures are rounded to a fixed number of decimals when the document is
//! built: the bytes stay identical across runs and platforms and do not carry
//! spurious precision.

use serde::{Deserialize, Serialize};

/// The five gaits the analysis tells apart (defined with the trend inputs,
/// which share it).
pub use trend::Gait;

/// Turning direction of a bout (the rein in the riding-school sense: on the
/// left rein the horse turns left, positive yaw rate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rein {
    Left,
    Right,
    Straight,
}

/// Leading leg at canter or gallop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lead {
    Left,
    Right,
    /// The evidence was too weak or contradictory to decide (see
    /// `lead_confidence`): said rather than guessed.
    Unknown,
}

/// Share of a bout's time spent turning left, right or going straight.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct ReinShare {
    pub left: f64,
    pub right: f64,
    pub straight: f64,
}

impl ReinShare {
    /// The rein with the largest share (straight wins ties).
    pub fn dominant(&self) -> Rein {
        if self.left > self.right && self.left > self.straight {
            Rein::Left
        } else if self.right > self.left && self.right > self.straight {
            Rein::Right
        } else {
            Rein::Straight
        }
    }
}

/// Trot symmetry of one straight trot bout, or the stride-weighted summary.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Symmetry {
    /// Lowest trunk position during the left-fore/right-hind diagonal stance
    /// minus that during the right-fore/left-hind stance, in mm.
    pub min_diff_mm: f64,
    /// Highest trunk position after the left-fore/right-hind push-off minus
    /// that after the right-fore/left-hind push-off, in mm.
    pub max_diff_mm: f64,
    /// 100 = both diagonals identical; lower = less symmetric (see README).
    pub symmetry_index: f64,
    /// 10 = within day-to-day variation, 0 = 20 mm or more difference.
    pub score: f64,
    /// Strides the figures are averaged over.
    pub strides: u32,
}

/// A stretch of constant turning direction (the rein timeline).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ReinSegment {
    pub start_s: f64,
    pub end_s: f64,
    pub rein: Rein,
}

/// Trot symmetry measured on one straight stretch of trot (≥ 5 s).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SymmetryStretch {
    pub start_s: f64,
    pub end_s: f64,
    pub min_diff_mm: f64,
    pub max_diff_mm: f64,
    /// 95 % half-widths (grouped jackknife over the strides); `None` with
    /// fewer than 6 strides.
    pub min_diff_ci_mm: Option<f64>,
    pub max_diff_ci_mm: Option<f64>,
    /// As in [`Symmetry`].
    pub symmetry_index: f64,
    pub strides: u32,
}

/// One homogeneous stretch of one gait.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bout {
    pub start_s: f64,
    pub end_s: f64,
    pub gait: Gait,
    /// Strides per second (0 at halt).
    pub stride_hz: f64,
    /// Strides per minute (0 at halt).
    pub cadence_spm: f64,
    pub strides: u32,
    /// Stride-to-stride similarity, 0–1 (normalised autocorrelation at the
    /// stride period).
    pub regularity: f64,
    pub rein: ReinShare,
    pub dominant_rein: Rein,
    /// Canter and gallop only.
    pub lead: Option<Lead>,
    /// Canter and gallop only: 0–1, the weaker of the two agreeing cues;
    /// below 0.3 (or with cues that disagree) the lead is `unknown`.
    pub lead_confidence: Option<f64>,
    /// Canter and gallop with a decided lead: lead opposite to the turning
    /// direction.
    pub counter_canter: Option<bool>,
    /// Peak-to-peak vertical trunk displacement over a stride, in cm.
    pub elevation_cm: f64,
    /// Trot bouts with straight stretches of at least 5 s: stride-weighted
    /// over those stretches.
    pub symmetry: Option<Symmetry>,
}

impl Bout {
    /// Duration in seconds.
    pub fn duration_s(&self) -> f64 {
        self.end_s - self.start_s
    }
}

/// Totals for one gait over the session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GaitSummary {
    pub gait: Gait,
    pub time_s: f64,
    /// Share of the analysed (gap-free) time.
    pub share: f64,
    pub strides: u32,
    pub mean_cadence_spm: f64,
    pub regularity: f64,
    pub elevation_cm: f64,
    /// Seconds on each rein.
    pub left_s: f64,
    pub right_s: f64,
    pub straight_s: f64,
    /// (left − right) / (left + right): +1 all left, −1 all right, 0 balanced.
    pub rein_balance: f64,
}

/// One detected jump.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Jump {
    /// Take-off (start of flight), seconds from session start.
    pub time_s: f64,
    pub flight_s: f64,
    /// g·T²/8: rise of the trunk's centre during a ballistic flight of T.
    pub rise_cm: f64,
    /// Cadence over the last strides before take-off (0 when unknown).
    pub approach_cadence_spm: f64,
    /// Canter strides since the previous fence, when both were jumped in the
    /// same canter bout.
    pub strides_from_previous: Option<u32>,
}

/// Gait-weighted time and dynamic body acceleration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workload {
    /// Σ gait weight × minutes (walk 1, trot 2, canter 3, gallop 4).
    pub gait_weighted_min: f64,
    /// Mean vector dynamic body acceleration over the analysed time, in g.
    pub mean_vedba_g: f64,
    /// VeDBA integrated over time, in g·s.
    pub total_vedba_gs: f64,
}

/// A hole in the data longer than 1 s; bouts never span one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gap {
    pub start_s: f64,
    pub end_s: f64,
}

/// Facts about the recording itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quality {
    pub samples: u64,
    pub duration_s: f64,
    /// Duration minus gaps.
    pub analysed_s: f64,
    /// Samples per second over the gap-free time.
    pub effective_rate_hz: f64,
    /// Gaps over 1 s (bouts are split there).
    pub gaps: Vec<Gap>,
    /// Holes shorter than 1 s that were interpolated.
    pub short_gaps: u32,
    /// Samples at a channel's saturated extreme (runs of equal extreme values).
    pub clipped_samples: u64,
    /// Angle between the sensor's z axis and the vertical, in degrees.
    pub mount_tilt_deg: f64,
    /// Mount rotation about the vertical estimated from turns, in degrees.
    pub mount_heading_deg: f64,
    /// False when too little turning was seen to estimate the heading.
    pub heading_estimated: bool,
}

/// The versioned analysis of one session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionAnalysis {
    pub algorithm_version: String,
    pub bouts: Vec<Bout>,
    pub gaits: Vec<GaitSummary>,
    /// Stride-weighted mean over the straight trot stretches.
    pub symmetry: Option<Symmetry>,
    /// Every straight stretch of trot of at least 5 s, in time order.
    pub symmetry_stretches: Vec<SymmetryStretch>,
    /// Left / right / straight over the analysed time, in time order; time
    /// per rein and the bouts' rein shares come from it.
    pub rein_timeline: Vec<ReinSegment>,
    pub jumps: Vec<Jump>,
    /// Changes of gait between consecutive bouts (gaps excluded).
    pub transitions: u32,
    pub workload: Workload,
    pub quality: Quality,
}

/// Canonical bytes of an analysis: compact JSON, fields in declaration order.
/// Same analysis → byte-identical output; this is what the worker stores and
/// what `hoofbeat analyze --format json` prints.
pub fn to_json(analysis: &SessionAnalysis) -> Vec<u8> {
    // Serialising plain structs of numbers, strings and enums cannot fail;
    // fall back to an empty object rather than panicking all the same.
    serde_json::to_vec(analysis).unwrap_or_else(|_| b"{}".to_vec())
}

/// Round to `decimals` places; non-finite values become 0 so the document is
/// always valid JSON.
pub(crate) fn round(x: f64, decimals: i32) -> f64 {
    if !x.is_finite() {
        return 0.0;
    }
    let p = 10f64.powi(decimals);
    let r = (x * p).round() / p;
    if r == 0.0 { 0.0 } else { r }
}
