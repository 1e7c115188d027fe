//! The compact per-session figures the trend runs on, derived from an
//! analysis document (never from samples). The worker stores them beside
//! each analysis; `hoofbeat trend` derives them the same way, so both feed
//! the trend identical inputs.

use trend::{DataQuality, FEATURES_VERSION, GaitFeatures, SessionFeatures, SymmetryFeatures};

use crate::report::{Gait, SessionAnalysis, round};

/// The trend inputs of one analysed session that started at `started_at_ms`
/// (Unix milliseconds).
pub fn from_analysis(a: &SessionAnalysis, started_at_ms: i64) -> SessionFeatures {
    let gaits = a
        .gaits
        .iter()
        .map(|g| GaitFeatures {
            gait: g.gait,
            time_s: g.time_s,
            strides: g.strides,
            cadence_spm: g.mean_cadence_spm,
            regularity: g.regularity,
            elevation_cm: g.elevation_cm,
            left_s: g.left_s,
            right_s: g.right_s,
            straight_s: g.straight_s,
        })
        .collect();
    let straight_trot_s: f64 = a
        .bouts
        .iter()
        .filter(|b| b.gait == Gait::Trot)
        .map(|b| b.duration_s() * b.rein.straight)
        .sum();
    let q = &a.quality;
    SessionFeatures {
        features_version: FEATURES_VERSION,
        started_at_ms,
        analysis_version: a.algorithm_version.clone(),
        duration_s: q.duration_s,
        analysed_s: q.analysed_s,
        gaits,
        jumps: a.jumps.len() as u32,
        load: a.workload.gait_weighted_min,
        vedba_gs: a.workload.total_vedba_gs,
        straight_trot_s: round(straight_trot_s, 1),
        symmetry: symmetry(a),
        quality: DataQuality {
            samples: q.samples,
            gap_s: round(q.gaps.iter().map(|g| g.end_s - g.start_s).sum(), 3),
            effective_rate_hz: q.effective_rate_hz,
            clipped_samples: q.clipped_samples,
        },
    }
}

/// Stride-weighted MinDiff/MaxDiff over the session's straight trot
/// stretches, with a 95 % half-width: from the stretches' own intervals
/// (combined as for a weighted mean of independent estimates) when every
/// stretch has one, else from the spread between stretches (none with a
/// single stretch).
fn symmetry(a: &SessionAnalysis) -> Option<SymmetryFeatures> {
    let s = &a.symmetry_stretches;
    let strides: u32 = s.iter().map(|y| y.strides).sum();
    if strides == 0 {
        return None;
    }
    let w: Vec<f64> = s.iter().map(|y| f64::from(y.strides)).collect();
    let sw: f64 = w.iter().sum();
    let ci = |x: &dyn Fn(usize) -> f64, h: &dyn Fn(usize) -> Option<f64>| -> (f64, Option<f64>) {
        let mean = (0..s.len()).map(|i| w[i] * x(i)).sum::<f64>() / sw;
        let own: Option<Vec<f64>> = (0..s.len()).map(h).collect();
        let half = match own {
            Some(hs) => Some(
                (0..s.len())
                    .map(|i| (w[i] * hs[i]).powi(2))
                    .sum::<f64>()
                    .sqrt()
                    / sw,
            ),
            None => {
                let n_eff = sw * sw / w.iter().map(|v| v * v).sum::<f64>();
                (s.len() >= 2 && n_eff > 1.5).then(|| {
                    let var = (0..s.len())
                        .map(|i| w[i] * (x(i) - mean).powi(2))
                        .sum::<f64>()
                        / sw;
                    trend::stats::t975(n_eff.round() as usize - 1) * (var / (n_eff - 1.0)).sqrt()
                })
            }
        };
        (round(mean, 2), half.map(|v| round(v, 2)))
    };
    let (min_diff_mm, min_diff_ci_mm) = ci(&|i| s[i].min_diff_mm, &|i| s[i].min_diff_ci_mm);
    let (max_diff_mm, max_diff_ci_mm) = ci(&|i| s[i].max_diff_mm, &|i| s[i].max_diff_ci_mm);
    Some(SymmetryFeatures {
        min_diff_mm,
        max_diff_mm,
        strides,
        stretches: s.len() as u32,
        min_diff_ci_mm,
        max_diff_ci_mm,
    })
}
