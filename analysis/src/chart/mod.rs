//! Charts of the analysis documents, drawn as SVG on the server.
//!
//! One renderer per document, used by everything that draws it: the API's
//! `chart.svg` routes, the admin console and `hoofbeat analyze --chart`. The
//! output is deterministic (same document and title → same bytes), so the API
//! can derive its `ETag` from the bytes.
//!
//! - this module: the frame shared by the charts (time axis, lanes, panels
//!   with a value axis, the stylesheet with light and dark themes);
//! - [`session`]: one session (gait timeline, rein, lead, jumps, cadence,
//!   elevation, trot symmetry);
//! - [`trend`]: a horse's track record (weekly riding per gait and rein,
//!   workload ratio and its band, trot symmetry against the baseline band,
//!   alerts).
//!
//! Elements a reader (or a test) looks for carry a class: `bout` (one group
//! per gait bout, plus `gait-<name>`), `rein-segment`, `lead`, `jump`,
//! `symmetry-stretch`, `gap`; in the trend chart `week` (one per ISO week),
//! `week-rein`, `ratio`, `point`, `baseline-band` and `alert`. User-supplied text only ever goes into text
//! nodes, which the `svg` crate escapes.

mod session;
mod trend;

pub use session::session_svg;
pub use trend::trend_svg;

use svg::Document;
use svg::node::element::{Group, Line, Rectangle, Style, Text, Title};

/// Width of every chart in user units (the SVG scales to its container).
pub(crate) const WIDTH: f64 = 960.0;
/// Room on the left for the lane and panel labels.
pub(crate) const LEFT: f64 = 96.0;
/// Room on the right.
pub(crate) const RIGHT: f64 = 16.0;

/// The palette: (name, light theme, dark theme). Gait colours are told apart
/// by lightness as well as hue, for colour-blind readers.
const PALETTE: [(&str, &str, &str); 18] = [
    ("fg", "#1f2328", "#e6edf3"),
    ("muted", "#57606a", "#9198a1"),
    ("grid", "#d0d7de", "#3d444d"),
    ("bg", "#ffffff", "#0d1117"),
    ("gap", "#8c959f", "#656c76"),
    ("halt", "#afb8c1", "#656c76"),
    ("walk", "#2da44e", "#3fb950"),
    ("trot", "#0969da", "#4493f8"),
    ("canter", "#bc4c00", "#f0883e"),
    ("gallop", "#a40e26", "#ff7b72"),
    ("left", "#8250df", "#a371f7"),
    ("right", "#1b7c83", "#39c5cf"),
    ("straight", "#d0d7de", "#3d444d"),
    ("jump", "#1f2328", "#e6edf3"),
    ("min", "#0969da", "#4493f8"),
    ("max", "#bc4c00", "#f0883e"),
    ("band", "#dafbe1", "#12261e"),
    ("alert", "#cf222e", "#f85149"),
];

/// The rules that set a colour; `{name}` is a [`PALETTE`] entry. They are
/// written out twice, with the light colours and inside a
/// `prefers-color-scheme: dark` block with the dark ones, as literal colours
/// rather than CSS variables: SVG renderers outside browsers (librsvg, the
/// mobile apps' SVG libraries) seldom know `var()`.
const COLOUR_RULES: &str = "text{fill:{fg}}.muted{fill:{muted}}.bg{fill:{bg}}\
.grid{stroke:{grid}}.axis{stroke:{muted}}.gap rect{fill:{gap}}\
.gait-halt rect{fill:{halt}}.gait-walk rect{fill:{walk}}.gait-trot rect{fill:{trot}}\
.gait-canter rect{fill:{canter}}.gait-gallop rect{fill:{gallop}}\
.rein-left rect{fill:{left}}.rein-right rect{fill:{right}}.rein-straight rect{fill:{straight}}\
.lead-unknown text{fill:{muted}}.jump path{fill:{jump}}.series{stroke:{fg}}\
.symmetry-stretch .min{stroke:{min}}.symmetry-stretch .max{stroke:{max}}\
.sw-min{fill:{min}}.sw-max{fill:{max}}\
.band{fill:{band}}.limit{stroke:{alert}}.alert path{fill:{alert}}.alert line{stroke:{alert}}\
.point rect.min{fill:{min}}.point rect.max{fill:{max}}\
.point line.min{stroke:{min}}.point line.max{stroke:{max}}.sw-alert{fill:{alert}}\
.baseline-band.min line{stroke:{min}}.baseline-band.max line{stroke:{max}}";

