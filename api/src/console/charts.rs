//! The overview's two small charts: throughput and failure rate over the
//! last hour, one bar per minute, drawn on the server as inline SVG (the
//! `svg` crate, as the analysis charts; no script). They are styled by the
//! console's stylesheet, so they follow the light or dark theme, and the
//! output is deterministic: same figures, same bytes.
//!
//! The figures come from the attempt history (`job_attempts`) in one query:
//! every attempt counts in the minute it finished, as a success
//! (`succeeded`) or a failure (`failed`: a retry is scheduled, or `dead`).
//! A job that failed and then succeeded on its retry counts both — the
//! failure is what an admin watching the rate wants to see. Interrupted,
//! swept and gone attempts (a worker stopped, a session deleted) are neither.
//! The query reaches the attempts through the jobs changed in the window
//! (`jobs_updated_idx`): finishing an attempt always bumps its job's
//! `updated_at` in the same statement, so no attempt of the window is missed
//! and no index is added to the hot attempt table.

use chrono::{DateTime, Utc};
use svg::Document;
use svg::node::element::{Group, Line, Rectangle, Text, Title};

use crate::state::AppState;

/// One minute of the last hour.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Minute {
    /// Its start.
    pub at: DateTime<Utc>,
    /// Attempts that succeeded in that minute.
    pub succeeded: i64,
    /// Attempts that failed in that minute (retry scheduled, or dead).
    pub failed: i64,
}

impl Minute {
    /// Failures among the outcomes of the minute, in percent (`None`
    /// without any outcome).
    pub fn failure_rate(&self) -> Option<f64> {
        let all = self.succeeded + self.failed;
        (all > 0).then(|| 100.0 * self.failed as f64 / all as f64)
    }
}

/// The last 60 minutes (the current one included), oldest first, every
/// minute present.
pub async fn last_hour(state: &AppState) -> Result<Vec<Minute>, sqlx::Error> {
    sqlx::query_as(
        "WITH outcomes AS (
             SELECT date_trunc('minute', a.finished_at) AS minute,
                    count(*) FILTER (WHERE a.outcome = 'succeeded') AS succeeded,
                    count(*) FILTER (WHERE a.outcome IN ('failed', 'dead')) AS failed
             FROM jobs j
             JOIN job_attempts a ON a.job_id = j.id
             WHERE j.updated_at >= date_trunc('minute', now()) - interval '59 minutes'
               AND a.finished_at >= date_trunc('minute', now()) - interval '59 minutes'
               AND a.outcome IN ('succeeded', 'failed', 'dead')
             GROUP BY 1)
         SELECT b.minute AS at, coalesce(o.succeeded, 0) AS succeeded,
                coalesce(o.failed, 0) AS failed
         FROM generate_series(date_trunc('minute', now()) - interval '59 minutes',
                              date_trunc('minute', now()), interval '1 minute') AS b(minute)
         LEFT JOIN outcomes o ON o.minute = b.minute
         ORDER BY b.minute",
    )
    .fetch_all(&state.db)
    .await
}

const WIDTH: f64 = 480.0;
const HEIGHT: f64 = 132.0;
/// Room for the value labels on the left and the times below.
const LEFT: f64 = 44.0;
const RIGHT: f64 = 6.0;
const TOP: f64 = 8.0;
const BOTTOM: f64 = 20.0;

/// A number as SVG wants it: one decimal at most.
fn num(x: f64) -> String {
    let r = (x * 10.0).round() / 10.0;
    if r == 0.0 || !r.is_finite() {
        "0".into()
    } else if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

/// What one chart shows.
struct Bars<'a> {
    /// The `id` of the `<svg>` element (and the prefix of its title's id).
    id: &'a str,
    /// Its accessible title.
    title: &'a str,
    /// The class of its bars besides `bar`.
    class: &'a str,
    /// The top of the value axis.
    max: f64,
    /// The top label (`"12"`, `"100 %"`).
    max_label: String,
    /// Per minute: the value (`None`: no bar) and the bar's tooltip.
    values: Vec<(Option<f64>, String)>,
    /// The minutes, for the time labels.
    minutes: &'a [Minute],
}

