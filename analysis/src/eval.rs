//! Scores the analysis against generated ground truth and prints the table
//! of targets from the issue. Nothing here feeds back into the analysis: the
//! generator and the analyser share only the definition of MinDiff/MaxDiff.

use rayon::prelude::*;
use std::fmt;

use crate::report::{Gait, Rein, SessionAnalysis};
use crate::synth::{SynthConfig, Truth, generate};

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

    /// Rein per time and symmetry pairs (used by the wide evaluation; they
    /// do not enter the default table).
    fn score_variety(&mut self, truth: &Truth, a: &SessionAnalysis) {
        let disturbed = disturbed_spans(truth);
        let segments: Vec<(f64, f64, Rein)> = if truth.rein_segments.is_empty() {
            truth
                .bouts
                .iter()
                .map(|b| (b.start_s, b.end_s, b.rein))
                .collect()
        } else {
            truth
                .rein_segments
                .iter()
                .map(|r| (r.start_s, r.end_s, r.rein))
                .collect()
        };
        let n = (truth.duration_s / GRID_S) as usize;
        let (mut bi, mut ri, mut pi) = (0usize, 0usize, 0usize);
        for k in 0..n {
            let t = (k as f64 + 0.5) * GRID_S;
            while bi + 1 < truth.bouts.len() && t >= truth.bouts[bi].end_s {
                bi += 1;
            }
            while ri + 1 < segments.len() && t >= segments[ri].1 {
                ri += 1;
            }
            while pi < a.rein_timeline.len() && t >= a.rein_timeline[pi].end_s {
                pi += 1;
            }
            if truth.bouts.get(bi).is_none_or(|b| b.gait == Gait::Halt)
                || truth.gaps.iter().any(|g| t > g[0] && t < g[1])
                || disturbed.iter().any(|d| t >= d[0] && t < d[1])
            {
                continue;
            }
            let Some(&(_, _, rein)) = segments.get(ri) else {
                continue;
            };
            self.rein_time_s += GRID_S;
            if a.rein_timeline
                .get(pi)
                .is_some_and(|p| t >= p.start_s && p.rein == rein)
            {
                self.rein_time_ok_s += GRID_S;
            }
        }
        for tb in &truth.bouts {
            if let Some(BoutSymmetry {
                true_min: tmin,
                true_max: tmax,
                min: mn,
                max: mx,
                stretches,
            }) = bout_symmetry(tb, &a.symmetry_stretches, &disturbed)
            {
                self.sym_pairs.push([tmin, mn, tmax, mx]);
                if (mn - tmin).abs().max((mx - tmax).abs()) > 1.5 {
                    self.notes.push(format!(
                        "seed {} ({} Hz): trot {:.0}–{:.0} s MinDiff {mn:.1} (true {tmin:.1}), \
                         MaxDiff {mx:.1} (true {tmax:.1}) mm over {} stretches",
                        truth.seed, truth.rate_hz, tb.start_s, tb.end_s, stretches
                    ));
                }
            }
        }
    }

    /// Least-squares slope of measured on true MinDiff and MaxDiff (pooled)
    /// over the pairs whose true value is within ±15 mm.
    pub fn sym_slope(&self) -> f64 {
        let pts: Vec<(f64, f64)> = self
            .sym_pairs
            .iter()
            .flat_map(|p| [(p[0], p[1]), (p[2], p[3])])
            .filter(|(t, m)| t.abs() <= 15.0 && m.is_finite())
            .collect();
        if pts.len() < 3 {
            return f64::NAN;
        }
        let n = pts.len() as f64;
        let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
        let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
        let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
        let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
        if sxx > 0.0 { sxy / sxx } else { f64::NAN }
    }

    /// The issue-8 targets (the wide evaluation), one row each.
    pub fn wide_targets(&self) -> Vec<Target> {
        let gait = Self::ratio(self.gait_correct_s, self.scored_s);
        let stride = Self::within(&self.stride_err_hz, 0.01);
        let rein = Self::ratio(self.rein_time_ok_s, self.rein_time_s);
        let lead = Self::ratio(self.lead_correct_s, self.lead_decided_s);
        let coverage = Self::ratio(self.lead_decided_s, self.lead_s);
        let sym_err: Vec<f64> = self
            .sym_pairs
            .iter()
            .map(|p| (p[1] - p[0]).abs().max((p[3] - p[2]).abs()))
            .collect();
        let sym = Self::within(&sym_err, 1.5);
        let slope = self.sym_slope();
        let recall = Self::ratio(self.jumps_found as f64, self.jumps_truth as f64);
        let hours = self.riding_s / 3600.0;
        let fph = if hours > 0.0 {
            self.jumps_false as f64 / hours
        } else {
            0.0
        };
        let flight = Self::within(&self.flight_err_s, 0.015);
        vec![
            Target::new(
                "gait correct (time)",
                "≥ 98.5 %",
                format!("{:.2} %", 100.0 * gait),
                gait >= 0.985,
            ),
            Target::new(
                "stride frequency within 0.01 Hz of realised",
                "≥ 95 % of bouts",
                format!(
                    "{:.1} % (median {:.4} Hz, p90 {:.4}, n={})",
                    100.0 * stride,
                    Self::quantile(&self.stride_err_hz, 0.5),
                    Self::quantile(&self.stride_err_hz, 0.9),
                    self.stride_err_hz.len()
                ),
                stride >= 0.95,
            ),
            Target::new(
                "rein per time (vs truth rein segments)",
                "≥ 97 %",
                format!(
                    "{:.2} % ({:.0} of {:.0} s)",
                    100.0 * rein,
                    self.rein_time_ok_s,
                    self.rein_time_s
                ),
                rein >= 0.97,
            ),
            Target::new(
                "canter lead correct (decided canter time)",
                "≥ 97 %",
                format!(
                    "{:.1} % ({:.0} of {:.0} s decided)",
                    100.0 * lead,
                    self.lead_correct_s,
                    self.lead_decided_s
                ),
                lead >= 0.97,
            ),
            Target::new(
                "canter time with a decided lead",
                "≥ 90 %",
                format!(
                    "{:.1} % ({:.0} of {:.0} s)",
                    100.0 * coverage,
                    self.lead_decided_s,
                    self.lead_s
                ),
                coverage >= 0.9,
            ),
            Target::new(
                "MinDiff/MaxDiff within 1.5 mm (trot bouts)",
                "≥ 95 % of bouts",
                format!(
                    "{:.1} % (median {:.2} mm, p90 {:.2} mm, n={})",
                    100.0 * sym,
                    Self::quantile(&sym_err, 0.5),
                    Self::quantile(&sym_err, 0.9),
                    sym_err.len()
                ),
                sym >= 0.95,
            ),
            Target::new(
                "MinDiff/MaxDiff slope (true within ±15 mm)",
                "1 ± 0.1",
                format!("{slope:.3}"),
                (slope - 1.0).abs() <= 0.1,
            ),
            Target::new(
                "jump recall",
                "≥ 99 %",
                format!(
                    "{:.1} % ({}/{}; soft push {}/{}, no plateau {}/{})",
                    100.0 * recall,
                    self.jumps_found,
                    self.jumps_truth,
                    self.jumps_by_kind[1][1],
                    self.jumps_by_kind[1][0],
                    self.jumps_by_kind[2][1],
                    self.jumps_by_kind[2][0]
                ),
                recall >= 0.99,
            ),
            Target::new(
                "false jumps per riding hour",
                "≤ 0.5",
                format!("{:.2} ({} in {:.1} h)", fph, self.jumps_false, hours),
                fph <= 0.5,
            ),
            Target::new(
                "flight time within 15 ms",
                "≥ 95 % of jumps",
                format!(
                    "{:.1} % (median {:.1} ms, p95 {:.1} ms)",
                    100.0 * flight,
                    1000.0 * Self::quantile(&self.flight_err_s, 0.5),
                    1000.0 * Self::quantile(&self.flight_err_s, 0.95)
                ),
                flight >= 0.95,
            ),
        ]
    }

    pub(crate) fn ratio(a: f64, b: f64) -> f64 {
        if b > 0.0 { a / b } else { 1.0 }
    }

    pub(crate) fn quantile(v: &[f64], q: f64) -> f64 {
        let mut v: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return 0.0;
        }
        v.sort_by(f64::total_cmp);
        v[((v.len() - 1) as f64 * q).round() as usize]
    }

    pub(crate) fn within(v: &[f64], tol: f64) -> f64 {
        if v.is_empty() {
            return 1.0;
        }
        v.iter().filter(|x| x.is_finite() && **x <= tol).count() as f64 / v.len() as f64
    }

    /// The rows of the target table.
    pub fn targets(&self) -> Vec<Target> {
        let mut rows = vec![Target::new(
            "time-weighted gait accuracy",
            "≥ 97 %",
            format!(
                "{:.2} %",
                100.0 * Self::ratio(self.gait_correct_s, self.scored_s)
            ),
            Self::ratio(self.gait_correct_s, self.scored_s) >= 0.97,
        )];
        for g in Gait::ALL {
            let (t, p) = (self.truth_s[g as usize], self.pred_s[g as usize]);
            if t <= 0.0 {
                continue;
            }
            let err = (p - t).abs() / t;
            rows.push(Target::new(
                &format!("total {} time error", g.name()),
                "≤ 2 %",
                format!("{:.2} % ({:.0} s vs {:.0} s)", 100.0 * err, p, t),
                err <= 0.02,
            ));
        }
        let med = Self::quantile(&self.stride_err_hz, 0.5);
        rows.push(Target::new(
            "median stride-frequency error per bout",
            "≤ 0.02 Hz",
            format!(
                "{:.4} Hz (p90 {:.4}, n={})",
                med,
                Self::quantile(&self.stride_err_hz, 0.9),
                self.stride_err_hz.len()
            ),
            med <= 0.02,
        ));
        let rein = Self::ratio(self.rein_ok as f64, self.rein_n as f64);
        rows.push(Target::new(
            "rein of each bout correct",
            "≥ 95 %",
            format!("{:.1} % ({}/{})", 100.0 * rein, self.rein_ok, self.rein_n),
            rein >= 0.95,
        ));
        let lead = Self::ratio(self.lead_correct_s, self.lead_decided_s);
        rows.push(Target::new(
            "canter lead correct (decided canter time)",
            "≥ 97 %",
            format!(
                "{:.1} % ({}/{} bouts; counter-canter {}/{})",
                100.0 * lead,
                self.lead_ok,
                self.lead_n,
                self.counter_ok,
                self.counter_n
            ),
            lead >= 0.97,
        ));
        let coverage = Self::ratio(self.lead_decided_s, self.lead_s);
        rows.push(Target::new(
            "canter time with a decided lead",
            "≥ 90 %",
            format!(
                "{:.1} % ({:.0} of {:.0} s)",
                100.0 * coverage,
                self.lead_decided_s,
                self.lead_s
            ),
            coverage >= 0.9,
        ));
        let sym = Self::within(&self.sym_err_mm, 2.0);
        rows.push(Target::new(
            "MinDiff/MaxDiff within 2 mm (straight trot)",
            "≥ 95 % of bouts",
            format!(
                "{:.1} % (median {:.2} mm, p90 {:.2} mm, n={})",
                100.0 * sym,
                Self::quantile(&self.sym_err_mm, 0.5),
                Self::quantile(&self.sym_err_mm, 0.9),
                self.sym_err_mm.len()
            ),
            sym >= 0.95,
        ));
        let recall = Self::ratio(self.jumps_found as f64, self.jumps_truth as f64);
        rows.push(Target::new(
            "jump recall",
            "≥ 98 %",
            format!(
                "{:.1} % ({}/{})",
                100.0 * recall,
                self.jumps_found,
                self.jumps_truth
            ),
            recall >= 0.98,
        ));
        let hours = self.riding_s / 3600.0;
        let fph = if hours > 0.0 {
            self.jumps_false as f64 / hours
        } else {
            0.0
        };
        rows.push(Target::new(
            "false jumps per riding hour",
            "≤ 1",
            format!("{:.2} ({} in {:.1} h)", fph, self.jumps_false, hours),
            fph <= 1.0,
        ));
        let fl = Self::within(&self.flight_err_s, 0.020);
        rows.push(Target::new(
            "flight time within 20 ms",
            "≥ 95 % of jumps",
            format!(
                "{:.1} % (median {:.1} ms, p95 {:.1} ms)",
                100.0 * fl,
                1000.0 * Self::quantile(&self.flight_err_s, 0.5),
                1000.0 * Self::quantile(&self.flight_err_s, 0.95)
            ),
            fl >= 0.95,
        ));
        rows
    }

    /// True when every target is met.
    pub fn all_pass(&self) -> bool {
        self.targets().iter().all(|t| t.pass)
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

impl fmt::Display for Score {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} sessions, {:.1} h scored ({:.1} h riding)",
            self.sessions,
            self.scored_s / 3600.0,
            self.riding_s / 3600.0
        )?;
        writeln!(f)?;
        writeln!(
            f,
            "{:<44} {:<16} {:<52} result",
            "metric", "target", "measured"
        )?;
        writeln!(f, "{}", "-".repeat(122))?;
        for t in self.targets() {
            writeln!(
                f,
                "{:<44} {:<16} {:<52} {}",
                t.name,
                t.target,
                t.value,
                if t.pass { "PASS" } else { "MISSED" }
            )?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "gait confusion (seconds; rows = truth, columns = analysis)"
        )?;
        writeln!(
            f,
            "{:<8} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
            "", "halt", "walk", "trot", "canter", "gallop", "none"
        )?;
        for g in Gait::ALL {
            let r = &self.confusion[g as usize];
            writeln!(
                f,
                "{:<8} {:>9.0} {:>9.0} {:>9.0} {:>9.0} {:>9.0} {:>9.0}",
                g.name(),
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                r[5]
            )?;
        }
        Ok(())
    }
}

