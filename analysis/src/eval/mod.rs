//! Scores the analysis against generated ground truth and prints the table
//! of targets from the issue. Nothing here feeds back into the analysis: the
//! generator and the analyser share only the definition of MinDiff/MaxDiff.

use rayon::prelude::*;
use std::fmt;

use crate::report::{Gait, Rein, SessionAnalysis};
use crate::synth::{SynthConfig, Truth, generate};

mod default_table;
mod variety;
mod wide_table;

pub use variety::{BoutSymmetry, bout_symmetry, disturbed_spans};

/// Raw counts from one or more sessions; add them up with [`Score::merge`].
#[derive(Debug, Clone, Default)]
pub struct Score {
    pub sessions: u32,
    pub scored_s: f64,
    pub riding_s: f64,
    pub gait_correct_s: f64,
    /// Seconds per truth gait and per predicted gait (same grid).
    pub truth_s: [f64; 5],
    pub pred_s: [f64; 5],
    /// confusion[truth][pred] in seconds (pred index 5 = nothing).
    pub confusion: [[f64; 6]; 5],
    pub stride_err_hz: Vec<f64>,
    pub rein_ok: u32,
    pub rein_n: u32,
    pub lead_ok: u32,
    pub lead_n: u32,
    /// Canter seconds (bouts ≥ 5 s), with a decided lead, with the right one.
    pub lead_s: f64,
    pub lead_decided_s: f64,
    pub lead_correct_s: f64,
    pub counter_ok: u32,
    pub counter_n: u32,
    /// max(|ΔMinDiff|, |ΔMaxDiff|) per straight trot bout (mm); NaN = missed.
    pub sym_err_mm: Vec<f64>,
    /// True jumps outside data holes.
    pub jumps_truth: u32,
    pub jumps_found: u32,
    pub jumps_false: u32,
    pub flight_err_s: Vec<f64>,
    /// Human-readable notes on misses (printed with `--details`).
    pub notes: Vec<String>,
    /// Riding seconds (gaps, spooks and bucks excluded) scored for the rein
    /// per time against the truth's rein segments (or bout reins), and those
    /// where `rein_timeline` agrees.
    pub rein_time_s: f64,
    pub rein_time_ok_s: f64,
    /// Per truth trot bout ≥ 10 s with measured symmetry stretches inside it
    /// (none touching a spook or buck): [true MinDiff, measured MinDiff,
    /// true MaxDiff, measured MaxDiff] in mm, stride-weighted over stretches.
    pub sym_pairs: Vec<[f64; 4]>,
    /// Jumps per kind (normal, soft push, no plateau): [true, found].
    pub jumps_by_kind: [[u32; 2]; 3],
}

const GRID_S: f64 = 0.1;
/// Largest distance between a true and a detected take-off to match them.
const JUMP_MATCH_S: f64 = 0.3;

fn overlap(a0: f64, a1: f64, b0: f64, b1: f64) -> f64 {
    (a1.min(b1) - a0.max(b0)).max(0.0)
}

