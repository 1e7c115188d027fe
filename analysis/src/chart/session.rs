//! The chart of one session: a gait timeline coloured by gait, the rein
//! timeline, canter lead marks, jumps with their flight time, cadence and
//! trunk elevation over time, and the trot symmetry of each straight stretch
//! with its 95 % interval.

use std::fmt::Write as _;

use svg::node::element::{Group, Path, Title};

use super::{
    LEFT, RIGHT, TimeScale, ValueScale, WIDTH, clock, document, label, line, num, rect, text,
};
use crate::report::{Bout, Jump, Lead, Rein, SessionAnalysis, SymmetryStretch};

const TITLE_Y: f64 = 22.0;
const GAIT_Y: f64 = 44.0;
const GAIT_H: f64 = 28.0;
const REIN_Y: f64 = 78.0;
const REIN_H: f64 = 12.0;
const LEAD_Y: f64 = 108.0;
const JUMP_Y: f64 = 120.0;
const JUMP_H: f64 = 26.0;
const CADENCE: (f64, f64) = (166.0, 236.0);
const ELEVATION: (f64, f64) = (262.0, 332.0);
const SYMMETRY: (f64, f64) = (358.0, 448.0);
const AXIS_Y: f64 = 464.0;
const LEGEND_Y: f64 = 498.0;
const HEIGHT: f64 = 512.0;

/// The session chart as an SVG document. `title` is shown as the heading
/// and the accessible name (a file name, or the horse and the date).
pub fn session_svg(a: &SessionAnalysis, title: &str) -> String {
    let span = a
        .bouts
        .iter()
        .map(|b| b.end_s)
        .chain(a.rein_timeline.iter().map(|r| r.end_s))
        .fold(a.quality.duration_s, f64::max);
    let ts = TimeScale::new(span);
    let body = Group::new()
        .add(heading(a, title))
        .add(gaps(a, &ts))
        .add(label(GAIT_Y + 18.0, "Gait"))
        .add(bouts(&a.bouts, &ts))
        .add(label(REIN_Y + 10.0, "Rein"))
        .add(reins(a, &ts))
        .add(label(LEAD_Y + 4.0, "Lead"))
        .add(leads(&a.bouts, &ts))
        .add(label(JUMP_Y + 20.0, "Jumps"))
        .add(jumps(&a.jumps, &ts))
        .add(per_bout_panel(
            &a.bouts,
            &ts,
            CADENCE,
            "Cadence",
            "strides/min",
            |b| b.cadence_spm,
        ))
        .add(per_bout_panel(
            &a.bouts,
            &ts,
            ELEVATION,
            "Elevation",
            "cm",
            |b| b.elevation_cm,
        ))
        .add(symmetry(&a.symmetry_stretches, &ts))
        .add(ts.axis(GAIT_Y, AXIS_Y))
        .add(legend());
    document(HEIGHT, title, &description(a), body)
}

/// One sentence for screen readers and the file's `<desc>`.
fn description(a: &SessionAnalysis) -> String {
    let mut d = format!(
        "{} analysed of {}: {} gait bouts, {} jumps",
        clock(a.quality.analysed_s),
        clock(a.quality.duration_s),
        a.bouts.len(),
        a.jumps.len()
    );
    for g in &a.gaits {
        let _ = write!(d, ", {} {}", g.gait.name(), clock(g.time_s));
    }
    d.push('.');
    d
}

fn heading(a: &SessionAnalysis, title: &str) -> Group {
    let sub = format!(
        "{} analysed · {} bouts · {} jumps · {}",
        clock(a.quality.analysed_s),
        a.bouts.len(),
        a.jumps.len(),
        a.algorithm_version
    );
    Group::new()
        .add(text(LEFT, TITLE_Y, title, "title"))
        .add(text(WIDTH - RIGHT, TITLE_Y, &sub, "muted").set("text-anchor", "end"))
}

/// Holes in the data, shaded across every lane.
fn gaps(a: &SessionAnalysis, ts: &TimeScale) -> Group {
    let mut g = Group::new().set("class", "gaps");
    for gap in &a.quality.gaps {
        g = g.add(
            Group::new()
                .set("class", "gap")
                .add(Title::new(format!(
                    "no data {}–{}",
                    clock(gap.start_s),
                    clock(gap.end_s)
                )))
                .add(rect(
                    ts.x(gap.start_s),
                    GAIT_Y,
                    ts.width(gap.start_s, gap.end_s, 1.0),
                    SYMMETRY.1 - GAIT_Y,
                )),
        );
    }
    g
}

