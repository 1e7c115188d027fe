//! Horse histories: many sessions of the same horse over weeks, with its own
//! day-to-day variation and, for some horses, a known event — a trot
//! asymmetry developing from a given session on, a single bad day, or a
//! sudden workload spike. Used by `hoofbeat evaluate-trends` and the trend
//! tests; each session is a full generated recording, analysed as any other.

use serde::{Deserialize, Serialize};

use super::rng::Rng;
use super::{Horse, SessionMods, SynthConfig, SynthSession, generate_with};

/// What happens to a horse over its history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Scenario {
    /// Sound throughout.
    Sound,
    /// From session `onset` on, a trot asymmetry of `mm` (the larger of the
    /// MinDiff and MaxDiff changes): a forelimb lameness moves mostly
    /// MinDiff, a hindlimb one mostly MaxDiff.
    Asymmetry {
        onset: usize,
        fore: bool,
        right: bool,
        mm: f64,
    },
    /// One session (`session`) with a marked asymmetry, a slower, less
    /// regular stride; the next ones are normal again.
    BadDay { session: usize, mm: f64 },
    /// From day `from_day` for 7 days: ridden every day, sessions 2–3× as long.
    WorkloadSpike { from_day: u32 },
}

/// One planned session of a history.
#[derive(Debug, Clone)]
pub struct PlannedSession {
    pub index: usize,
    /// Session start, Unix ms (UTC).
    pub started_at_ms: i64,
    pub config: SynthConfig,
    pub mods: SessionMods,
}

/// A horse, what happens to it, and its sessions.
#[derive(Debug, Clone)]
pub struct History {
    pub horse_index: usize,
    pub scenario: Scenario,
    /// SD of the day-to-day variation of MinDiff and MaxDiff (mm).
    pub symmetry_sd_mm: f64,
    pub sessions: Vec<PlannedSession>,
    horse: Horse,
}

impl History {
    /// Generates one planned session (deterministic).
    pub fn generate(&self, s: &PlannedSession) -> SynthSession {
        generate_with(&s.config, &self.horse, &s.mods, Rng::new(s.config.seed))
    }

    /// The MinDiff and MaxDiff change (mm) the scenario adds to a session.
    pub fn added_asymmetry_mm(&self, s: &PlannedSession) -> (f64, f64) {
        let base = self.base_mods(s.index);
        (
            2000.0 * (s.mods.asym_b_m - base.0),
            2000.0 * (s.mods.asym_c_m - base.1),
        )
    }

    fn base_mods(&self, index: usize) -> (f64, f64) {
        let mut r = Rng::new(mix(self.horse_index as u64 ^ 0xA5A5, index as u64));
        let sd_m = self.symmetry_sd_mm / 2000.0;
        (sd_m * r.normal(), sd_m * r.normal())
    }
}

/// Start of the histories: Monday 2026-09-07 00:00 UTC.
pub const EPOCH_MS: i64 = 1_788_739_200_000;

/// Scenario of horse `i` of `count`: a third sound, a third with a
/// developing asymmetry (fore/hind × left/right in turn), the rest split
/// between a bad day and a workload spike.
fn scenario(i: usize, count: usize, sessions: usize, rng: &mut Rng) -> Scenario {
    let third = count.div_ceil(3);
    if i < third {
        return Scenario::Sound;
    }
    if i < 2 * third {
        let k = i - third;
        // Onset after the baseline has formed (≥ 40 % into the history).
        let lo = (sessions * 2 / 5).max(6);
        let onset = lo + (rng.unit() * (sessions.saturating_sub(lo + 4)).max(1) as f64) as usize;
        return Scenario::Asymmetry {
            onset,
            fore: k.is_multiple_of(2),
            right: (k / 2).is_multiple_of(2),
            mm: rng.range(6.0, 12.0),
        };
    }
    if (i - 2 * third).is_multiple_of(2) {
        let lo = (sessions * 2 / 5).max(6);
        Scenario::BadDay {
            session: lo + (rng.unit() * (sessions.saturating_sub(lo + 2)).max(1) as f64) as usize,
            mm: rng.range(7.0, 10.0),
        }
    } else {
        Scenario::WorkloadSpike {
            from_day: 35 + (rng.unit() * 7.0) as u32,
        }
    }
}

fn mix(a: u64, b: u64) -> u64 {
    a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_add(0x2545_F491_4F6C_DD1D).rotate_left(29)
}

