//! Parameters of the trend algorithms, with their defaults and where each
//! comes from. They are copied into every document, so a reader always knows
//! which limits produced its flags.

use serde::{Deserialize, Serialize};

/// Every tunable of the trend. [`TrendConfig::default`] is what the server
/// and the CLI use unless told otherwise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrendConfig {
    /// Days of the acute window (exponentially weighted, λ = 2/(N+1)).
    pub acute_days: u32,
    /// Days of the chronic window; ratios appear once this much history exists.
    pub chronic_days: u32,
    /// The acute:chronic band considered normal (Gabbett 2016: 0.8–1.3).
    pub acwr_low: f64,
    pub acwr_high: f64,
    /// Above this ratio a workload spike is alerted (Gabbett 2016's "danger
    /// zone" starts at 1.5).
    pub acwr_spike: f64,
    /// Chronic load (gait-weighted min/day) below which no ratio is given:
    /// a ratio over next to nothing says nothing.
    pub min_chronic_load: f64,
    /// Jumps in one session above which it is flagged.
    pub jumps_per_session_limit: u32,
    /// Jumps in one ISO week above which it is flagged.
    pub jumps_per_week_limit: u32,
    /// A session shorter than this (analysed seconds) gives no quality figure.
    pub min_session_s: f64,
    /// A gait needs this many seconds in a session to give its cadence,
    /// regularity and elevation.
    pub min_gait_s: f64,
    /// Fewest straight-trot strides for a session's MinDiff/MaxDiff.
    pub min_symmetry_strides: u32,
    /// Poor data: more than this share of the session lost in gaps …
    pub max_gap_share: f64,
    /// … or an effective sample rate below this …
    pub min_effective_rate_hz: f64,
    /// … or more than this share of samples clipped.
    pub max_clipped_share: f64,
    /// Baseline: sessions in this many days before the one judged …
    pub baseline_days: u32,
    /// … at most this many of the most recent …
    pub baseline_max_sessions: u32,
    /// … and at least this many, on at least `baseline_min_days` days.
    pub baseline_min_sessions: u32,
    pub baseline_min_days: u32,
    /// Slope: over the included sessions of this many days before the latest.
    pub slope_days: u32,
    /// A value deviates when it is further from the baseline centre than
    /// `deviation_k` spreads, and than the metric's floor below.
    pub deviation_k: f64,
    /// Floor of the asymmetry threshold, mm: sound horses' withers
    /// MinDiff/MaxDiff vary about 3–4 mm from day to day.
    pub asymmetry_floor_mm: f64,
    /// Floor of the cadence-drop threshold, strides/min.
    pub cadence_floor_spm: f64,
    /// Floor of the regularity-drop threshold.
    pub regularity_floor: f64,
    /// A deviation is confirmed by a second deviating session in the same
    /// direction within this many days …
    pub confirm_days: u32,
    /// … or, for asymmetry, by one session with at least this many
    /// straight-trot strides over at least three stretches, whose confidence
    /// interval stays past `confirm_strong_factor` × the threshold (a
    /// session can be biased as a whole — a shifted mount, an odd surface —
    /// which its own interval cannot show, hence the margin).
    pub confirm_strides: u32,
    pub confirm_strong_factor: f64,
    /// An open alert clears when the value comes back within this share of
    /// the threshold (hysteresis: no flapping around the limit).
    pub clear_fraction: f64,
    /// Rein balance (left − right)/(left + right) beyond ± this is one-sided
    /// (1/3 = a 2:1 split).
    pub rein_one_sided: f64,
    /// … in this many consecutive sessions that turned at the gait …
    pub rein_sessions: u32,
    /// … each with at least this many seconds on a turn at that gait.
    pub rein_min_turn_s: f64,
}

impl Default for TrendConfig {
    fn default() -> Self {
        TrendConfig {
            acute_days: 7,
            chronic_days: 28,
            acwr_low: 0.8,
            acwr_high: 1.3,
            acwr_spike: 1.5,
            min_chronic_load: 5.0,
            jumps_per_session_limit: 45,
            jumps_per_week_limit: 90,
            min_session_s: 300.0,
            min_gait_s: 60.0,
            min_symmetry_strides: 20,
            max_gap_share: 0.2,
            min_effective_rate_hz: 20.0,
            max_clipped_share: 0.01,
            baseline_days: 56,
            baseline_max_sessions: 20,
            baseline_min_sessions: 4,
            baseline_min_days: 3,
            slope_days: 56,
            deviation_k: 3.0,
            asymmetry_floor_mm: 3.5,
            cadence_floor_spm: 2.0,
            regularity_floor: 0.05,
            confirm_days: 14,
            confirm_strides: 150,
            confirm_strong_factor: 2.0,
            clear_fraction: 0.75,
            rein_one_sided: 1.0 / 3.0,
            rein_sessions: 5,
            rein_min_turn_s: 120.0,
        }
    }
}
