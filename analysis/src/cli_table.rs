//! `hoofbeat analyze --format table`: the readable summary of one analysis
//! (times as m:ss, one line per gait, optionally every bout).

use std::fmt::Write as _;
use std::path::Path;

use crate::report::SessionAnalysis;

fn mmss(s: f64) -> String {
    let s = s.max(0.0).round() as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// The readable summary of one analysis.
pub fn table(path: &Path, a: &SessionAnalysis, bouts: bool) -> String {
    let mut s = String::new();
    let q = &a.quality;
    let _ = writeln!(
        s,
        "== {} — {} analysed of {} ({} gaps), {:.0} Hz effective, mount tilt {:.0}°, {}",
        path.display(),
        mmss(q.analysed_s),
        mmss(q.duration_s),
        q.gaps.len(),
        q.effective_rate_hz,
        q.mount_tilt_deg,
        a.algorithm_version
    );
    let _ = writeln!(
        s,
        "{:<7} {:>8} {:>6} {:>7} {:>8} {:>6} {:>7} {:>7} {:>7} {:>8} {:>8}",
        "gait",
        "time",
        "share",
        "strides",
        "cadence",
        "regul",
        "elev_cm",
        "left",
        "right",
        "straight",
        "balance"
    );
    for g in &a.gaits {
        let _ = writeln!(
            s,
            "{:<7} {:>8} {:>5.1}% {:>7} {:>8.1} {:>6.2} {:>7.1} {:>7} {:>7} {:>8} {:>+8.2}",
            g.gait.name(),
            mmss(g.time_s),
            100.0 * g.share,
            g.strides,
            g.mean_cadence_spm,
            g.regularity,
            g.elevation_cm,
            mmss(g.left_s),
            mmss(g.right_s),
            mmss(g.straight_s),
            g.rein_balance
        );
    }
    let canter: Vec<_> = a.bouts.iter().filter(|b| b.gait.has_lead()).collect();
    let count = |l: crate::Lead| canter.iter().filter(|b| b.lead == Some(l)).count();
    let (left, right, unknown) = (
        count(crate::Lead::Left),
        count(crate::Lead::Right),
        count(crate::Lead::Unknown),
    );
    let counter = canter
        .iter()
        .filter(|b| b.counter_canter == Some(true))
        .count();
    let _ = writeln!(
        s,
        "{} bouts, {} transitions; canter/gallop bouts: {} left lead, {} right lead, {} lead unknown, {} counter-canter",
        a.bouts.len(),
        a.transitions,
        left,
        right,
        unknown,
        counter
    );
    match &a.symmetry {
        Some(sy) => {
            let _ = writeln!(
                s,
                "trot symmetry: MinDiff {:+.1} mm, MaxDiff {:+.1} mm, index {:.1}, score {:.1}/10 over {} strides",
                sy.min_diff_mm, sy.max_diff_mm, sy.symmetry_index, sy.score, sy.strides
            );
        }
        None => {
            let _ = writeln!(s, "trot symmetry: no straight trot of 5 s or more");
        }
    }
    let _ = writeln!(
        s,
        "workload: {:.1} gait-weighted min, mean VeDBA {:.3} g",
        a.workload.gait_weighted_min, a.workload.mean_vedba_g
    );
    if a.jumps.is_empty() {
        let _ = writeln!(s, "jumps: none");
    } else {
        let _ = writeln!(s, "jumps: {}", a.jumps.len());
        let _ = writeln!(
            s,
            "  {:>8} {:>9} {:>8} {:>9} {:>8}",
            "time", "flight_s", "rise_cm", "approach", "strides"
        );
        for j in &a.jumps {
            let between = j
                .strides_from_previous
                .map(|n| n.to_string())
                .unwrap_or_else(|| "-".into());
            let _ = writeln!(
                s,
                "  {:>8} {:>9.3} {:>8.1} {:>9.1} {:>8}",
                mmss(j.time_s),
                j.flight_s,
                j.rise_cm,
                j.approach_cadence_spm,
                between
            );
        }
    }
    if bouts {
        let _ = writeln!(
            s,
            "  {:>8} {:>8} {:<7} {:>7} {:>7} {:>6} {:>5} {:>5} {:>5} {:<6}",
            "start", "end", "gait", "hz", "spm", "regul", "L", "R", "S", "lead"
        );
        for b in &a.bouts {
            let lead = match (b.lead, b.counter_canter) {
                (Some(l), Some(true)) => format!("{l:?} (counter)"),
                (Some(l), _) => format!("{l:?}"),
                _ => String::new(),
            };
            let _ = writeln!(
                s,
                "  {:>8} {:>8} {:<7} {:>7.3} {:>7.1} {:>6.2} {:>5.2} {:>5.2} {:>5.2} {:<6}",
                mmss(b.start_s),
                mmss(b.end_s),
                b.gait.name(),
                b.stride_hz,
                b.cadence_spm,
                b.regularity,
                b.rein.left,
                b.rein.right,
                b.rein.straight,
                lead
            );
        }
    }
    s.push('\n');
    s
}
