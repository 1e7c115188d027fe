//! `hoofbeat evaluate --variety wide`: the analysis scored on rides drawn
//! across the generator's variety (horse size, gait extension, arena
//! tracks, spooks, rates, canter body models, soft jumps), with the issue's
//! targets overall, per variation band and as a confusion table.

use rayon::prelude::*;

use crate::eval::Score;
use crate::report::Gait;
use crate::synth::SynthConfig;

/// One session of the wide evaluation: what was varied and its score.
#[derive(Debug, Clone)]
pub struct WideSession {
    pub config: SynthConfig,
    pub variation: crate::synth::variety::Variation,
    pub score: Score,
}

/// The variation bands of the per-variation table: (group, band) per session.
pub fn bands(
    cfg: &SynthConfig,
    v: &crate::synth::variety::Variation,
) -> Vec<(&'static str, &'static str)> {
    let size = if v.size < 0.85 {
        "0.6–0.85"
    } else if v.size < 1.25 {
        "0.85–1.25"
    } else {
        "1.25–1.6"
    };
    let collection = if v.collection < -0.33 {
        "collected"
    } else if v.collection > 0.33 {
        "extended"
    } else {
        "working"
    };
    let rate = if cfg.rate_hz < 50.0 {
        "25–49 Hz"
    } else if cfg.rate_hz < 150.0 {
        "50–149 Hz"
    } else {
        "150–400 Hz"
    };
    vec![
        ("horse size", size),
        ("collection (mean)", collection),
        ("canter model", v.canter_model.name()),
        ("rate", rate),
        ("track", if v.arena { "arena" } else { "open" }),
        (
            "spooks/bucks",
            if v.spooks_per_h + v.bucks_per_h > 0.0 {
                "with"
            } else {
                "without"
            },
        ),
        (
            "rising trot",
            if v.rising_trot > 0.0 { "some" } else { "none" },
        ),
        (
            "lateral work",
            if v.lateral_work > 0.0 { "some" } else { "none" },
        ),
        (
            "soft jumps",
            if v.soft_jumps > 0.0 { "some" } else { "none" },
        ),
        (
            "link",
            if v.radio_gaps >= 3 || v.drop_rate > 0.01 {
                "lossy (≥3 gaps or >1 % drops)"
            } else {
                "clean"
            },
        ),
        (
            "mount tilt max",
            if v.max_tilt_deg < 12.5 {
                "< 12.5°"
            } else {
                "12.5–25°"
            },
        ),
    ]
}

/// Generates `count` varied sessions (see [`crate::synth::variety`]) in
/// memory, analyses them in parallel and scores each.
pub fn evaluate_wide(
    count: u32,
    min_minutes: f64,
    max_minutes: f64,
    seed: u64,
) -> Vec<WideSession> {
    (0..count)
        .into_par_iter()
        .map(|i| {
            let (cfg, var) =
                crate::synth::variety::Variation::wide_config(seed, i, min_minutes, max_minutes);
            let s = crate::synth::variety::generate_varied(&cfg, &var);
            let score = match crate::analyze(&s.recording) {
                Ok(a) => Score::session(&s.truth, &a),
                Err(e) => Score {
                    sessions: 1,
                    notes: vec![format!("seed {}: analysis failed: {e}", cfg.seed)],
                    ..Default::default()
                },
            };
            WideSession {
                config: cfg,
                variation: var,
                score,
            }
        })
        .collect()
}