/// The rules that do not depend on the theme.
const LAYOUT_RULES: &str = "\
text{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;font-size:12px}\
.title{font-size:16px;font-weight:600}.grid{stroke-width:1}.axis{stroke-width:1}\
.gap rect{opacity:.35}.lead text{font-weight:600;text-anchor:middle}\
.jump text{font-size:10px;text-anchor:middle}.series{fill:none;stroke-width:2}\
.symmetry-stretch .min{stroke-width:2}.symmetry-stretch .max{stroke-width:2}\
.limit{stroke-width:1;stroke-dasharray:4 3}.alert line{stroke-width:1;opacity:.6}.point line{stroke-width:1}\
.baseline-band line{stroke-width:1;stroke-dasharray:2 3}";

/// The stylesheet: layout, light colours, dark colours for dark themes.
fn stylesheet() -> String {
    let colours = |dark: bool| {
        PALETTE
            .iter()
            .fold(COLOUR_RULES.to_owned(), |css, (name, light, dim)| {
                css.replace(&format!("{{{name}}}"), if dark { dim } else { light })
            })
    };
    format!(
        "{LAYOUT_RULES}\n{}\n@media (prefers-color-scheme:dark){{{}}}\n",
        colours(false),
        colours(true)
    )
}

/// A number as SVG wants it: one decimal, no `-0.0`.
pub(crate) fn num(x: f64) -> String {
    let r = (x * 10.0).round() / 10.0;
    if r == 0.0 || !r.is_finite() {
        "0".into()
    } else if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

/// `m:ss` or `h:mm:ss`.
pub(crate) fn clock(s: f64) -> String {
    let s = s.max(0.0).round() as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// The horizontal time scale: seconds from the start → x.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TimeScale {
    span_s: f64,
}

impl TimeScale {
    /// A scale over `0..span_s` (at least one second, so an empty session
    /// still draws).
    pub(crate) fn new(span_s: f64) -> Self {
        let span_s = if span_s.is_finite() {
            span_s.max(1.0)
        } else {
            1.0
        };
        TimeScale { span_s }
    }

    /// The span the scale covers.
    pub(crate) fn span(&self) -> f64 {
        self.span_s
    }

    pub(crate) fn x(&self, t: f64) -> f64 {
        LEFT + (t.clamp(0.0, self.span_s) / self.span_s) * (WIDTH - LEFT - RIGHT)
    }

    /// Width of `start..end`, at least `min` so a short event stays visible.
    pub(crate) fn width(&self, start: f64, end: f64, min: f64) -> f64 {
        (self.x(end) - self.x(start)).max(min)
    }

    /// Tick spacing giving 4–10 ticks over the span.
    fn tick_step(&self) -> f64 {
        const STEPS: [f64; 12] = [
            10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0,
        ];
        STEPS
            .into_iter()
            .find(|s| self.span_s / s <= 10.0)
            .unwrap_or(86400.0)
    }

    /// The time axis at `y`, with vertical grid lines up to `top`.
    pub(crate) fn axis(&self, top: f64, y: f64) -> Group {
        let step = self.tick_step();
        let mut g = Group::new().set("class", "time-axis");
        g = g.add(line(LEFT, y, WIDTH - RIGHT, y, "axis"));
        let mut t = 0.0;
        while t <= self.span_s + 1e-9 {
            let x = self.x(t);
            // The last label ends at the edge rather than overflowing it.
            let anchor = if x > WIDTH - RIGHT - 20.0 {
                "end"
            } else {
                "middle"
            };
            g = g
                .add(line(x, top, x, y, "grid"))
                .add(text(x, y + 14.0, &clock(t), "muted").set("text-anchor", anchor));
            t += step;
        }
        g
    }
}

/// A vertical value scale for one panel: `lo..hi` → `bottom..top`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ValueScale {
    lo: f64,
    hi: f64,
    top: f64,
    bottom: f64,
}

impl ValueScale {
    /// A scale including `lo..hi` (and 0 when `with_zero`), widened to round
    /// tick values.
    pub(crate) fn new(lo: f64, hi: f64, with_zero: bool, top: f64, bottom: f64) -> Self {
        let (mut lo, mut hi) = if lo.is_finite() && hi.is_finite() && lo <= hi {
            (lo, hi)
        } else {
            (0.0, 1.0)
        };
        if with_zero {
            lo = lo.min(0.0);
            hi = hi.max(0.0);
        }
        if hi - lo < 1e-9 {
            hi = lo + 1.0;
        }
        let step = nice_step((hi - lo) / 3.0);
        ValueScale {
            lo: (lo / step).floor() * step,
            hi: (hi / step).ceil() * step,
            top,
            bottom,
        }
    }

