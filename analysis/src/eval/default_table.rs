//! The default target table (`evaluate`) and its printed form.

use super::*;

impl Score {
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
