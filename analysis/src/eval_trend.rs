//! Scores the trend against generated horse histories: for each horse, the
//! sessions from the onset of an asymmetry to its alert, false alerts, and
//! the workload figures against the session figures and the generator's
//! truth. Every session is a full recording analysed by [`crate::analyze`].

use rayon::prelude::*;
use std::fmt;

use trend::{SessionFeatures, TrendConfig, TrendDocument};

use crate::synth::history::{self, History, Scenario};

/// One analysed session of a history.
#[derive(Debug, Clone)]
pub struct Analysed {
    pub features: SessionFeatures,
    /// Σ gait weight × minutes of the generator's truth bouts.
    pub truth_load: f64,
    /// The scenario's added MinDiff/MaxDiff (mm).
    pub added_mm: (f64, f64),
}

/// Generates and analyses every session of the histories (in parallel).
pub fn analyse_histories(histories: &[History]) -> Vec<Vec<Analysed>> {
    let jobs: Vec<(usize, usize)> = histories
        .iter()
        .enumerate()
        .flat_map(|(h, hist)| (0..hist.sessions.len()).map(move |s| (h, s)))
        .collect();
    let done: Vec<((usize, usize), Option<Analysed>)> = jobs
        .into_par_iter()
        .map(|(h, k)| {
            let hist = &histories[h];
            let planned = &hist.sessions[k];
            let s = hist.generate(planned);
            let a = crate::analyze(&s.recording).ok().map(|a| Analysed {
                features: crate::features::from_analysis(&a, planned.started_at_ms),
                truth_load: s
                    .truth
                    .bouts
                    .iter()
                    .map(|b| (b.end_s - b.start_s) / 60.0 * b.gait.workload_weight())
                    .sum(),
                added_mm: hist.added_asymmetry_mm(planned),
            });
            ((h, k), a)
        })
        .collect();
    let mut out: Vec<Vec<Analysed>> = vec![Vec::new(); histories.len()];
    for ((h, _), a) in done {
        out[h].extend(a);
    }
    out
}

/// The result for one horse.
#[derive(Debug, Clone)]
pub struct HorseScore {
    pub horse: usize,
    pub scenario: String,
    pub sessions: usize,
    pub symmetry_sessions: usize,
    /// Asymmetry horses: the true and measured change of the main metric
    /// (median after onset − median before), mm.
    pub true_change_mm: Option<f64>,
    pub measured_change_mm: Option<f64>,
    /// Asymmetry horses: sessions from onset to the confirming session
    /// (1 = the onset session itself); `None` = never alerted.
    pub sessions_to_alert: Option<usize>,
    pub must_alert: bool,
    /// Asymmetry alerts that do not belong to the scenario's event.
    pub false_asymmetry: usize,
    /// Other alerts by kind: `kind×n`.
    pub other_alerts: Vec<String>,
    /// Workload: Σ daily loads of the trend, Σ session figures, Σ truth.
    pub load_trend: f64,
    pub load_sessions: f64,
    pub load_truth: f64,
    /// Spike horses: alerted during the spike week.
    pub spike_alerted: Option<bool>,
    /// Bad-day horses: what the bad day raised.
    pub bad_day: Option<String>,
}

impl HorseScore {
    fn load_exact(&self) -> bool {
        (self.load_trend - self.load_sessions).abs() < 0.01
    }
}

