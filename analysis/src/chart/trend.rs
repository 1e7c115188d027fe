//! The chart of a horse's trend document: alerts on top, riding time per
//! ISO week stacked by gait, the week's rein split, the daily acute:chronic
//! workload ratio against its normal band and spike limit, and trot
//! symmetry per session against the baseline band the alerts use.
//!
//! Time runs in days from the first day shown; labels are dates.

use chrono::{Datelike, Duration, NaiveDate};
use svg::node::element::{Group, Path, Title};
use trend::document::{Alert, Metric, Volume, WorkloadDay};
use trend::{TrendConfig, TrendDocument};

use super::{LEFT, RIGHT, TimeScale, ValueScale, WIDTH, document, label, line, num, rect, text};

const TITLE_Y: f64 = 22.0;
const ALERT_Y: f64 = 40.0;
const VOLUME: (f64, f64) = (72.0, 182.0);
const REIN_Y: f64 = 194.0;
const REIN_H: f64 = 12.0;
const WORKLOAD: (f64, f64) = (226.0, 306.0);
const SYMMETRY: (f64, f64) = (332.0, 432.0);
const AXIS_Y: f64 = 448.0;
const LEGEND_Y: f64 = 482.0;
const HEIGHT: f64 = 496.0;

/// The symmetry metrics drawn, with their class and name.
const SYMMETRY_METRICS: [(&str, &str, &str); 2] = [
    ("trot.min_diff_mm", "min", "MinDiff"),
    ("trot.max_diff_mm", "max", "MaxDiff"),
];

/// The trend chart as an SVG document; `title` is the heading and the
/// accessible name (the horse's name, say).
pub fn trend_svg(doc: &TrendDocument, title: &str) -> String {
    let days = Days::of(doc);
    let body = Group::new()
        .add(heading(doc, title))
        .add(label(ALERT_Y + 12.0, "Alerts"))
        .add(alerts(&doc.alerts, &days))
        .add(volume(&doc.volume.weekly, &days))
        .add(label(REIN_Y + 10.0, "Rein"))
        .add(reins(&doc.volume.weekly, &days))
        .add(workload(&doc.workload.daily, &doc.parameters, &days))
        .add(symmetry(&doc.quality, &doc.parameters, &days))
        .add(days.axis(ALERT_Y, AXIS_Y))
        .add(super::legend(
            LEGEND_Y,
            &[
                ("gait-walk", "walk"),
                ("gait-trot", "trot"),
                ("gait-canter", "canter"),
                ("gait-gallop", "gallop"),
                ("rein-left", "left rein"),
                ("rein-right", "right rein"),
                ("band", "normal band"),
            ],
            &[
                ("sw-min", "MinDiff"),
                ("sw-max", "MaxDiff"),
                ("sw-alert", "alert"),
            ],
        ));
    document(HEIGHT, title, &description(doc), body)
}

/// Days since the first day shown, on the chart's time scale.
struct Days {
    origin: NaiveDate,
    scale: TimeScale,
}

impl Days {
    /// From the first to the end of the last week or day in the document
    /// (a week at least, so one session still draws).
    fn of(doc: &TrendDocument) -> Self {
        let starts = doc
            .volume
            .weekly
            .iter()
            .filter_map(|w| day(&w.start).map(|d| (d, 7)))
            .chain(
                doc.workload
                    .daily
                    .iter()
                    .filter_map(|d| day(&d.date).map(|d| (d, 1))),
            )
            .chain(
                [&doc.first_session, &doc.last_session]
                    .into_iter()
                    .flatten()
                    .filter_map(|s| day(s).map(|d| (d, 1))),
            );
        let (mut first, mut end) = (None::<NaiveDate>, None::<NaiveDate>);
        for (d, len) in starts {
            first = Some(first.map_or(d, |f| f.min(d)));
            let e = d + Duration::days(len);
            end = Some(end.map_or(e, |x| x.max(e)));
        }
        let origin = first.unwrap_or_default();
        let span = end.map_or(7, |e| (e - origin).num_days()).max(7);
        Days {
            origin,
            scale: TimeScale::new(span as f64),
        }
    }

