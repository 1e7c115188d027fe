//! The columns of the trend files about the horse's quality metrics:
//! `trends.parquet` (the points), `trend_metrics.parquet` (baseline, slope,
//! latest), `trend_alerts.parquet` and `trend_alert_evidence.parquet`.

use trend::document::{Alert, Baseline, Metric};

use super::columns::{Column, Get, col};
use super::trend_tables::{AlertEvidence, MetricPoint};

/// A row that carries a baseline: a metric, or the alert judged against it.
trait WithBaseline {
    fn baseline(&self) -> Option<&Baseline>;
}

impl WithBaseline for Metric {
    fn baseline(&self) -> Option<&Baseline> {
        self.baseline.as_ref()
    }
}

impl WithBaseline for Alert {
    fn baseline(&self) -> Option<&Baseline> {
        self.baseline.as_ref()
    }
}

/// The six `baseline_*` columns (`baseline.centre` … `baseline.to`), with
/// each file's own sentences.
fn baseline<R: WithBaseline>(docs: [&'static str; 6]) -> [Column<R>; 6] {
    let [centre, spread, sessions, days, from, to] = docs;
    [
        col(
            "baseline_centre",
            "",
            Get::OptF64(|r| r.baseline().map(|b| b.centre)),
            centre,
        ),
        col(
            "baseline_spread",
            "",
            Get::OptF64(|r| r.baseline().map(|b| b.spread)),
            spread,
        ),
        col(
            "baseline_sessions",
            "",
            Get::OptU32(|r| r.baseline().map(|b| b.sessions)),
            sessions,
        ),
        col(
            "baseline_days",
            "d",
            Get::OptU32(|r| r.baseline().map(|b| b.days)),
            days,
        ),
        col(
            "baseline_from",
            "",
            Get::OptStr(|r| r.baseline().map(|b| b.from.as_str())),
            from,
        ),
        col(
            "baseline_to",
            "",
            Get::OptStr(|r| r.baseline().map(|b| b.to.as_str())),
            to,
        ),
    ]
}

const METRIC_DOC: &str = "`quality[].metric`: `trot.cadence_spm`, `trot.min_diff_mm`, …";

/// `trends.parquet`: one row per session point of each quality metric of
/// the trend document (`quality[].points[]`).
pub fn points<'a>() -> Vec<Column<MetricPoint<'a>>> {
    vec![
        col("metric", "", Get::Str(|r| &r.metric.metric), METRIC_DOC),
        col(
            "gait",
            "",
            Get::Str(|r| r.metric.gait.name()),
            "`quality[].gait`.",
        ),
        col(
            "unit",
            "",
            Get::Str(|r| &r.metric.unit),
            "`quality[].unit`: the unit of `value` and `ci`.",
        ),
        col(
            "session",
            "",
            Get::Str(|r| &r.point.session),
            "`points[].session`: the session's start, RFC 3339 with milliseconds (as `sessions.started_at`).",
        ),
        col(
            "value",
            "",
            Get::F64(|r| r.point.value),
            "`points[].value`, in `unit`.",
        ),
        col(
            "ci",
            "",
            Get::OptF64(|r| r.point.ci),
            "`points[].ci`: 95 % half-width where the session measures one.",
        ),
        col(
            "strides",
            "",
            Get::U32(|r| r.point.strides),
            "`points[].strides` behind the value.",
        ),
        col(
            "deviation",
            "",
            Get::OptF64(|r| r.point.deviation),
            "`points[].deviation` from the baseline of the sessions before, in baseline spreads; null until a baseline exists.",
        ),
    ]
}

/// `trend_metrics.parquet`: one row per quality metric (`quality[]`), with
/// its baseline, slope and latest value.
pub fn metrics() -> Vec<Column<Metric>> {
    let mut columns: Vec<Column<Metric>> = vec![
        col("metric", "", Get::Str(|m| &m.metric), METRIC_DOC),
        col("gait", "", Get::Str(|m| m.gait.name()), "`quality[].gait`."),
        col(
            "unit",
            "",
            Get::Str(|m| &m.unit),
            "`quality[].unit`: the unit of every value, centre, spread and slope of the row.",
        ),
        col(
            "points",
            "",
            Get::U32(|m| u32::try_from(m.points.len()).unwrap_or(u32::MAX)),
            "Number of `points[]` (rows of trends.parquet for the metric).",
        ),
    ];
    columns.extend(baseline([
        "`baseline.centre`: robust centre (median) of the baseline sessions; null until a baseline exists.",
        "`baseline.spread`: robust spread (scaled MAD, with the metric's floor).",
        "`baseline.sessions` behind the baseline.",
        "`baseline.days` the baseline spans.",
        "`baseline.from`: first session of the baseline.",
        "`baseline.to`: last session of the baseline.",
    ]));
    let slope_and_latest: Vec<Column<Metric>> = vec![
        col(
            "slope_per_week",
            "",
            Get::OptF64(|m| m.slope.as_ref().map(|s| s.per_week)),
            "`slope.per_week`: change per week, in `unit` per week; null with too few sessions.",
        ),
        col(
            "slope_ci_low",
            "",
            Get::OptF64(|m| m.slope.as_ref().map(|s| s.ci_low)),
            "`slope.ci_low`: lower end of the slope's 95 % interval.",
        ),
        col(
            "slope_ci_high",
            "",
            Get::OptF64(|m| m.slope.as_ref().map(|s| s.ci_high)),
            "`slope.ci_high`: upper end of the slope's 95 % interval.",
        ),
        col(
            "slope_sessions",
            "",
            Get::OptU32(|m| m.slope.as_ref().map(|s| s.sessions)),
            "`slope.sessions` behind the slope.",
        ),
        col(
            "latest_session",
            "",
            Get::OptStr(|m| m.latest.as_ref().map(|l| l.session.as_str())),
            "`latest.session`: the newest session with a value.",
        ),
        col(
            "latest_value",
            "",
            Get::OptF64(|m| m.latest.as_ref().map(|l| l.value)),
            "`latest.value`, in `unit`.",
        ),
        col(
            "latest_deviation",
            "",
            Get::OptF64(|m| m.latest.as_ref().and_then(|l| l.deviation)),
            "`latest.deviation` from the baseline, in baseline spreads.",
        ),
    ];
    columns.extend(slope_and_latest);
    columns
}

/// `trend_alerts.parquet`: one row per alert (`alerts[]`).
pub fn alerts() -> Vec<Column<Alert>> {
    let mut columns: Vec<Column<Alert>> = vec![
        col(
            "id",
            "",
            Get::Str(|a| &a.id),
            "`id`: stable across recomputations (kind, metric and start).",
        ),
        col(
            "kind",
            "",
            Get::Str(|a| &a.kind),
            "`kind`: `asymmetry`, `cadence_drop`, `regularity_drop`, `workload_spike`, `jump_overload`, `rein_one_sided`.",
        ),
        col("metric", "", Get::Str(|a| &a.metric), "`metric` judged."),
        col(
            "severity",
            "",
            Get::Str(|a| &a.severity),
            "`severity`: `low`, `moderate`, `high`.",
        ),
        col(
            "status",
            "",
            Get::Str(|a| &a.status),
            "`status`: `open` or `cleared`.",
        ),
        col(
            "started_at",
            "",
            Get::Str(|a| &a.started_at),
            "`started_at`: first session (or day) of the episode.",
        ),
        col(
            "confirmed_at",
            "",
            Get::Str(|a| &a.confirmed_at),
            "`confirmed_at`: the session (or day) that confirmed it.",
        ),
        col(
            "cleared_at",
            "",
            Get::OptStr(|a| a.cleared_at.as_deref()),
            "`cleared_at`: first session (or day) back within limits; null while open.",
        ),
        col(
            "message",
            "",
            Get::Str(|a| &a.message),
            "`message`: the plain sentence shown to the rider.",
        ),
        col(
            "threshold",
            "",
            Get::F64(|a| a.threshold),
            "`threshold`: the limit crossed, in the metric's unit.",
        ),
    ];
    columns.extend(baseline([
        "`baseline.centre` the alert was judged against (quality alerts; null otherwise).",
        "`baseline.spread`.",
        "`baseline.sessions`.",
        "`baseline.days`.",
        "`baseline.from`.",
        "`baseline.to`.",
    ]));
    columns
}

/// `trend_alert_evidence.parquet`: one row per value behind an alert
/// (`alerts[].evidence[]`).
pub fn alert_evidence<'a>() -> Vec<Column<AlertEvidence<'a>>> {
    vec![
        col(
            "alert_id",
            "",
            Get::Str(|e| &e.alert.id),
            "The alert's `id` (trend_alerts.id).",
        ),
        col(
            "index",
            "",
            Get::U32(|e| e.index),
            "Position in `evidence[]`, from 0 (oldest first).",
        ),
        col(
            "at",
            "",
            Get::Str(|e| &e.item.at),
            "`at`: session start, or day for workload alerts.",
        ),
        col(
            "value",
            "",
            Get::F64(|e| e.item.value),
            "`value`, in the metric's unit.",
        ),
        col(
            "deviation",
            "",
            Get::OptF64(|e| e.item.deviation),
            "`deviation` from the baseline, in baseline spreads, where there is one.",
        ),
    ]
}
