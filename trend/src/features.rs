//! The per-session inputs of the trend: a few hundred bytes per session,
//! derived from the session's analysis (never from raw samples) and stored
//! beside it, so that a trend over 1,000 sessions reads 1,000 small rows.

use serde::{Deserialize, Serialize};

/// Version of the [`SessionFeatures`] layout; bumped when a field changes
/// meaning, so that stored rows can be recomputed from their analyses.
pub const FEATURES_VERSION: u32 = 1;

/// The five gaits the analysis tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gait {
    Halt,
    Walk,
    Trot,
    Canter,
    Gallop,
}

impl Gait {
    /// Every gait in table order.
    pub const ALL: [Gait; 5] = [
        Gait::Halt,
        Gait::Walk,
        Gait::Trot,
        Gait::Canter,
        Gait::Gallop,
    ];

    /// Vertical oscillations of the trunk per stride: two at the symmetric
    /// gaits (one per diagonal or per hind step), one at canter and gallop.
    pub fn beats_per_stride(self) -> f64 {
        match self {
            Gait::Halt | Gait::Canter | Gait::Gallop => 1.0,
            Gait::Walk | Gait::Trot => 2.0,
        }
    }

    /// Relative effort used for the gait-weighted workload (walk = 1).
    pub fn workload_weight(self) -> f64 {
        match self {
            Gait::Halt => 0.0,
            Gait::Walk => 1.0,
            Gait::Trot => 2.0,
            Gait::Canter => 3.0,
            Gait::Gallop => 4.0,
        }
    }

    /// Lower-case name as used in the JSON documents.
    pub fn name(self) -> &'static str {
        match self {
            Gait::Halt => "halt",
            Gait::Walk => "walk",
            Gait::Trot => "trot",
            Gait::Canter => "canter",
            Gait::Gallop => "gallop",
        }
    }

    /// True for canter and gallop, the gaits that have a lead.
    pub fn has_lead(self) -> bool {
        matches!(self, Gait::Canter | Gait::Gallop)
    }
}

/// One gait's figures in one session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GaitFeatures {
    pub gait: Gait,
    pub time_s: f64,
    pub strides: u32,
    /// Strides per minute over the gait's time.
    pub cadence_spm: f64,
    /// Stride-to-stride similarity, 0–1.
    pub regularity: f64,
    /// Peak-to-peak vertical trunk displacement over a stride, in cm.
    pub elevation_cm: f64,
    /// Seconds turning left, turning right and going straight.
    pub left_s: f64,
    pub right_s: f64,
    pub straight_s: f64,
}

/// Trot symmetry of one session: stride-weighted over its straight trot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SymmetryFeatures {
    /// MinDiff in mm (sign convention: see the analysis README).
    pub min_diff_mm: f64,
    /// MaxDiff in mm.
    pub max_diff_mm: f64,
    /// Straight-trot strides the figures rest on.
    pub strides: u32,
    /// Straight-trot stretches measured.
    pub stretches: u32,
    /// Half-width of the 95 % confidence interval of MinDiff and MaxDiff
    /// (from the spread between stretches); `None` with a single stretch.
    pub min_diff_ci_mm: Option<f64>,
    pub max_diff_ci_mm: Option<f64>,
}

/// Facts about the recording that decide whether its figures are trusted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataQuality {
    pub samples: u64,
    /// Seconds lost in gaps longer than 1 s.
    pub gap_s: f64,
    pub effective_rate_hz: f64,
    /// Samples at a channel's saturated extreme.
    pub clipped_samples: u64,
}

/// Everything the trend needs of one session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionFeatures {
    /// [`FEATURES_VERSION`] of this layout.
    pub features_version: u32,
    /// Session start, Unix milliseconds (UTC).
    pub started_at_ms: i64,
    /// Version of the aggregation that produced the figures.
    pub analysis_version: String,
    pub duration_s: f64,
    /// Duration minus gaps.
    pub analysed_s: f64,
    /// Gaits with any time, in table order.
    pub gaits: Vec<GaitFeatures>,
    pub jumps: u32,
    /// Gait-weighted minutes (walk 1, trot 2, canter 3, gallop 4).
    pub load: f64,
    /// Vector dynamic body acceleration integrated over the session, g·s.
    pub vedba_gs: f64,
    /// Seconds of trot going straight (where symmetry can be measured).
    pub straight_trot_s: f64,
    pub symmetry: Option<SymmetryFeatures>,
    pub quality: DataQuality,
}

impl SessionFeatures {
    /// This session's figures for one gait, if it has any time in it.
    pub fn gait(&self, gait: Gait) -> Option<&GaitFeatures> {
        self.gaits.iter().find(|g| g.gait == gait)
    }

    /// Riding time: every gait but halt.
    pub fn riding_s(&self) -> f64 {
        self.gaits
            .iter()
            .filter(|g| g.gait != Gait::Halt)
            .map(|g| g.time_s)
            .sum()
    }
}