impl Score {
    /// Scores one analysed session against its truth.
    pub fn session(truth: &Truth, a: &SessionAnalysis) -> Score {
        let mut s = Score {
            sessions: 1,
            ..Default::default()
        };
        // Time-weighted gait agreement on a 0.1 s grid, gaps excluded.
        let n = (truth.duration_s / GRID_S) as usize;
        let (mut ti, mut pi) = (0usize, 0usize);
        for k in 0..n {
            let t = (k as f64 + 0.5) * GRID_S;
            if truth.gaps.iter().any(|g| t > g[0] && t < g[1]) {
                continue;
            }
            while ti + 1 < truth.bouts.len() && t >= truth.bouts[ti].end_s {
                ti += 1;
            }
            while pi < a.bouts.len() && t >= a.bouts[pi].end_s {
                pi += 1;
            }
            let Some(tb) = truth.bouts.get(ti) else {
                continue;
            };
            let pred = a.bouts.get(pi).filter(|b| t >= b.start_s).map(|b| b.gait);
            let tg = tb.gait as usize;
            s.scored_s += GRID_S;
            s.truth_s[tg] += GRID_S;
            if tb.gait != Gait::Halt {
                s.riding_s += GRID_S;
            }
            match pred {
                Some(p) => {
                    s.pred_s[p as usize] += GRID_S;
                    s.confusion[tg][p as usize] += GRID_S;
                    if p == tb.gait {
                        s.gait_correct_s += GRID_S;
                    }
                }
                None => s.confusion[tg][5] += GRID_S,
            }
        }
        // Per-bout metrics against the predicted bout overlapping most.
        for tb in &truth.bouts {
            let best = a
                .bouts
                .iter()
                .map(|b| (overlap(tb.start_s, tb.end_s, b.start_s, b.end_s), b))
                .filter(|(o, _)| *o > 0.0)
                .max_by(|x, y| x.0.total_cmp(&y.0))
                .map(|(_, b)| b);
            // Bouts shorter than the analysis's shortest bout (4 s) are not
            // scored per bout (they still count in the time-weighted figures).
            if tb.end_s - tb.start_s < 5.0 {
                continue;
            }
            if tb.gait != Gait::Halt {
                s.rein_n += 1;
                if best.is_some_and(|b| b.dominant_rein == tb.rein) {
                    s.rein_ok += 1;
                }
                if let Some(b) = best.filter(|b| b.gait == tb.gait && b.stride_hz > 0.0) {
                    s.stride_err_hz.push((b.stride_hz - tb.stride_hz).abs());
                }
            }
            if tb.gait == Gait::Canter {
                s.lead_n += 1;
                let dur = tb.end_s - tb.start_s;
                s.lead_s += dur;
                let decided =
                    best.filter(|b| b.lead.is_some_and(|l| l != crate::report::Lead::Unknown));
                if let Some(b) = decided {
                    s.lead_decided_s += dur;
                    if b.lead == tb.lead {
                        s.lead_ok += 1;
                        s.lead_correct_s += dur;
                    }
                }
                if tb.counter_canter == Some(true) {
                    s.counter_n += 1;
                    if best.is_some_and(|b| b.counter_canter == Some(true)) {
                        s.counter_ok += 1;
                    }
                }
            }
            if tb.gait == Gait::Trot && tb.rein == Rein::Straight && tb.end_s - tb.start_s >= 10.0 {
                let (Some(tmin), Some(tmax)) = (tb.min_diff_mm, tb.max_diff_mm) else {
                    continue;
                };
                // Stride-weighted mean over every detected straight trot bout
                // inside this truth bout (a gap can split it).
                let parts: Vec<_> = a
                    .bouts
                    .iter()
                    .filter(|b| {
                        overlap(tb.start_s, tb.end_s, b.start_s, b.end_s)
                            > 0.5 * (b.end_s - b.start_s)
                    })
                    .filter_map(|b| b.symmetry)
                    .collect();
                let w: f64 = parts.iter().map(|p| p.strides as f64).sum();
                if w > 0.0 {
                    let mn = parts
                        .iter()
                        .map(|p| p.min_diff_mm * p.strides as f64)
                        .sum::<f64>()
                        / w;
                    let mx = parts
                        .iter()
                        .map(|p| p.max_diff_mm * p.strides as f64)
                        .sum::<f64>()
                        / w;
                    s.sym_err_mm.push((mn - tmin).abs().max((mx - tmax).abs()));
                } else {
                    s.sym_err_mm.push(f64::NAN);
                }
            }
        }
        s.score_variety(truth, a);
        // Jumps.
        let mut used = vec![false; a.jumps.len()];
        for tj in &truth.jumps {
            // A jump touching a data hole is not scored either way.
            let (j0, j1) = (tj.time_s - 0.5, tj.time_s + tj.flight_s + 0.5);
            if truth.holes.iter().any(|h| h[1] > j0 && h[0] < j1) {
                for (i, j) in a.jumps.iter().enumerate() {
                    if (j.time_s - tj.time_s).abs() <= JUMP_MATCH_S {
                        used[i] = true;
                    }
                }
                continue;
            }
            s.jumps_truth += 1;
            let m = a
                .jumps
                .iter()
                .enumerate()
                .filter(|(i, j)| !used[*i] && (j.time_s - tj.time_s).abs() <= JUMP_MATCH_S)
                .min_by(|x, y| {
                    (x.1.time_s - tj.time_s)
                        .abs()
                        .total_cmp(&(y.1.time_s - tj.time_s).abs())
                });
            let kind = match tj.soft {
                None => 0,
                Some(crate::synth::variety::SoftKind::SoftPush) => 1,
                Some(crate::synth::variety::SoftKind::NoPlateau) => 2,
            };
            s.jumps_by_kind[kind][0] += 1;
            if let Some((i, j)) = m {
                used[i] = true;
                s.jumps_found += 1;
                s.jumps_by_kind[kind][1] += 1;
                s.flight_err_s.push((j.flight_s - tj.flight_s).abs());
                if (j.flight_s - tj.flight_s).abs() > 0.015 {
                    s.notes.push(format!(
                        "seed {} ({} Hz): flight at {:.2} s measured {:.3} s, true {:.3} s ({})",
                        truth.seed,
                        truth.rate_hz,
                        tj.time_s,
                        j.flight_s,
                        tj.flight_s,
                        ["normal", "soft push", "no plateau"][kind]
                    ));
                }
            } else {
                s.notes.push(format!(
                    "seed {}: missed jump at {:.2} s (flight {:.3} s)",
                    truth.seed, tj.time_s, tj.flight_s
                ));
            }
        }
        for (j, u) in a.jumps.iter().zip(&used) {
            if !u {
                s.notes.push(format!(
                    "seed {}: false jump at {:.2} s (flight {:.3} s)",
                    truth.seed, j.time_s, j.flight_s
                ));
            }
        }
        s.jumps_false = used.iter().filter(|u| !**u).count() as u32;
        s
    }

