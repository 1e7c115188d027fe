//! Volume per day and per ISO week: sessions, riding time per gait and per
//! rein, strides, jumps and gait-weighted load.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::Session;
use crate::calendar::{day_label, week_label, week_start};
use crate::document::{GaitVolume, Volume, VolumeSeries};
use crate::features::Gait;
use crate::stats::round;

#[derive(Default)]
struct Acc {
    sessions: u32,
    strides: u32,
    jumps: u32,
    load: f64,
    gaits: BTreeMap<Gait, (f64, u32, f64, f64, f64)>,
}

impl Acc {
    fn add(&mut self, s: &Session) {
        self.sessions += 1;
        self.jumps += s.f.jumps;
        self.load += s.f.load;
        for g in &s.f.gaits {
            self.strides += g.strides;
            let e = self.gaits.entry(g.gait).or_default();
            e.0 += g.time_s;
            e.1 += g.strides;
            e.2 += g.left_s;
            e.3 += g.right_s;
            e.4 += g.straight_s;
        }
    }

    fn finish(self, period: String, start: NaiveDate) -> Volume {
        let gaits: Vec<GaitVolume> = self
            .gaits
            .into_iter()
            .map(|(gait, (t, n, l, r, st))| GaitVolume {
                gait,
                time_s: round(t, 1),
                strides: n,
                left_s: round(l, 1),
                right_s: round(r, 1),
                straight_s: round(st, 1),
                rein_balance: (l + r > 0.0).then(|| round((l - r) / (l + r), 3)),
            })
            .collect();
        let riding: Vec<&GaitVolume> = gaits.iter().filter(|g| g.gait != Gait::Halt).collect();
        Volume {
            period,
            start: day_label(start),
            sessions: self.sessions,
            riding_s: round(riding.iter().map(|g| g.time_s).sum(), 1),
            strides: self.strides,
            jumps: self.jumps,
            load: round(self.load, 2),
            left_s: round(riding.iter().map(|g| g.left_s).sum(), 1),
            right_s: round(riding.iter().map(|g| g.right_s).sum(), 1),
            straight_s: round(riding.iter().map(|g| g.straight_s).sum(), 1),
            gaits,
        }
    }
}

/// Volume of the sessions (sorted by start) per day and per ISO week.
pub fn series(sessions: &[Session]) -> VolumeSeries {
    let mut days: BTreeMap<NaiveDate, Acc> = BTreeMap::new();
    let mut weeks: BTreeMap<NaiveDate, Acc> = BTreeMap::new();
    for s in sessions {
        days.entry(s.day).or_default().add(s);
        weeks.entry(week_start(s.day)).or_default().add(s);
    }
    VolumeSeries {
        daily: days
            .into_iter()
            .map(|(d, a)| a.finish(day_label(d), d))
            .collect(),
        weekly: weeks
            .into_iter()
            .map(|(d, a)| a.finish(week_label(d), d))
            .collect(),
    }
}