fn hhmm(t: DateTime<Utc>) -> String {
    t.format("%H:%M").to_string()
}

fn label(x: f64, y: f64, anchor: &str, content: &str) -> Text {
    Text::new(content)
        .set("x", num(x))
        .set("y", num(y))
        .set("text-anchor", anchor)
        .set("class", "chart-label")
}

fn draw(b: &Bars) -> String {
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = plot_w / b.values.len().max(1) as f64;
    let base = TOP + plot_h;
    let mut bars = Group::new().set("class", "bars");
    for (i, ((value, tip), minute)) in b.values.iter().zip(b.minutes).enumerate() {
        let Some(v) = value.filter(|v| *v > 0.0) else {
            continue;
        };
        let h = (v / b.max).min(1.0) * plot_h;
        bars = bars.add(
            Rectangle::new()
                .set("class", format!("bar {}", b.class))
                .set("x", num(LEFT + i as f64 * slot + slot * 0.1))
                .set("y", num(base - h))
                .set("width", num(slot * 0.8))
                .set("height", num(h))
                .set("data-minute", hhmm(minute.at))
                .set("data-value", num(v))
                .add(Title::new(tip.as_str())),
        );
    }
    let axis = Group::new()
        .set("class", "chart-axis")
        .add(
            Line::new()
                .set("x1", num(LEFT))
                .set("y1", num(base))
                .set("x2", num(WIDTH - RIGHT))
                .set("y2", num(base)),
        )
        .add(
            Line::new()
                .set("x1", num(LEFT))
                .set("y1", num(TOP))
                .set("x2", num(WIDTH - RIGHT))
                .set("y2", num(TOP))
                .set("class", "chart-grid"),
        );
    let mut labels = Group::new()
        .add(label(LEFT - 4.0, TOP + 4.0, "end", &b.max_label))
        .add(label(LEFT - 4.0, base, "end", "0"));
    if let (Some(first), Some(last)) = (b.minutes.first(), b.minutes.last()) {
        labels = labels
            .add(label(LEFT, HEIGHT - 4.0, "start", &hhmm(first.at)))
            .add(label(
                WIDTH - RIGHT,
                HEIGHT - 4.0,
                "end",
                &format!("{} UTC", hhmm(last.at)),
            ));
    }
    let title_id = format!("{}-title", b.id);
    let doc = Document::new()
        .set("id", b.id)
        .set("class", "minute-chart")
        .set("viewBox", format!("0 0 {} {}", num(WIDTH), num(HEIGHT)))
        .set("width", num(WIDTH))
        .set("height", num(HEIGHT))
        .set("role", "img")
        .set("aria-labelledby", title_id.as_str())
        .add(Title::new(b.title).set("id", title_id.as_str()))
        .add(axis)
        .add(bars)
        .add(labels);
    doc.to_string()
}

/// The top of a count axis: the largest count rounded up to 1, 2 or 5 × 10ⁿ.
fn round_up(max: i64) -> i64 {
    let mut mag = 1;
    loop {
        for m in [1, 2, 5] {
            if m * mag >= max {
                return m * mag;
            }
        }
        mag *= 10;
    }
}

/// Jobs succeeded per minute.
pub fn throughput_svg(minutes: &[Minute]) -> String {
    let max = round_up(
        minutes
            .iter()
            .map(|m| m.succeeded)
            .max()
            .unwrap_or(0)
            .max(1),
    );
    let total: i64 = minutes.iter().map(|m| m.succeeded).sum();
    draw(&Bars {
        id: "throughput-chart",
        title: &format!("Jobs succeeded per minute over the last hour: {total} in all"),
        class: "ok",
        max: max as f64,
        max_label: max.to_string(),
        values: minutes
            .iter()
            .map(|m| {
                let s = if m.succeeded == 1 { "" } else { "s" };
                (
                    Some(m.succeeded as f64),
                    format!("{} UTC: {} job{s} succeeded", hhmm(m.at), m.succeeded),
                )
            })
            .collect(),
        minutes,
    })
}