/// Plans `count` horse histories over `weeks` weeks, 3–6 sessions a week,
/// each session `minutes.0..minutes.1` long.
pub fn plan(count: usize, weeks: u32, minutes: (f64, f64), seed: u64) -> Vec<History> {
    (0..count)
        .map(|i| plan_one(i, count, weeks, minutes, seed))
        .collect()
}

fn plan_one(i: usize, count: usize, weeks: u32, minutes: (f64, f64), seed: u64) -> History {
    let mut rng = Rng::new(mix(seed, i as u64));
    let mut horse = Horse::new(&mut rng);
    // A sound horse is close to symmetric; its own pace at each gait.
    horse.asym_b = rng.range(-0.0015, 0.0015);
    horse.asym_c = rng.range(-0.0015, 0.0015);
    horse.pace = Some([
        rng.range(0.8, 0.95),
        rng.range(1.25, 1.5),
        rng.range(1.45, 1.8),
        rng.range(2.1, 2.5),
    ]);
    let symmetry_sd_mm = rng.range(0.6, 1.5);
    let cadence_sd = rng.range(0.005, 0.015);
    // Each horse its own usual session length within the range.
    let span = minutes.1 - minutes.0;
    let own = (
        minutes.0 + 0.3 * span * rng.unit(),
        minutes.1 - 0.3 * span * rng.unit(),
    );
    let per_week = 3 + (rng.unit() * 4.0) as u32; // 3–6
    let spike_day = |sc: &Scenario, day: u32| match sc {
        Scenario::WorkloadSpike { from_day } => (*from_day..*from_day + 7).contains(&day),
        _ => false,
    };
    // Days first (the scenario needs the session count), then the sessions.
    let mut days: Vec<u32> = Vec::new();
    for w in 0..weeks {
        let mut week: Vec<u32> = (0..7).collect();
        for k in 0..per_week as usize {
            let j = k + (rng.unit() * (7 - k) as f64) as usize;
            week.swap(k, j.min(6));
        }
        let mut chosen: Vec<u32> = week[..per_week as usize]
            .iter()
            .map(|d| w * 7 + d)
            .collect();
        chosen.sort_unstable();
        days.extend(chosen);
    }
    let scenario = scenario(i, count, days.len(), &mut rng);
    if let Scenario::WorkloadSpike { from_day } = scenario {
        days.retain(|d| !(from_day..from_day + 7).contains(d));
        days.extend(from_day..from_day + 7);
        days.sort_unstable();
    }
    let mut history = History {
        horse_index: i,
        scenario: scenario.clone(),
        symmetry_sd_mm,
        sessions: Vec::new(),
        horse,
    };
    let rates = [50.0, 60.0, 100.0, 200.0];
    for (k, &day) in days.iter().enumerate() {
        let hour_ms = ((7.0 + rng.unit() * 11.0) * 3_600_000.0) as i64;
        let mut mins = rng.range(own.0, own.1);
        if spike_day(&scenario, day) {
            mins = (mins * rng.range(2.0, 3.0)).min(240.0);
        }
        let (b, c) = history.base_mods(k);
        let mut mods = SessionMods {
            asym_b_m: b,
            asym_c_m: c,
            stride_factor: 1.0 + cadence_sd * rng.normal(),
            warmup: true,
            ..SessionMods::default()
        };
        match &scenario {
            Scenario::Asymmetry {
                onset,
                fore,
                right,
                mm,
            } if k >= *onset => {
                let s = if *right { -1.0 } else { 1.0 };
                let (main, side) = (mm / 2000.0, 0.35 * mm / 2000.0);
                if *fore {
                    mods.asym_b_m += s * main;
                    mods.asym_c_m += s * side;
                } else {
                    mods.asym_b_m += s * side;
                    mods.asym_c_m += s * main;
                }
            }
            Scenario::BadDay { session, mm } if k == *session => {
                mods.asym_b_m += mm / 2000.0;
                mods.stride_factor *= 0.95;
                mods.jitter = 0.06;
                mods.jitter_limit = 0.2;
            }
            _ => {}
        }
        history.sessions.push(PlannedSession {
            index: k,
            started_at_ms: EPOCH_MS + i64::from(day) * 86_400_000 + hour_ms,
            config: SynthConfig {
                seed: mix(seed ^ 0x5EED, (i as u64) << 32 | k as u64),
                minutes: mins,
                rate_hz: rates[(i + k) % rates.len()],
            },
            mods,
        });
    }
    history
}
