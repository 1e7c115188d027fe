//! Rein balance across sessions: the `rein_one_sided` alert when, session
//! after session, a gait is worked mostly on one hand.

use crate::Session;
use crate::config::TrendConfig;
use crate::document::{Alert, Evidence};
use crate::features::Gait;
use crate::stats::round;
use crate::workload::push_evidence;

/// Rein balance per gait, session by session: an alert when it stays
/// one-sided over consecutive sessions that turned at that gait.
pub fn rein_alerts(sessions: &[Session], cfg: &TrendConfig) -> Vec<Alert> {
    let mut alerts = Vec::new();
    for gait in [Gait::Walk, Gait::Trot, Gait::Canter] {
        let mut run: Vec<(usize, f64)> = Vec::new();
        let mut open: Option<Alert> = None;
        for (i, s) in sessions.iter().enumerate() {
            let Some(g) = s.f.gait(gait) else { continue };
            let turn = g.left_s + g.right_s;
            if turn < cfg.rein_min_turn_s {
                continue;
            }
            let b = (g.left_s - g.right_s) / turn;
            let one_sided = b.abs() > cfg.rein_one_sided;
            let ev = Evidence {
                at: s.key.clone(),
                value: round(b, 3),
                deviation: None,
            };
            if let Some(a) = open.as_mut() {
                if one_sided && b.signum() == a_sign_rein(a) {
                    push_evidence(&mut a.evidence, ev);
                } else {
                    a.status = "cleared".into();
                    a.cleared_at = Some(s.key.clone());
                    alerts.extend(open.take());
                    run.clear();
                }
                continue;
            }
            if !one_sided || run.last().is_some_and(|(_, p)| p.signum() != b.signum()) {
                run.clear();
            }
            if !one_sided {
                continue;
            }
            run.push((i, b));
            if run.len() >= cfg.rein_sessions as usize {
                let first = &sessions[run[0].0];
                let mean = run.iter().map(|r| r.1).sum::<f64>() / run.len() as f64;
                let side = if mean > 0.0 { "left" } else { "right" };
                let share = 50.0 * (1.0 + mean.abs());
                open = Some(Alert {
                    id: format!("rein_one_sided:{}.rein_balance:{}", gait.name(), first.key),
                    kind: "rein_one_sided".into(),
                    metric: format!("{}.rein_balance", gait.name()),
                    severity: "low".into(),
                    status: "open".into(),
                    started_at: first.key.clone(),
                    confirmed_at: s.key.clone(),
                    cleared_at: None,
                    message: format!(
                        "Over the last {} sessions about {share:.0} % of the turning at {} was on the {side} rein. \
                         Work both hands evenly to keep the horse supple and even.",
                        run.len(),
                        gait.name()
                    ),
                    baseline: None,
                    threshold: cfg.rein_one_sided,
                    evidence: run
                        .iter()
                        .map(|&(k, v)| Evidence {
                            at: sessions[k].key.clone(),
                            value: round(v, 3),
                            deviation: None,
                        })
                        .collect(),
                });
                run.clear();
            }
        }
        alerts.extend(open);
    }
    alerts
}

fn a_sign_rein(a: &Alert) -> f64 {
    a.evidence.first().map_or(0.0, |e| e.value.signum())
}