/// The wide report: the issue-8 target table overall, the same metrics per
/// variation band, and the gait confusion table. The bool is true when
/// every overall target is met.
pub fn wide_report(sessions: &[WideSession]) -> (String, bool) {
    use std::fmt::Write as _;
    let total = sessions
        .iter()
        .fold(Score::default(), |a, s| a.merge(s.score.clone()));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} varied sessions, {:.1} h scored ({:.1} h riding)\n",
        total.sessions,
        total.scored_s / 3600.0,
        total.riding_s / 3600.0
    );
    let _ = writeln!(
        out,
        "{:<46} {:<16} {:<58} result",
        "metric", "target", "measured"
    );
    let _ = writeln!(out, "{}", "-".repeat(130));
    let rows = total.wide_targets();
    for t in &rows {
        let _ = writeln!(
            out,
            "{:<46} {:<16} {:<58} {}",
            t.name,
            t.target,
            t.value,
            if t.pass { "PASS" } else { "MISSED" }
        );
    }
    // Per variation band: the same metrics, compact; * marks a miss.
    let _ = writeln!(
        out,
        "\nper variation (the same targets; * = missed, – = nothing to score)"
    );
    let heads = [
        "gait", "stride", "rein", "lead", "cover", "sym", "slope", "recall", "false/h", "flight",
    ];
    let _ = write!(out, "{:<18} {:<30} {:>3}", "variation", "band", "n");
    for h in heads {
        let _ = write!(out, " {h:>8}");
    }
    let _ = writeln!(out);
    let mut groups: Vec<(&str, Vec<(&str, Score)>)> = Vec::new();
    for s in sessions {
        for (g, b) in bands(&s.config, &s.variation) {
            let gi = match groups.iter().position(|x| x.0 == g) {
                Some(i) => i,
                None => {
                    groups.push((g, Vec::new()));
                    groups.len() - 1
                }
            };
            let bs = &mut groups[gi].1;
            match bs.iter_mut().find(|x| x.0 == b) {
                Some(x) => x.1 = std::mem::take(&mut x.1).merge(s.score.clone()),
                None => bs.push((b, s.score.clone())),
            }
        }
    }
    for (g, bs) in &mut groups {
        bs.sort_by(|a, b| a.0.cmp(b.0));
        for (b, sc) in bs.iter() {
            let _ = write!(out, "{g:<18} {b:<30} {:>3}", sc.sessions);
            for cell in band_cells(sc) {
                let _ = write!(out, " {cell:>8}");
            }
            let _ = writeln!(out);
        }
    }
    let _ = writeln!(
        out,
        "\ngait confusion (seconds; rows = truth, columns = analysis)"
    );
    let _ = writeln!(
        out,
        "{:<8} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8}",
        "", "halt", "walk", "trot", "canter", "gallop", "none", "correct"
    );
    for g in Gait::ALL {
        let r = &total.confusion[g as usize];
        let sum: f64 = r.iter().sum();
        let _ = writeln!(
            out,
            "{:<8} {:>9.0} {:>9.0} {:>9.0} {:>9.0} {:>9.0} {:>9.0} {:>7.1}%",
            g.name(),
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            r[5],
            100.0 * Score::ratio(r[g as usize], sum)
        );
    }
    (out, rows.iter().all(|t| t.pass))
}

/// The compact cells of one band's row, in the order of the wide targets.
fn band_cells(s: &Score) -> Vec<String> {
    let rows = s.wide_targets();
    let mark = |i: usize, v: String| {
        if rows[i].pass { v } else { format!("{v}*") }
    };
    let pct = |a: f64, b: f64| {
        if b > 0.0 {
            format!("{:.1}", 100.0 * a / b)
        } else {
            "–".to_string()
        }
    };
    let sym_err: Vec<f64> = s
        .sym_pairs
        .iter()
        .map(|p| (p[1] - p[0]).abs().max((p[3] - p[2]).abs()))
        .collect();
    let hours = s.riding_s / 3600.0;
    let slope = s.sym_slope();
    vec![
        mark(0, pct(s.gait_correct_s, s.scored_s)),
        if s.stride_err_hz.is_empty() {
            "–".into()
        } else {
            mark(
                1,
                format!("{:.1}", 100.0 * Score::within(&s.stride_err_hz, 0.01)),
            )
        },
        mark(2, pct(s.rein_time_ok_s, s.rein_time_s)),
        if s.lead_decided_s > 0.0 {
            mark(3, pct(s.lead_correct_s, s.lead_decided_s))
        } else {
            "–".into()
        },
        if s.lead_s > 0.0 {
            mark(4, pct(s.lead_decided_s, s.lead_s))
        } else {
            "–".into()
        },
        if sym_err.is_empty() {
            "–".into()
        } else {
            mark(5, format!("{:.1}", 100.0 * Score::within(&sym_err, 1.5)))
        },
        if slope.is_finite() {
            mark(6, format!("{slope:.2}"))
        } else {
            "–".into()
        },
        if s.jumps_truth > 0 {
            mark(7, pct(s.jumps_found as f64, s.jumps_truth as f64))
        } else {
            "–".into()
        },
        mark(
            8,
            if hours > 0.0 {
                format!("{:.2}", s.jumps_false as f64 / hours)
            } else {
                "–".into()
            },
        ),
        if s.flight_err_s.is_empty() {
            "–".into()
        } else {
            mark(
                9,
                format!("{:.1}", 100.0 * Score::within(&s.flight_err_s, 0.015)),
            )
        },
    ]
}
