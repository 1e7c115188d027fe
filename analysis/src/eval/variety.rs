//! The wide evaluation's extra scoring: rein per time and the symmetry
//! pairs (per truth trot bout).

use super::*;

impl Score {
    /// Rein per time and symmetry pairs (used by the wide evaluation; they
    /// do not enter the default table).
    pub(super) fn score_variety(&mut self, truth: &Truth, a: &SessionAnalysis) {
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