    /// x of the start of the day a label names (plus `offset` days).
    fn x(&self, label: &str, offset: f64) -> Option<f64> {
        let d = day(label)?;
        Some(self.scale.x((d - self.origin).num_days() as f64 + offset))
    }

    /// The date axis at `y` with grid lines up to `top`: ticks on Mondays
    /// (or month starts over long spans).
    fn axis(&self, top: f64, y: f64) -> Group {
        let span = self.scale.span();
        let step = [7, 14, 28, 56, 91, 182, 364]
            .into_iter()
            .find(|s| span / *s as f64 <= 10.0)
            .unwrap_or(728);
        let mut g =
            Group::new()
                .set("class", "time-axis")
                .add(line(LEFT, y, WIDTH - RIGHT, y, "axis"));
        // The first Monday on or after the origin.
        let mut d = self.origin
            + Duration::days((7 - i64::from(self.origin.weekday().num_days_from_monday())) % 7);
        while ((d - self.origin).num_days() as f64) <= span {
            let x = self.scale.x((d - self.origin).num_days() as f64);
            let anchor = if x > WIDTH - RIGHT - 24.0 {
                "end"
            } else {
                "middle"
            };
            g = g.add(line(x, top, x, y, "grid")).add(
                text(x, y + 14.0, &d.format("%-d %b").to_string(), "muted")
                    .set("text-anchor", anchor),
            );
            d += Duration::days(step);
        }
        g
    }
}

/// The date a label starts with (`2026-11-26`, a timestamp, an ISO week).
fn day(label: &str) -> Option<NaiveDate> {
    trend::window::first_day(label)
}

/// One sentence for screen readers and the file's `<desc>`.
fn description(doc: &TrendDocument) -> String {
    let open = doc.alerts.iter().filter(|a| a.status == "open").count();
    format!(
        "{} sessions from {} to {} over {} weeks; {} alerts, {} open.",
        doc.sessions,
        doc.first_session
            .as_deref()
            .and_then(day)
            .map_or_else(String::new, |d| d.to_string()),
        doc.last_session
            .as_deref()
            .and_then(day)
            .map_or_else(String::new, |d| d.to_string()),
        doc.volume.weekly.len(),
        doc.alerts.len(),
        open
    )
}

fn heading(doc: &TrendDocument, title: &str) -> Group {
    let sub = format!(
        "{} sessions · {} weeks · {} alerts · {}",
        doc.sessions,
        doc.volume.weekly.len(),
        doc.alerts.len(),
        doc.algorithm_version
    );
    Group::new()
        .add(text(LEFT, TITLE_Y, title, "title"))
        .add(text(WIDTH - RIGHT, TITLE_Y, &sub, "muted").set("text-anchor", "end"))
}

/// A mark on the day each alert was confirmed, with a line down through the
/// panels; its message is the tooltip.
fn alerts(alerts: &[Alert], days: &Days) -> Group {
    let mut g = Group::new().set("class", "alerts");
    for a in alerts {
        let Some(x) = days.x(&a.confirmed_at, 0.5) else {
            continue;
        };
        let d = format!(
            "M{} {}L{} {}L{} {}Z",
            num(x - 6.0),
            num(ALERT_Y + 2.0),
            num(x + 6.0),
            num(ALERT_Y + 2.0),
            num(x),
            num(ALERT_Y + 14.0)
        );
        g = g.add(
            Group::new()
                .set("class", format!("alert alert-{}", a.severity))
                .set("data-kind", a.kind.as_str())
                .add(Title::new(format!(
                    "{} ({}, {}): {}",
                    a.kind, a.severity, a.status, a.message
                )))
                .add(Path::new().set("d", d))
                .add(line(x, ALERT_Y + 14.0, x, SYMMETRY.1, "")),
        );
    }
    g
}

