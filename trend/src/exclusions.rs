//! Which sessions are left out of which figures, and why.

use crate::Session;
use crate::config::TrendConfig;
use crate::document::Exclusion;
use crate::features::Gait;
use crate::quality::METRICS;

/// Exclusions of whole sessions and of single figures.
pub fn exclusions(sessions: &[Session], cfg: &TrendConfig) -> Vec<Exclusion> {
    let mut out = Vec::new();
    for s in sessions {
        if let Some((reason, detail)) = session_problem(s, cfg) {
            out.push(Exclusion {
                session: s.key.clone(),
                figures: vec!["quality".into()],
                reason: reason.into(),
                detail,
            });
            continue;
        }
        for gait in [Gait::Walk, Gait::Trot, Gait::Canter] {
            if let Some(g) = s.f.gait(gait).filter(|g| g.time_s < cfg.min_gait_s) {
                out.push(Exclusion {
                    session: s.key.clone(),
                    figures: METRICS
                        .iter()
                        .filter(|m| m.gait == gait && !m.is_symmetry())
                        .map(|m| m.id.to_owned())
                        .collect(),
                    reason: "too_little_gait".into(),
                    detail: format!(
                        "{:.0} s of {} (at least {:.0} s needed)",
                        g.time_s,
                        gait.name(),
                        cfg.min_gait_s
                    ),
                });
            }
        }
        let strides = s.f.symmetry.as_ref().map_or(0, |y| y.strides);
        if strides < cfg.min_symmetry_strides {
            out.push(Exclusion {
                session: s.key.clone(),
                figures: vec!["trot.min_diff_mm".into(), "trot.max_diff_mm".into()],
                reason: "too_little_straight_trot".into(),
                detail: format!(
                    "{strides} straight-trot strides measured ({:.0} s of straight trot); at least {} needed",
                    s.f.straight_trot_s, cfg.min_symmetry_strides
                ),
            });
        }
    }
    out
}

/// Why a session gives no quality figure at all.
pub(crate) fn session_problem(s: &Session, cfg: &TrendConfig) -> Option<(&'static str, String)> {
    let q = &s.f.quality;
    if s.f.analysed_s < cfg.min_session_s {
        return Some((
            "too_short",
            format!(
                "{:.0} s analysed (at least {:.0} s needed)",
                s.f.analysed_s, cfg.min_session_s
            ),
        ));
    }
    let gap_share = if s.f.duration_s > 0.0 {
        q.gap_s / s.f.duration_s
    } else {
        1.0
    };
    let clipped = if q.samples > 0 {
        q.clipped_samples as f64 / q.samples as f64
    } else {
        0.0
    };
    if gap_share > cfg.max_gap_share {
        return Some((
            "poor_data_quality",
            format!("{:.0} % of the session lost in gaps", 100.0 * gap_share),
        ));
    }
    if q.effective_rate_hz < cfg.min_effective_rate_hz {
        return Some((
            "poor_data_quality",
            format!("effective sample rate {:.1} Hz", q.effective_rate_hz),
        ));
    }
    if clipped > cfg.max_clipped_share {
        return Some((
            "poor_data_quality",
            format!("{:.1} % of samples clipped", 100.0 * clipped),
        ));
    }
    None
}
