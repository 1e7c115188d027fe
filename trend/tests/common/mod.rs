//! Hand-built session features for the trend tests.

#![allow(dead_code)]

use trend::{DataQuality, FEATURES_VERSION, Gait, GaitFeatures, SessionFeatures, SymmetryFeatures};

/// Monday 2026-09-07 09:00 UTC.
pub const T0: i64 = 1_788_771_600_000;
pub const DAY: i64 = 86_400_000;

/// A 40-minute session on day `day` with ordinary figures.
pub fn session(day: i64) -> SessionFeatures {
    let gait = |gait, time_s: f64, cadence: f64| GaitFeatures {
        gait,
        time_s,
        strides: (time_s * cadence / 60.0) as u32,
        cadence_spm: cadence,
        regularity: 0.9,
        elevation_cm: 8.0,
        left_s: time_s * 0.3,
        right_s: time_s * 0.3,
        straight_s: time_s * 0.4,
    };
    SessionFeatures {
        features_version: FEATURES_VERSION,
        started_at_ms: T0 + day * DAY,
        analysis_version: "aggregation/1.0.0".into(),
        duration_s: 2400.0,
        analysed_s: 2400.0,
        gaits: vec![
            gait(Gait::Halt, 120.0, 0.0),
            gait(Gait::Walk, 1080.0, 52.0),
            gait(Gait::Trot, 720.0, 82.0),
            gait(Gait::Canter, 480.0, 98.0),
        ],
        jumps: 0,
        load: 18.0 + 24.0 + 24.0,
        vedba_gs: 900.0,
        straight_trot_s: 288.0,
        symmetry: Some(SymmetryFeatures {
            min_diff_mm: 0.5,
            max_diff_mm: -0.5,
            strides: 60,
            stretches: 3,
            min_diff_ci_mm: Some(1.5),
            max_diff_ci_mm: Some(1.5),
        }),
        quality: DataQuality {
            samples: 240_000,
            gap_s: 0.0,
            effective_rate_hz: 100.0,
            clipped_samples: 0,
        },
    }
}

/// Sets the trot MinDiff of a session.
pub fn with_min_diff(mut s: SessionFeatures, mm: f64) -> SessionFeatures {
    if let Some(y) = s.symmetry.as_mut() {
        y.min_diff_mm = mm;
    }
    s
}

/// Small deterministic wobble in ±amp, different per index.
pub fn wobble(i: i64, amp: f64) -> f64 {
    let x = ((i * 7919 + 13) % 97) as f64 / 96.0;
    amp * (2.0 * x - 1.0)
}