/// Spans of the truth's spooks and bucks ([start, end] s): events inside a
/// gait, not the rider's track or the horse's own symmetry.
pub fn disturbed_spans(truth: &Truth) -> Vec<[f64; 2]> {
    use crate::synth::variety::EventKind;
    truth
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Spook | EventKind::Buck))
        .map(|e| [e.start_s, e.end_s])
        .collect()
}

/// A truth trot bout's MinDiff/MaxDiff against the analysis's (mm).
#[derive(Debug, Clone, Copy)]
pub struct BoutSymmetry {
    pub true_min: f64,
    pub true_max: f64,
    pub min: f64,
    pub max: f64,
    /// Analysis stretches averaged.
    pub stretches: usize,
}

/// The analysis's MinDiff/MaxDiff for a truth trot bout of ≥ 10 s with
/// truth values: the stride-weighted mean of the `stretches` inside it
/// (±0.5 s) that overlap no `disturbed` span. `None` when the bout is not
/// scored or no stretch qualifies.
pub fn bout_symmetry(
    tb: &crate::synth::TruthBout,
    stretches: &[crate::report::SymmetryStretch],
    disturbed: &[[f64; 2]],
) -> Option<BoutSymmetry> {
    let (Some(true_min), Some(true_max)) = (tb.min_diff_mm, tb.max_diff_mm) else {
        return None;
    };
    if tb.gait != Gait::Trot || tb.end_s - tb.start_s < 10.0 {
        return None;
    }
    let parts: Vec<_> = stretches
        .iter()
        .filter(|p| p.start_s >= tb.start_s - 0.5 && p.end_s <= tb.end_s + 0.5)
        .filter(|p| !disturbed.iter().any(|d| d[1] > p.start_s && d[0] < p.end_s))
        .collect();
    let w: f64 = parts.iter().map(|p| p.strides as f64).sum();
    (w > 0.0).then(|| BoutSymmetry {
        true_min,
        true_max,
        min: parts
            .iter()
            .map(|p| p.min_diff_mm * p.strides as f64)
            .sum::<f64>()
            / w,
        max: parts
            .iter()
            .map(|p| p.max_diff_mm * p.strides as f64)
            .sum::<f64>()
            / w,
        stretches: parts.len(),
    })
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