fn bouts(bouts: &[Bout], ts: &TimeScale) -> Group {
    let mut g = Group::new().set("class", "bouts");
    for (i, b) in bouts.iter().enumerate() {
        let mut tip = format!(
            "{} {}–{} · {} strides",
            b.gait.name(),
            clock(b.start_s),
            clock(b.end_s),
            b.strides
        );
        if b.cadence_spm > 0.0 {
            let _ = write!(tip, " · {:.0} strides/min", b.cadence_spm);
        }
        g = g.add(
            Group::new()
                .set("class", format!("bout gait-{}", b.gait.name()))
                .set("data-index", i)
                .add(Title::new(tip))
                .add(rect(
                    ts.x(b.start_s),
                    GAIT_Y,
                    ts.width(b.start_s, b.end_s, 0.5),
                    GAIT_H,
                )),
        );
    }
    g
}

fn rein_name(r: Rein) -> &'static str {
    match r {
        Rein::Left => "left",
        Rein::Right => "right",
        Rein::Straight => "straight",
    }
}

fn reins(a: &SessionAnalysis, ts: &TimeScale) -> Group {
    let mut g = Group::new().set("class", "reins");
    for r in &a.rein_timeline {
        let name = rein_name(r.rein);
        g = g.add(
            Group::new()
                .set("class", format!("rein-segment rein-{name}"))
                .add(Title::new(format!(
                    "{name} {}–{}",
                    clock(r.start_s),
                    clock(r.end_s)
                )))
                .add(rect(
                    ts.x(r.start_s),
                    REIN_Y,
                    ts.width(r.start_s, r.end_s, 0.5),
                    REIN_H,
                )),
        );
    }
    g
}

/// `L`, `R` or `?` over each canter or gallop bout, with the confidence in
/// the tooltip; a mark needs 8 px of bout, narrower bouts get the tooltip only.
fn leads(bouts: &[Bout], ts: &TimeScale) -> Group {
    let mut g = Group::new().set("class", "leads");
    for b in bouts.iter().filter(|b| b.gait.has_lead()) {
        let (mark, name) = match b.lead {
            Some(Lead::Left) => ("L", "left"),
            Some(Lead::Right) => ("R", "right"),
            _ => ("?", "unknown"),
        };
        let mut tip = format!("{name} lead, {}–{}", clock(b.start_s), clock(b.end_s));
        if let Some(c) = b.lead_confidence {
            let _ = write!(tip, " (confidence {c:.2})");
        }
        if b.counter_canter == Some(true) {
            tip.push_str(", counter-canter");
        }
        let x = (ts.x(b.start_s) + ts.x(b.end_s)) / 2.0;
        let mut mark_g = Group::new()
            .set("class", format!("lead lead-{name}"))
            .add(Title::new(tip));
        if ts.width(b.start_s, b.end_s, 0.0) >= 8.0 {
            mark_g = mark_g.add(text(x, LEAD_Y + 4.0, mark, ""));
        }
        g = g.add(mark_g);
    }
    g
}

/// A triangle at each take-off, its flight time in ms beside it.
fn jumps(jumps: &[Jump], ts: &TimeScale) -> Group {
    let mut g = Group::new().set("class", "jumps");
    // Flight labels closer than this overlap: such a jump keeps its mark and
    // tooltip but not its label.
    let mut last_label = f64::NEG_INFINITY;
    for j in jumps {
        let x = ts.x(j.time_s);
        let base = JUMP_Y + JUMP_H - 2.0;
        let d = format!(
            "M{} {}L{} {}L{} {}Z",
            num(x - 5.0),
            num(base),
            num(x + 5.0),
            num(base),
            num(x),
            num(base - 9.0)
        );
        let ms = (j.flight_s * 1000.0).round();
        let mut mark = Group::new()
            .set("class", "jump")
            .add(Title::new(format!(
                "jump at {}: flight {ms:.0} ms, rise {:.0} cm",
                clock(j.time_s),
                j.rise_cm
            )))
            .add(Path::new().set("d", d));
        if x - last_label >= 28.0 {
            mark = mark.add(text(x, base - 12.0, &format!("{ms:.0}"), ""));
            last_label = x;
        }
        g = g.add(mark);
    }
    g
}