    pub(crate) fn y(&self, v: f64) -> f64 {
        let v = v.clamp(self.lo, self.hi);
        self.bottom - (v - self.lo) / (self.hi - self.lo) * (self.bottom - self.top)
    }

    /// Grid lines and labels at round values.
    pub(crate) fn axis(&self) -> Group {
        let step = nice_step((self.hi - self.lo) / 3.0);
        let mut g = Group::new().set("class", "value-axis");
        let mut v = self.lo;
        while v <= self.hi + step * 1e-6 {
            let y = self.y(v);
            g = g
                .add(line(LEFT, y, WIDTH - RIGHT, y, "grid"))
                .add(text(LEFT - 6.0, y + 4.0, &num(v), "muted").set("text-anchor", "end"));
            v += step;
        }
        g
    }
}

/// 1, 2 or 5 × 10ⁿ at or above `raw`.
fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag)
}

pub(crate) fn line(x1: f64, y1: f64, x2: f64, y2: f64, class: &str) -> Line {
    Line::new()
        .set("class", class)
        .set("x1", num(x1))
        .set("y1", num(y1))
        .set("x2", num(x2))
        .set("y2", num(y2))
}

pub(crate) fn rect(x: f64, y: f64, w: f64, h: f64) -> Rectangle {
    Rectangle::new()
        .set("x", num(x))
        .set("y", num(y))
        .set("width", num(w))
        .set("height", num(h))
}

pub(crate) fn text(x: f64, y: f64, content: &str, class: &str) -> Text {
    let t = Text::new(content).set("x", num(x)).set("y", num(y));
    if class.is_empty() {
        t
    } else {
        t.set("class", class)
    }
}

/// A legend on one line at `y`: coloured boxes (`class`, name), then
/// coloured strokes (`class`, name).
pub(crate) fn legend(y: f64, boxes: &[(&str, &str)], strokes: &[(&str, &str)]) -> Group {
    let mut g = Group::new().set("class", "legend");
    let mut x = LEFT;
    for (class, name) in boxes {
        g = g.add(
            Group::new()
                .set("class", *class)
                .add(rect(x, y - 9.0, 10.0, 10.0))
                .add(text(x + 14.0, y, name, "")),
        );
        x += 22.0 + 7.0 * name.len() as f64;
    }
    for (class, name) in strokes {
        g = g
            .add(rect(x, y - 5.0, 12.0, 3.0).set("class", *class))
            .add(text(x + 16.0, y, name, ""));
        x += 24.0 + 7.0 * name.len() as f64;
    }
    g
}

/// A lane or panel label in the left margin.
pub(crate) fn label(y: f64, content: &str) -> Text {
    text(8.0, y, content, "muted")
}

/// The document around a chart's body: size, accessible title, stylesheet
/// and background.
pub(crate) fn document(height: f64, title: &str, description: &str, body: Group) -> String {
    let doc = Document::new()
        .set("viewBox", format!("0 0 {} {}", num(WIDTH), num(height)))
        .set("width", num(WIDTH))
        .set("height", num(height))
        .set("role", "img")
        .set("aria-labelledby", "chart-title chart-desc")
        .add(Title::new(title).set("id", "chart-title"))
        .add(
            svg::node::element::Description::new()
                .set("id", "chart-desc")
                .add(svg::node::Text::new(description)),
        )
        .add(Style::new(stylesheet()))
        .add(rect(0.0, 0.0, WIDTH, height).set("class", "bg"))
        .add(body);
    let mut out = doc.to_string();
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short_and_never_negative_zero() {
        assert_eq!(num(-0.01), "0");
        assert_eq!(num(12.0), "12");
        assert_eq!(num(12.345), "12.3");
        assert_eq!(num(f64::NAN), "0");
    }

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(nice_step(0.7), 1.0);
        assert_eq!(nice_step(3.0), 5.0);
        assert_eq!(nice_step(140.0), 200.0);
        let s = ValueScale::new(-3.2, 7.9, true, 0.0, 100.0);
        assert!(s.y(-3.2) <= 100.0 && s.y(7.9) >= 0.0);
        assert_eq!(s.y(s.lo), 100.0);
        assert_eq!(TimeScale::new(3600.0).tick_step(), 600.0);
        assert_eq!(TimeScale::new(0.0).tick_step(), 10.0);
    }
}