    /// Adds another score's counts.
    pub fn merge(mut self, o: Score) -> Score {
        self.sessions += o.sessions;
        self.scored_s += o.scored_s;
        self.riding_s += o.riding_s;
        self.gait_correct_s += o.gait_correct_s;
        for g in 0..5 {
            self.truth_s[g] += o.truth_s[g];
            self.pred_s[g] += o.pred_s[g];
            for p in 0..6 {
                self.confusion[g][p] += o.confusion[g][p];
            }
        }
        self.stride_err_hz.extend(o.stride_err_hz);
        self.rein_ok += o.rein_ok;
        self.rein_n += o.rein_n;
        self.lead_ok += o.lead_ok;
        self.lead_n += o.lead_n;
        self.lead_s += o.lead_s;
        self.lead_decided_s += o.lead_decided_s;
        self.lead_correct_s += o.lead_correct_s;
        self.counter_ok += o.counter_ok;
        self.counter_n += o.counter_n;
        self.sym_err_mm.extend(o.sym_err_mm);
        self.jumps_truth += o.jumps_truth;
        self.jumps_found += o.jumps_found;
        self.jumps_false += o.jumps_false;
        self.flight_err_s.extend(o.flight_err_s);
        self.notes.extend(o.notes);
        self.rein_time_s += o.rein_time_s;
        self.rein_time_ok_s += o.rein_time_ok_s;
        self.sym_pairs.extend(o.sym_pairs);
        for k in 0..3 {
            for j in 0..2 {
                self.jumps_by_kind[k][j] += o.jumps_by_kind[k][j];
            }
        }
        self
    }
}

/// One row of the target table.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    pub target: String,
    pub value: String,
    pub pass: bool,
}

impl Target {
    fn new(name: &str, target: &str, value: String, pass: bool) -> Self {
        Target {
            name: name.to_string(),
            target: target.to_string(),
            value,
            pass,
        }
    }
}

/// Session `i` of an evaluation run: seed, length and device rate.
pub fn session_config(seed: u64, i: u32, min_minutes: f64, max_minutes: f64) -> SynthConfig {
    let mut rng = crate::synth::rng::Rng::new(seed ^ (0xA5A5_0000 + i as u64));
    let rates = [50.0, 60.0, 100.0, 200.0];
    SynthConfig {
        seed: seed.wrapping_mul(1000).wrapping_add(i as u64),
        minutes: rng.range(min_minutes, max_minutes.max(min_minutes)),
        rate_hz: rates[i as usize % rates.len()],
    }
}

/// Generates `count` sessions in memory, analyses them in parallel and scores.
pub fn evaluate(count: u32, min_minutes: f64, max_minutes: f64, seed: u64) -> Score {
    (0..count)
        .into_par_iter()
        .map(|i| {
            let s = generate(&session_config(seed, i, min_minutes, max_minutes));
            match crate::analyze(&s.recording) {
                Ok(a) => Score::session(&s.truth, &a),
                Err(_) => Score {
                    sessions: 1,
                    ..Default::default()
                },
            }
        })
        .reduce(Score::default, Score::merge)
}