/// Scores one horse's trend document.
pub fn score_horse(hist: &History, sessions: &[Analysed], doc: &TrendDocument) -> HorseScore {
    let keys: Vec<String> = trend::prepare(
        &sessions
            .iter()
            .map(|a| a.features.clone())
            .collect::<Vec<_>>(),
    )
    .iter()
    .map(|s| s.key.clone())
    .collect();
    let index_of = |key: &str| keys.iter().position(|k| k == key);
    let asym: Vec<&trend::Alert> = doc
        .alerts
        .iter()
        .filter(|a| a.kind == "asymmetry")
        .collect();
    let mut score = HorseScore {
        horse: hist.horse_index,
        scenario: String::new(),
        sessions: sessions.len(),
        symmetry_sessions: sessions
            .iter()
            .filter(|a| a.features.symmetry.is_some())
            .count(),
        true_change_mm: None,
        measured_change_mm: None,
        sessions_to_alert: None,
        must_alert: false,
        false_asymmetry: 0,
        other_alerts: Vec::new(),
        load_trend: doc.workload.daily.iter().map(|d| d.load).sum(),
        load_sessions: sessions.iter().map(|a| a.features.load).sum(),
        load_truth: sessions.iter().map(|a| a.truth_load).sum(),
        spike_alerted: None,
        bad_day: None,
    };
    match &hist.scenario {
        Scenario::Sound => {
            score.scenario = "sound".into();
            score.false_asymmetry = asym.len();
        }
        Scenario::Asymmetry {
            onset,
            fore,
            right,
            mm,
        } => {
            score.must_alert = true;
            score.scenario = format!(
                "{} {} {:.1} mm from #{}",
                if *fore { "fore" } else { "hind" },
                if *right { "right" } else { "left" },
                mm,
                onset + 1
            );
            let main = |a: &Analysed| {
                let y = a.features.symmetry.as_ref()?;
                Some(if *fore { y.min_diff_mm } else { y.max_diff_mm })
            };
            let before: Vec<f64> = sessions[..*onset].iter().filter_map(main).collect();
            let after: Vec<f64> = sessions[*onset..].iter().filter_map(main).collect();
            if let (Some(b), Some(a)) =
                (trend::stats::median(&before), trend::stats::median(&after))
            {
                score.measured_change_mm = Some(a - b);
            }
            let added = sessions.get(*onset).map(|a| a.added_mm);
            score.true_change_mm = added.map(|(b, c)| if *fore { b } else { c });
            for a in &asym {
                let start = index_of(&a.started_at).unwrap_or(0);
                let confirmed = index_of(&a.confirmed_at).unwrap_or(0);
                if start >= *onset {
                    let n = confirmed + 1 - onset;
                    score.sessions_to_alert = Some(score.sessions_to_alert.map_or(n, |m| m.min(n)));
                } else {
                    score.false_asymmetry += 1;
                }
            }
        }
        Scenario::BadDay { session, mm } => {
            score.scenario = format!("bad day #{} (+{:.1} mm)", session + 1, mm);
            score.bad_day = Some(
                match asym
                    .iter()
                    .find(|a| index_of(&a.started_at) == Some(*session))
                {
                    Some(a) if a.cleared_at.is_some() => "alerted, cleared".into(),
                    Some(_) => "alerted, open".into(),
                    None => "no alert".into(),
                },
            );
            score.false_asymmetry = asym
                .iter()
                .filter(|a| index_of(&a.started_at) != Some(*session))
                .count();
        }
        Scenario::WorkloadSpike { from_day } => {
            score.scenario = format!("workload spike from day {}", from_day + 1);
            score.false_asymmetry = asym.len();
            let first = trend::calendar::day_of(history::EPOCH_MS);
            score.spike_alerted = Some(doc.alerts.iter().any(|a| {
                a.kind == "workload_spike"
                    && trend::window::first_day(&a.started_at).is_some_and(|d| {
                        let k = trend::calendar::days_between(first, d);
                        k >= i64::from(*from_day) && k < i64::from(*from_day) + 7
                    })
            }));
        }
    }
    let mut kinds: Vec<&str> = doc
        .alerts
        .iter()
        .filter(|a| a.kind != "asymmetry")
        .map(|a| a.kind.as_str())
        .collect();
    kinds.sort_unstable();
    for k in kinds
        .iter()
        .copied()
        .collect::<std::collections::BTreeSet<_>>()
    {
        let n = kinds.iter().filter(|x| **x == k).count();
        score.other_alerts.push(format!("{k}×{n}"));
    }
    score
}

/// Every horse of an evaluation.
#[derive(Debug, Clone, Default)]
pub struct TrendScore {
    pub horses: Vec<HorseScore>,
    pub weeks: u32,
}