/// Minutes per ISO week, stacked by gait (halts left out).
fn volume(weeks: &[Volume], days: &Days) -> Group {
    let (top, bottom) = VOLUME;
    let most = weeks.iter().map(|w| moving_s(w) / 60.0).fold(0.0, f64::max);
    let vs = ValueScale::new(0.0, most, true, top, bottom);
    let mut g = Group::new()
        .set("class", "panel panel-volume")
        .add(vs.axis())
        .add(label(top + 10.0, "Riding"))
        .add(label(top + 24.0, "min/week"));
    for w in weeks {
        let (Some(x0), Some(x1)) = (days.x(&w.start, 0.0), days.x(&w.start, 7.0)) else {
            continue;
        };
        let width = (x1 - x0 - 2.0).max(1.0);
        let mut bar = Group::new()
            .set("class", "week")
            .set("data-week", w.period.as_str());
        let mut tip = format!("{}: {} sessions", w.period, w.sessions);
        let mut base = 0.0;
        for gv in w.gaits.iter().filter(|gv| gv.gait.name() != "halt") {
            let m = gv.time_s / 60.0;
            tip.push_str(&format!(", {} {m:.0} min", gv.gait.name()));
            let (y0, y1) = (vs.y(base), vs.y(base + m));
            bar = bar.add(
                Group::new()
                    .set("class", format!("gait-{}", gv.gait.name()))
                    .add(rect(x0 + 1.0, y1, width, (y0 - y1).max(0.0))),
            );
            base += m;
        }
        g = g.add(bar.add(Title::new(tip)));
    }
    g
}

/// A week's riding time in motion (every gait but halt).
fn moving_s(w: &Volume) -> f64 {
    w.gaits
        .iter()
        .filter(|g| g.gait.name() != "halt")
        .map(|g| g.time_s)
        .sum()
}

/// Each week's left : right time as one bar split in proportion (straight
/// riding left out); a week without turns draws nothing.
fn reins(weeks: &[Volume], days: &Days) -> Group {
    let mut g = Group::new().set("class", "reins");
    for w in weeks {
        let turning = w.left_s + w.right_s;
        let (Some(x0), Some(x1)) = (days.x(&w.start, 0.0), days.x(&w.start, 7.0)) else {
            continue;
        };
        if turning <= 0.0 {
            continue;
        }
        let width = (x1 - x0 - 2.0).max(1.0);
        let left = width * w.left_s / turning;
        g = g.add(
            Group::new()
                .set("class", "week-rein")
                .add(Title::new(format!(
                    "{}: left {:.0} min, right {:.0} min, straight {:.0} min",
                    w.period,
                    w.left_s / 60.0,
                    w.right_s / 60.0,
                    w.straight_s / 60.0
                )))
                .add(Group::new().set("class", "rein-left").add(rect(
                    x0 + 1.0,
                    REIN_Y,
                    left,
                    REIN_H,
                )))
                .add(Group::new().set("class", "rein-right").add(rect(
                    x0 + 1.0 + left,
                    REIN_Y,
                    width - left,
                    REIN_H,
                ))),
        );
    }
    g
}

/// The daily acute:chronic ratio (a break where there is none) over the
/// normal band, with the spike limit dashed.
fn workload(daily: &[WorkloadDay], cfg: &TrendConfig, days: &Days) -> Group {
    let (top, bottom) = WORKLOAD;
    let most = daily
        .iter()
        .filter_map(|d| d.ratio)
        .fold(cfg.acwr_spike, f64::max);
    let vs = ValueScale::new(0.0, most, true, top, bottom);
    let band_top = vs.y(cfg.acwr_high);
    let mut g = Group::new()
        .set("class", "panel panel-workload")
        .add(
            rect(
                LEFT,
                band_top,
                WIDTH - LEFT - RIGHT,
                vs.y(cfg.acwr_low) - band_top,
            )
            .set("class", "band")
            .add(Title::new(format!(
                "normal band {:.1}–{:.1}; spike above {:.1}",
                cfg.acwr_low, cfg.acwr_high, cfg.acwr_spike
            ))),
        )
        .add(vs.axis())
        .add(line(
            LEFT,
            vs.y(cfg.acwr_spike),
            WIDTH - RIGHT,
            vs.y(cfg.acwr_spike),
            "limit",
        ))
        .add(label(top + 10.0, "Workload"))
        .add(label(top + 24.0, "ratio"));
    let mut d = String::new();
    let mut pen_down = false;
    for day in daily {
        match (day.ratio, days.x(&day.date, 0.5)) {
            (Some(r), Some(x)) => {
                d.push_str(&format!(
                    "{}{} {}",
                    if pen_down { "L" } else { "M" },
                    num(x),
                    num(vs.y(r))
                ));
                pen_down = true;
            }
            _ => pen_down = false,
        }
    }
    if !d.is_empty() {
        g = g.add(Path::new().set("class", "series ratio").set("d", d));
    }
    g
}