/// A panel drawing one figure of each bout as a horizontal step over the
/// bout (halts, at 0, are left out).
fn per_bout_panel(
    bouts: &[Bout],
    ts: &TimeScale,
    (top, bottom): (f64, f64),
    name: &str,
    unit: &str,
    value: impl Fn(&Bout) -> f64,
) -> Group {
    let shown: Vec<&Bout> = bouts.iter().filter(|b| value(b) > 0.0).collect();
    let hi = shown.iter().map(|b| value(b)).fold(0.0, f64::max);
    let vs = ValueScale::new(0.0, hi, true, top, bottom);
    let mut d = String::new();
    for b in &shown {
        let y = vs.y(value(b));
        let _ = write!(
            d,
            "M{} {}H{}",
            num(ts.x(b.start_s)),
            num(y),
            num(ts.x(b.end_s))
        );
    }
    let mut g = Group::new()
        .set("class", format!("panel panel-{}", name.to_lowercase()))
        .add(vs.axis())
        .add(label(top + 10.0, name))
        .add(label(top + 24.0, unit));
    if !d.is_empty() {
        g = g.add(Path::new().set("class", "series").set("d", d));
    }
    g
}

/// MinDiff and MaxDiff of each straight trot stretch as a bar over the
/// stretch, with the 95 % interval as a whisker at its middle.
fn symmetry(stretches: &[SymmetryStretch], ts: &TimeScale) -> Group {
    let (top, bottom) = SYMMETRY;
    let extent = |v: f64, ci: Option<f64>| (v - ci.unwrap_or(0.0), v + ci.unwrap_or(0.0));
    let (lo, hi) = stretches
        .iter()
        .flat_map(|s| {
            [
                extent(s.min_diff_mm, s.min_diff_ci_mm),
                extent(s.max_diff_mm, s.max_diff_ci_mm),
            ]
        })
        .fold((-2.0f64, 2.0f64), |(lo, hi), (a, b)| (lo.min(a), hi.max(b)));
    let vs = ValueScale::new(lo, hi, true, top, bottom);
    let mut g = Group::new()
        .set("class", "panel panel-symmetry")
        .add(vs.axis())
        .add(line(LEFT, vs.y(0.0), WIDTH - RIGHT, vs.y(0.0), "axis"))
        .add(label(top + 10.0, "Symmetry"))
        .add(label(top + 24.0, "trot, mm"));
    for s in stretches {
        let (x0, x1) = (ts.x(s.start_s), ts.x(s.end_s));
        let mid = (x0 + x1) / 2.0;
        let mut sg = Group::new()
            .set("class", "symmetry-stretch")
            .add(Title::new(format!(
                "trot {}–{}, {} strides: MinDiff {:+.1} mm{}, MaxDiff {:+.1} mm{}",
                clock(s.start_s),
                clock(s.end_s),
                s.strides,
                s.min_diff_mm,
                interval(s.min_diff_ci_mm),
                s.max_diff_mm,
                interval(s.max_diff_ci_mm)
            )));
        for (class, v, ci, dx) in [
            ("min", s.min_diff_mm, s.min_diff_ci_mm, -2.0),
            ("max", s.max_diff_mm, s.max_diff_ci_mm, 2.0),
        ] {
            sg = sg.add(line(x0, vs.y(v), x1.max(x0 + 2.0), vs.y(v), class));
            if let Some(ci) = ci {
                sg = sg.add(line(mid + dx, vs.y(v - ci), mid + dx, vs.y(v + ci), class));
            }
        }
        g = g.add(sg);
    }
    g
}

fn interval(ci: Option<f64>) -> String {
    ci.map(|c| format!(" ± {c:.1}")).unwrap_or_default()
}

/// Swatches for the gaits, the reins and the two symmetry figures.
fn legend() -> Group {
    super::legend(
        LEGEND_Y,
        &[
            ("gait-halt", "halt"),
            ("gait-walk", "walk"),
            ("gait-trot", "trot"),
            ("gait-canter", "canter"),
            ("gait-gallop", "gallop"),
            ("rein-left", "left rein"),
            ("rein-right", "right rein"),
            ("rein-straight", "straight"),
        ],
        &[("sw-min", "MinDiff"), ("sw-max", "MaxDiff")],
    )
}