/// Failed attempts among each minute's outcomes, in percent.
pub fn failure_rate_svg(minutes: &[Minute]) -> String {
    let (ok, failed) = minutes
        .iter()
        .fold((0, 0), |(o, f), m| (o + m.succeeded, f + m.failed));
    let overall = match ok + failed {
        0 => "no job ended".to_owned(),
        all => format!("{} % overall", num(100.0 * failed as f64 / all as f64)),
    };
    draw(&Bars {
        id: "failure-chart",
        title: &format!("Failure rate per minute over the last hour: {overall}"),
        class: "fail",
        max: 100.0,
        max_label: "100 %".into(),
        values: minutes
            .iter()
            .map(|m| {
                let rate = m.failure_rate();
                let tip = format!(
                    "{} UTC: {} % ({} failed of {})",
                    hhmm(m.at),
                    num(rate.unwrap_or(0.0)),
                    m.failed,
                    m.succeeded + m.failed
                );
                (rate, tip)
            })
            .collect(),
        minutes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hour(values: &[(usize, i64, i64)]) -> Vec<Minute> {
        let start = DateTime::parse_from_rfc3339("2026-12-03T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        (0..60)
            .map(|i| {
                let (succeeded, failed) = values
                    .iter()
                    .find(|(at, _, _)| *at == i)
                    .map_or((0, 0), |(_, s, f)| (*s, *f));
                Minute {
                    at: start + chrono::Duration::minutes(i as i64),
                    succeeded,
                    failed,
                }
            })
            .collect()
    }

    fn bars(svg: &str) -> Vec<(String, String, f64)> {
        let doc = roxmltree::Document::parse(svg).expect("well-formed SVG");
        doc.descendants()
            .filter(|n| {
                n.has_tag_name("rect")
                    && n.attribute("class").is_some_and(|c| c.starts_with("bar "))
            })
            .map(|n| {
                (
                    n.attribute("data-minute").unwrap().to_owned(),
                    n.attribute("data-value").unwrap().to_owned(),
                    n.attribute("height").unwrap().parse().unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn one_bar_per_minute_with_outcomes_scaled_to_the_axis() {
        let m = hour(&[(3, 4, 0), (10, 1, 3), (59, 0, 2)]);
        let t = throughput_svg(&m);
        assert_eq!(t, throughput_svg(&m), "deterministic");
        let b = bars(&t);
        assert_eq!(
            b.iter()
                .map(|(m, v, _)| (m.as_str(), v.as_str()))
                .collect::<Vec<_>>(),
            [("09:03", "4"), ("09:10", "1")]
        );
        // The axis goes to 5: 4 jobs fill 80 % of the plot, 1 job 20 %.
        let plot = HEIGHT - TOP - BOTTOM;
        assert!((b[0].2 - 0.8 * plot).abs() < 0.1 && (b[1].2 - 0.2 * plot).abs() < 0.1);
        assert!(t.contains("5 in all"));

        let f = bars(&failure_rate_svg(&m));
        assert_eq!(
            f.iter()
                .map(|(m, v, _)| (m.as_str(), v.as_str()))
                .collect::<Vec<_>>(),
            [("09:10", "75"), ("09:59", "100")]
        );
        assert!(failure_rate_svg(&m).contains("50 % overall"));
    }

    #[test]
    fn an_idle_hour_has_no_bars_and_a_unit_axis() {
        let m = hour(&[]);
        assert!(bars(&throughput_svg(&m)).is_empty());
        assert!(bars(&failure_rate_svg(&m)).is_empty());
        assert!(failure_rate_svg(&m).contains("no job ended"));
        assert_eq!(round_up(1), 1);
        assert_eq!(round_up(3), 5);
        assert_eq!(round_up(11), 20);
    }
}