impl TrendScore {
    /// The targets of the trend issue, each with its measured value.
    pub fn targets(&self) -> Vec<(String, String, bool)> {
        let asym: Vec<&HorseScore> = self.horses.iter().filter(|h| h.must_alert).collect();
        let alerted = asym
            .iter()
            .filter(|h| h.sessions_to_alert.is_some_and(|n| n <= 2))
            .count();
        let sound: Vec<&HorseScore> = self
            .horses
            .iter()
            .filter(|h| h.scenario == "sound")
            .collect();
        let sound_false: usize = sound.iter().map(|h| h.false_asymmetry).sum();
        let exact = self.horses.iter().filter(|h| h.load_exact()).count();
        let spikes: Vec<bool> = self.horses.iter().filter_map(|h| h.spike_alerted).collect();
        let truth: f64 = self.horses.iter().map(|h| h.load_truth).sum();
        let trend: f64 = self.horses.iter().map(|h| h.load_trend).sum();
        vec![
            (
                "developing asymmetries alerted within 2 sessions".into(),
                format!("{alerted}/{}", asym.len()),
                alerted == asym.len(),
            ),
            (
                format!("asymmetry alerts on sound horses over {} weeks", self.weeks),
                format!("{sound_false} (on {} horses)", sound.len()),
                sound_false == 0,
            ),
            (
                "workload = Σ session figures (exact)".into(),
                format!("{exact}/{} horses", self.horses.len()),
                exact == self.horses.len(),
            ),
            (
                "workload spikes alerted in the spike week".into(),
                format!("{}/{}", spikes.iter().filter(|s| **s).count(), spikes.len()),
                spikes.iter().all(|s| *s),
            ),
            (
                "workload vs generator truth (report)".into(),
                format!(
                    "{:+.2} % ({trend:.0} vs {truth:.0} gait-weighted min)",
                    100.0 * (trend - truth) / truth.max(1e-9)
                ),
                true,
            ),
        ]
    }

    pub fn all_pass(&self) -> bool {
        self.targets().iter().all(|t| t.2)
    }
}

impl fmt::Display for TrendScore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:>5} {:<30} {:>8} {:>8} {:>8} {:>9} {:>6} {:>10} {:>10} {:>8}  other alerts",
            "horse",
            "scenario",
            "sessions",
            "sym",
            "true Δ",
            "measured",
            "alert",
            "false asym",
            "load",
            "truth"
        )?;
        writeln!(f, "{}", "-".repeat(140))?;
        for h in &self.horses {
            let opt = |v: Option<f64>| v.map_or("-".into(), |x| format!("{x:+.1}"));
            writeln!(
                f,
                "{:>5} {:<30} {:>8} {:>8} {:>8} {:>9} {:>6} {:>10} {:>10.1} {:>8.1}  {}",
                h.horse + 1,
                h.scenario,
                h.sessions,
                h.symmetry_sessions,
                opt(h.true_change_mm),
                opt(h.measured_change_mm),
                match (h.must_alert, h.sessions_to_alert) {
                    (true, Some(n)) => format!("+{n}"),
                    (true, None) => "never".into(),
                    (false, _) => "-".into(),
                },
                h.false_asymmetry,
                h.load_trend,
                h.load_truth,
                h.bad_day
                    .iter()
                    .map(|b| format!("bad day: {b}"))
                    .chain(h.other_alerts.iter().cloned())
                    .collect::<Vec<_>>()
                    .join(", ")
            )?;
        }
        writeln!(f)?;
        writeln!(f, "{:<52} {:<28} result", "target", "measured")?;
        writeln!(f, "{}", "-".repeat(90))?;
        for (name, value, pass) in self.targets() {
            writeln!(
                f,
                "{name:<52} {value:<28} {}",
                if pass { "PASS" } else { "MISSED" }
            )?;
        }
        writeln!(
            f,
            "\n(sym = sessions with a trot MinDiff/MaxDiff; true/measured Δ = median change of the main \
             metric after onset, mm; alert = sessions from onset to the confirming one, +1 = the onset session)"
        )
    }
}

/// Plans, generates, analyses and scores `horses` histories of `weeks` weeks.
pub fn evaluate(horses: usize, weeks: u32, minutes: (f64, f64), seed: u64) -> TrendScore {
    let histories = history::plan(horses, weeks, minutes, seed);
    let analysed = analyse_histories(&histories);
    let cfg = TrendConfig::default();
    let horses = histories
        .par_iter()
        .zip(analysed.par_iter())
        .map(|(h, a)| {
            let features: Vec<SessionFeatures> = a.iter().map(|x| x.features.clone()).collect();
            let doc = trend::compute(&features, &cfg);
            score_horse(h, a, &doc)
        })
        .collect();
    TrendScore { horses, weeks }
}
