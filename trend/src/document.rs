//! The trend document: every type the worker stores and the CLI prints, in
//! field order. Every field is described in the crate's README.

use serde::{Deserialize, Serialize};

use crate::config::TrendConfig;
use crate::features::Gait;

/// One gait's volume in a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GaitVolume {
    pub gait: Gait,
    pub time_s: f64,
    pub strides: u32,
    pub left_s: f64,
    pub right_s: f64,
    pub straight_s: f64,
    /// (left − right)/(left + right): +1 all left, −1 all right; `None`
    /// without turning.
    pub rein_balance: Option<f64>,
}

/// Riding done in one day or one ISO week.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Volume {
    /// `2026-11-26` (day) or `2026-W48` (ISO week).
    pub period: String,
    /// First day of the period.
    pub start: String,
    pub sessions: u32,
    /// Time in every gait but halt.
    pub riding_s: f64,
    pub strides: u32,
    pub jumps: u32,
    /// Gait-weighted minutes.
    pub load: f64,
    pub left_s: f64,
    pub right_s: f64,
    pub straight_s: f64,
    pub gaits: Vec<GaitVolume>,
}

/// Volume per day (days with riding) and per ISO week.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VolumeSeries {
    pub daily: Vec<Volume>,
    pub weekly: Vec<Volume>,
}

/// One calendar day of the workload series (rest days included).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkloadDay {
    pub date: String,
    /// Gait-weighted minutes ridden that day.
    pub load: f64,
    /// Sums of the daily loads over the last 7 and 28 days (this day included).
    pub rolling_7d: f64,
    pub rolling_28d: f64,
    /// Exponentially weighted acute and chronic loads, per day.
    pub acute: f64,
    pub chronic: f64,
    /// acute / chronic, once the chronic window is full and not negligible.
    pub ratio: Option<f64>,
    /// `low` (< band), `high` (> band), `spike` (> spike limit).
    pub flag: Option<String>,
}

/// One ISO week of workload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkloadWeek {
    pub week: String,
    pub start: String,
    pub load: f64,
    /// Mean / standard deviation of the 7 daily loads (Foster 1998);
    /// complete weeks with varying load only.
    pub monotony: Option<f64>,
    /// Weekly load × monotony.
    pub strain: Option<f64>,
    /// True when the week is cut by the first or last session day.
    pub partial: bool,
}

/// Workload over time.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Workload {
    /// How the ratio is computed (see README).
    pub variant: String,
    pub daily: Vec<WorkloadDay>,
    pub weekly: Vec<WorkloadWeek>,
}

/// Jumps of one session or one week.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JumpCount {
    /// Session start (sessions) or ISO week (weeks).
    pub at: String,
    pub jumps: u32,
    /// Above the configured limit.
    pub over_limit: bool,
}

/// Jump load.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JumpLoad {
    /// Sessions with at least one jump.
    pub sessions: Vec<JumpCount>,
    /// Weeks with at least one jump.
    pub weekly: Vec<JumpCount>,
}

/// One session's value of a quality metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub session: String,
    pub value: f64,
    /// 95 % half-width, where the session measures one.
    pub ci: Option<f64>,
    /// Strides behind the value.
    pub strides: u32,
    /// (value − baseline centre) / spread against the baseline of the
    /// sessions before it; `None` until a baseline exists.
    pub deviation: Option<f64>,
}

/// A robust baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// Median of the baseline sessions.
    pub centre: f64,
    /// 1.4826 × median absolute deviation, floored (see README).
    pub spread: f64,
    pub sessions: u32,
    pub days: u32,
    /// First and last session of the baseline.
    pub from: String,
    pub to: String,
}

/// Least-squares slope per week with its 95 % confidence interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Slope {
    pub per_week: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub sessions: u32,
}

/// The latest value against the baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Latest {
    pub session: String,
    pub value: f64,
    /// In units of the baseline spread.
    pub deviation: Option<f64>,
}

/// One quality metric over time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    /// `trot.cadence_spm`, `trot.min_diff_mm`, …
    pub metric: String,
    pub gait: Gait,
    pub unit: String,
    pub points: Vec<Point>,
    /// The baseline the next session will be judged against.
    pub baseline: Option<Baseline>,
    pub slope: Option<Slope>,
    pub latest: Option<Latest>,
}

/// A value behind an alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// Session start, or day for workload.
    pub at: String,
    pub value: f64,
    /// In units of the baseline spread, where there is one.
    pub deviation: Option<f64>,
}

/// Something the rider should know.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Stable across recomputations: kind, metric and start.
    pub id: String,
    /// `asymmetry`, `cadence_drop`, `regularity_drop`, `workload_spike`,
    /// `jump_overload`, `rein_one_sided`.
    pub kind: String,
    pub metric: String,
    /// `low`, `moderate`, `high`.
    pub severity: String,
    /// `open` or `cleared`.
    pub status: String,
    /// First session (or day) of the episode.
    pub started_at: String,
    /// Session (or day) that confirmed it.
    pub confirmed_at: String,
    /// First session (or day) back within limits.
    pub cleared_at: Option<String>,
    /// A plain sentence for the rider.
    pub message: String,
    /// The baseline it was judged against (quality alerts).
    pub baseline: Option<Baseline>,
    /// The limit that was crossed, in the metric's unit.
    pub threshold: f64,
    /// The values behind it, oldest first (at most 20, the latest kept).
    pub evidence: Vec<Evidence>,
}

/// A session left out of some figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exclusion {
    pub session: String,
    /// `quality` (every quality metric), `symmetry`, or one metric.
    pub figures: Vec<String>,
    /// `too_short`, `poor_data_quality`, `too_little_straight_trot`, `too_little_gait`.
    pub reason: String,
    pub detail: String,
}

/// A horse's trend document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendDocument {
    pub algorithm_version: String,
    pub parameters: TrendConfig,
    pub sessions: u32,
    pub first_session: Option<String>,
    pub last_session: Option<String>,
    pub volume: VolumeSeries,
    pub workload: Workload,
    pub jumps: JumpLoad,
    pub quality: Vec<Metric>,
    pub alerts: Vec<Alert>,
    pub exclusions: Vec<Exclusion>,
}