/// MinDiff and MaxDiff of each session (with its interval) and the band
/// of the current baseline inside which no asymmetry alert is raised.
fn symmetry(quality: &[Metric], cfg: &TrendConfig, days: &Days) -> Group {
    let (top, bottom) = SYMMETRY;
    let drawn: Vec<(&Metric, &str, &str)> = SYMMETRY_METRICS
        .iter()
        .filter_map(|(id, class, name)| {
            quality
                .iter()
                .find(|m| m.metric == *id)
                .map(|m| (m, *class, *name))
        })
        .collect();
    let mut lo: f64 = -2.0;
    let mut hi: f64 = 2.0;
    for (m, _, _) in &drawn {
        for p in &m.points {
            let ci = p.ci.unwrap_or(0.0);
            lo = lo.min(p.value - ci);
            hi = hi.max(p.value + ci);
        }
        if let Some((a, b)) = m.baseline.as_ref().map(|b| limits(b, cfg)) {
            lo = lo.min(a);
            hi = hi.max(b);
        }
    }
    let vs = ValueScale::new(lo, hi, true, top, bottom);
    let mut g = Group::new().set("class", "panel panel-symmetry");
    for (m, class, name) in &drawn {
        let Some(b) = &m.baseline else { continue };
        let Some(x0) = days.x(&b.from, 0.0) else {
            continue;
        };
        let (a, z) = limits(b, cfg);
        g = g.add(
            Group::new()
                .set("class", format!("baseline-band {class}"))
                .add(Title::new(format!(
                    "{name} baseline {:+.1} mm over {} sessions from {}; alert outside {:+.1}…{:+.1} mm",
                    b.centre, b.sessions, b.from, a, z
                )))
                .add(
                    rect(x0, vs.y(z), WIDTH - RIGHT - x0, vs.y(a) - vs.y(z))
                        .set("class", "band")
                        .set("opacity", "0.6"),
                )
                .add(line(x0, vs.y(b.centre), WIDTH - RIGHT, vs.y(b.centre), class)),
        );
    }
    g = g
        .add(vs.axis())
        .add(line(LEFT, vs.y(0.0), WIDTH - RIGHT, vs.y(0.0), "axis"))
        .add(label(top + 10.0, "Symmetry"))
        .add(label(top + 24.0, "trot, mm"));
    for (m, class, name) in &drawn {
        for p in &m.points {
            let Some(x) = days.x(&p.session, 0.5) else {
                continue;
            };
            let x = x + if *class == "min" { -2.0 } else { 2.0 };
            let mut pg = Group::new().set("class", "point").add(Title::new(format!(
                "{}: {name} {:+.1} mm{} over {} strides{}",
                p.session,
                p.value,
                p.ci.map(|c| format!(" ± {c:.1}")).unwrap_or_default(),
                p.strides,
                p.deviation
                    .map(|d| format!(", {d:+.1} spreads from baseline"))
                    .unwrap_or_default()
            )));
            if let Some(ci) = p.ci {
                pg = pg.add(line(x, vs.y(p.value - ci), x, vs.y(p.value + ci), class));
            }
            g = g.add(pg.add(rect(x - 2.5, vs.y(p.value) - 2.5, 5.0, 5.0).set("class", *class)));
        }
    }
    g
}

/// The alert limits around a baseline: centre ± max(k × spread, floor), as
/// the trend's quality judgement uses them.
fn limits(b: &trend::document::Baseline, cfg: &TrendConfig) -> (f64, f64) {
    let half = (cfg.deviation_k * b.spread).max(cfg.asymmetry_floor_mm);
    (b.centre - half, b.centre + half)
}
