//! The issue-8 target table (`evaluate --variety wide`).

use super::*;

impl Score {
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
}
