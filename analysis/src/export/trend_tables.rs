//! The export files made from the horse's trend document (`hoofbeat trend`
//! of the same sessions): the quality points (`trends.parquet`), each
//! metric's baseline, slope and latest value, the alerts and their
//! evidence, the workload series, the volume per day and week, the jump
//! load and the exclusions. Each table is one list of the document,
//! flattened; nested objects become prefixed columns (`baseline_centre`).

use arrow_array::RecordBatch;
use arrow_schema::ArrowError;
use trend::TrendDocument;
use trend::document::{
    Alert, Evidence, Exclusion, GaitVolume, JumpCount, Metric, Point, Volume, WorkloadDay,
    WorkloadWeek,
};

use super::columns::{self, Column, Get, col};
use super::schema::TableDoc;

/// One session's value of a trend quality metric.
#[derive(Debug)]
pub struct MetricPoint<'a> {
    pub metric: &'a Metric,
    pub point: &'a Point,
}

/// An element of a daily or weekly series (`day`, `week` or `session`).
#[derive(Debug)]
pub struct Period<'a, T> {
    pub resolution: &'static str,
    pub item: &'a T,
}

/// One gait's volume in one period.
#[derive(Debug)]
pub struct PeriodGait<'a> {
    pub resolution: &'static str,
    pub period: &'a Volume,
    pub item: &'a GaitVolume,
}

/// One value behind an alert.
#[derive(Debug)]
pub struct AlertEvidence<'a> {
    pub alert: &'a Alert,
    pub index: u32,
    pub item: &'a Evidence,
}

/// One figure a session is left out of.
#[derive(Debug)]
pub struct ExcludedFigure<'a> {
    pub exclusion: &'a Exclusion,
    pub figure: &'a str,
}

const METRIC_DOC: &str = "`quality[].metric`: `trot.cadence_spm`, `trot.min_diff_mm`, …";
const SESSION_DOC: &str =
    "The session's start, RFC 3339 with milliseconds (as `sessions.started_at`).";
const RESOLUTION_DOC: &str =
    "`day` or `week`: the document's `daily[]` or `weekly[]` list the row comes from.";
const LOAD_DOC: &str = "Gait-weighted minutes (walk 1, trot 2, canter 3, gallop 4 per minute).";

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
    vec![
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
        col(
            "baseline_centre",
            "",
            Get::OptF64(|m| m.baseline.as_ref().map(|b| b.centre)),
            "`baseline.centre`: robust centre (median) of the baseline sessions; null until a baseline exists.",
        ),
        col(
            "baseline_spread",
            "",
            Get::OptF64(|m| m.baseline.as_ref().map(|b| b.spread)),
            "`baseline.spread`: robust spread (scaled MAD, with the metric's floor).",
        ),
        col(
            "baseline_sessions",
            "",
            Get::OptU32(|m| m.baseline.as_ref().map(|b| b.sessions)),
            "`baseline.sessions` behind the baseline.",
        ),
        col(
            "baseline_days",
            "d",
            Get::OptU32(|m| m.baseline.as_ref().map(|b| b.days)),
            "`baseline.days` the baseline spans.",
        ),
        col(
            "baseline_from",
            "",
            Get::OptStr(|m| m.baseline.as_ref().map(|b| b.from.as_str())),
            "`baseline.from`: first session of the baseline.",
        ),
        col(
            "baseline_to",
            "",
            Get::OptStr(|m| m.baseline.as_ref().map(|b| b.to.as_str())),
            "`baseline.to`: last session of the baseline.",
        ),
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
    ]
}

/// `trend_alerts.parquet`: one row per alert (`alerts[]`).
pub fn alerts() -> Vec<Column<Alert>> {
    vec![
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
        col(
            "baseline_centre",
            "",
            Get::OptF64(|a| a.baseline.as_ref().map(|b| b.centre)),
            "`baseline.centre` the alert was judged against (quality alerts; null otherwise).",
        ),
        col(
            "baseline_spread",
            "",
            Get::OptF64(|a| a.baseline.as_ref().map(|b| b.spread)),
            "`baseline.spread`.",
        ),
        col(
            "baseline_sessions",
            "",
            Get::OptU32(|a| a.baseline.as_ref().map(|b| b.sessions)),
            "`baseline.sessions`.",
        ),
        col(
            "baseline_days",
            "d",
            Get::OptU32(|a| a.baseline.as_ref().map(|b| b.days)),
            "`baseline.days`.",
        ),
        col(
            "baseline_from",
            "",
            Get::OptStr(|a| a.baseline.as_ref().map(|b| b.from.as_str())),
            "`baseline.from`.",
        ),
        col(
            "baseline_to",
            "",
            Get::OptStr(|a| a.baseline.as_ref().map(|b| b.to.as_str())),
            "`baseline.to`.",
        ),
    ]
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

/// `trend_workload.parquet`: one row per calendar day from the first to the
/// last session, rest days included (`workload.daily[]`).
pub fn workload_daily() -> Vec<Column<WorkloadDay>> {
    vec![
        col(
            "date",
            "",
            Get::Str(|d| &d.date),
            "`date`: the calendar day.",
        ),
        col("load", "min", Get::F64(|d| d.load), LOAD_DOC),
        col(
            "rolling_7d",
            "min",
            Get::F64(|d| d.rolling_7d),
            "`rolling_7d`: sum of the daily loads over the last 7 days, this day included.",
        ),
        col(
            "rolling_28d",
            "min",
            Get::F64(|d| d.rolling_28d),
            "`rolling_28d`: the same over 28 days.",
        ),
        col(
            "acute",
            "min",
            Get::F64(|d| d.acute),
            "`acute`: exponentially weighted 7-day load, per day.",
        ),
        col(
            "chronic",
            "min",
            Get::F64(|d| d.chronic),
            "`chronic`: exponentially weighted 28-day load, per day.",
        ),
        col(
            "ratio",
            "",
            Get::OptF64(|d| d.ratio),
            "`ratio` = acute / chronic, once 28 days of history exist and the chronic load is not negligible.",
        ),
        col(
            "flag",
            "",
            Get::OptStr(|d| d.flag.as_deref()),
            "`flag`: `low` (< 0.8), `high` (> 1.3), `spike` (> 1.5); null inside the band or without a ratio.",
        ),
    ]
}

/// `trend_workload_weekly.parquet`: one row per ISO week
/// (`workload.weekly[]`).
pub fn workload_weekly() -> Vec<Column<WorkloadWeek>> {
    vec![
        col(
            "week",
            "",
            Get::Str(|w| &w.week),
            "`week`: ISO week, `2026-W48`.",
        ),
        col(
            "start",
            "",
            Get::Str(|w| &w.start),
            "`start`: the week's Monday.",
        ),
        col("load", "min", Get::F64(|w| w.load), LOAD_DOC),
        col(
            "monotony",
            "",
            Get::OptF64(|w| w.monotony),
            "`monotony` = mean / SD of the 7 daily loads (Foster 1998); complete weeks with varying load only.",
        ),
        col(
            "strain",
            "min",
            Get::OptF64(|w| w.strain),
            "`strain` = weekly load × monotony.",
        ),
        col(
            "partial",
            "",
            Get::Bool(|w| w.partial),
            "`partial`: the week is cut by the first or last session day.",
        ),
    ]
}

/// `trend_volume.parquet`: one row per day with riding and per ISO week
/// (`volume.daily[]`, `volume.weekly[]`).
pub fn volume<'a>() -> Vec<Column<Period<'a, Volume>>> {
    vec![
        col("resolution", "", Get::Str(|v| v.resolution), RESOLUTION_DOC),
        col(
            "period",
            "",
            Get::Str(|v| &v.item.period),
            "`period`: `2026-11-26` (day) or `2026-W48` (ISO week).",
        ),
        col(
            "start",
            "",
            Get::Str(|v| &v.item.start),
            "`start`: the period's first day.",
        ),
        col(
            "sessions",
            "",
            Get::U32(|v| v.item.sessions),
            "`sessions` in the period.",
        ),
        col(
            "riding_s",
            "s",
            Get::F64(|v| v.item.riding_s),
            "`riding_s`: time in every gait but halt.",
        ),
        col("strides", "", Get::U32(|v| v.item.strides), "`strides`."),
        col("jumps", "", Get::U32(|v| v.item.jumps), "`jumps`."),
        col("load", "min", Get::F64(|v| v.item.load), LOAD_DOC),
        col(
            "left_s",
            "s",
            Get::F64(|v| v.item.left_s),
            "`left_s`: riding time on the left rein.",
        ),
        col(
            "right_s",
            "s",
            Get::F64(|v| v.item.right_s),
            "`right_s`: on the right rein.",
        ),
        col(
            "straight_s",
            "s",
            Get::F64(|v| v.item.straight_s),
            "`straight_s`: on straight lines.",
        ),
    ]
}

/// `trend_volume_gaits.parquet`: one row per gait of each period
/// (`volume.daily[].gaits[]`, `volume.weekly[].gaits[]`).
pub fn volume_gaits<'a>() -> Vec<Column<PeriodGait<'a>>> {
    vec![
        col("resolution", "", Get::Str(|g| g.resolution), RESOLUTION_DOC),
        col(
            "period",
            "",
            Get::Str(|g| &g.period.period),
            "The period (trend_volume.period).",
        ),
        col("gait", "", Get::Str(|g| g.item.gait.name()), "`gait`."),
        col(
            "time_s",
            "s",
            Get::F64(|g| g.item.time_s),
            "`time_s` in the gait.",
        ),
        col("strides", "", Get::U32(|g| g.item.strides), "`strides`."),
        col("left_s", "s", Get::F64(|g| g.item.left_s), "`left_s`."),
        col("right_s", "s", Get::F64(|g| g.item.right_s), "`right_s`."),
        col(
            "straight_s",
            "s",
            Get::F64(|g| g.item.straight_s),
            "`straight_s`.",
        ),
        col(
            "rein_balance",
            "",
            Get::OptF64(|g| g.item.rein_balance),
            "`rein_balance` = (left − right)/(left + right): +1 all left, −1 all right; null without turning.",
        ),
    ]
}

/// `trend_jumps.parquet`: one row per session and per ISO week with jumps
/// (`jumps.sessions[]`, `jumps.weekly[]`).
pub fn jump_load<'a>() -> Vec<Column<Period<'a, JumpCount>>> {
    vec![
        col(
            "resolution",
            "",
            Get::Str(|j| j.resolution),
            "`session` or `week`: the document's `jumps.sessions[]` or `jumps.weekly[]`.",
        ),
        col(
            "at",
            "",
            Get::Str(|j| &j.item.at),
            "`at`: session start (sessions) or ISO week (weeks).",
        ),
        col("jumps", "", Get::U32(|j| j.item.jumps), "`jumps`."),
        col(
            "over_limit",
            "",
            Get::Bool(|j| j.item.over_limit),
            "`over_limit`: above the configured limit.",
        ),
    ]
}

/// `trend_exclusions.parquet`: one row per figure a session is left out of
/// (`exclusions[].figures[]`).
pub fn exclusions<'a>() -> Vec<Column<ExcludedFigure<'a>>> {
    vec![
        col(
            "session",
            "",
            Get::Str(|e| &e.exclusion.session),
            SESSION_DOC,
        ),
        col(
            "figure",
            "",
            Get::Str(|e| e.figure),
            "One of `figures[]`: `quality` (every quality metric), `symmetry`, or one metric.",
        ),
        col(
            "reason",
            "",
            Get::Str(|e| &e.exclusion.reason),
            "`reason`: `too_short`, `poor_data_quality`, `too_little_straight_trot`, `too_little_gait`.",
        ),
        col(
            "detail",
            "",
            Get::Str(|e| &e.exclusion.detail),
            "`detail`: the measured figure behind the reason.",
        ),
    ]
}

/// Every trend file, documented, in the order they are written.
pub fn docs() -> Vec<TableDoc> {
    use super::schema::docs as d;
    vec![
        TableDoc {
            file: "trends.parquet",
            rows: "one row per session point of each trend quality metric (`quality[].points[]` of `hoofbeat trend` on the same files); this file and the trend_* files below are written only when every file was analysed and every session has a start time",
            columns: d(&points()),
        },
        TableDoc {
            file: "trend_metrics.parquet",
            rows: "one row per trend quality metric (`quality[]`) with its baseline, slope and latest value",
            columns: d(&metrics()),
        },
        TableDoc {
            file: "trend_alerts.parquet",
            rows: "one row per alert (`alerts[]`)",
            columns: d(&alerts()),
        },
        TableDoc {
            file: "trend_alert_evidence.parquet",
            rows: "one row per value behind an alert (`alerts[].evidence[]`)",
            columns: d(&alert_evidence()),
        },
        TableDoc {
            file: "trend_workload.parquet",
            rows: "one row per calendar day, rest days included (`workload.daily[]`)",
            columns: d(&workload_daily()),
        },
        TableDoc {
            file: "trend_workload_weekly.parquet",
            rows: "one row per ISO week (`workload.weekly[]`)",
            columns: d(&workload_weekly()),
        },
        TableDoc {
            file: "trend_volume.parquet",
            rows: "one row per day with riding and per ISO week (`volume.daily[]`, `volume.weekly[]`)",
            columns: d(&volume()),
        },
        TableDoc {
            file: "trend_volume_gaits.parquet",
            rows: "one row per gait of each day and week (`volume.*[].gaits[]`)",
            columns: d(&volume_gaits()),
        },
        TableDoc {
            file: "trend_jumps.parquet",
            rows: "one row per session and per ISO week with jumps (`jumps.sessions[]`, `jumps.weekly[]`)",
            columns: d(&jump_load()),
        },
        TableDoc {
            file: "trend_exclusions.parquet",
            rows: "one row per figure a session is left out of (`exclusions[].figures[]`)",
            columns: d(&exclusions()),
        },
    ]
}

/// The names of every trend file (removed as stale when an export writes
/// no trend).
pub fn file_names() -> Vec<&'static str> {
    docs().into_iter().map(|t| t.file).collect()
}

fn periods<'a, T>(daily: &'a [T], weekly: &'a [T], names: [&'static str; 2]) -> Vec<Period<'a, T>> {
    let tag = |resolution, list: &'a [T]| list.iter().map(move |item| Period { resolution, item });
    tag(names[0], daily).chain(tag(names[1], weekly)).collect()
}

/// Every trend table of `doc`: `(file name, rows)`, in the order of
/// [`docs`].
pub fn tables(doc: &TrendDocument) -> Result<Vec<(&'static str, RecordBatch)>, ArrowError> {
    let point_rows: Vec<MetricPoint> = doc
        .quality
        .iter()
        .flat_map(|metric| {
            metric
                .points
                .iter()
                .map(move |point| MetricPoint { metric, point })
        })
        .collect();
    let evidence: Vec<AlertEvidence> = doc
        .alerts
        .iter()
        .flat_map(|alert| {
            alert
                .evidence
                .iter()
                .enumerate()
                .map(move |(i, item)| AlertEvidence {
                    alert,
                    index: u32::try_from(i).unwrap_or(u32::MAX),
                    item,
                })
        })
        .collect();
    let volume_rows = periods(&doc.volume.daily, &doc.volume.weekly, ["day", "week"]);
    let gaits: Vec<PeriodGait> = volume_rows
        .iter()
        .flat_map(|p| {
            p.item.gaits.iter().map(|item| PeriodGait {
                resolution: p.resolution,
                period: p.item,
                item,
            })
        })
        .collect();
    let jump_rows = periods(&doc.jumps.sessions, &doc.jumps.weekly, ["session", "week"]);
    let excluded: Vec<ExcludedFigure> = doc
        .exclusions
        .iter()
        .flat_map(|exclusion| {
            exclusion.figures.iter().map(move |f| ExcludedFigure {
                exclusion,
                figure: f,
            })
        })
        .collect();
    Ok(vec![
        ("trends.parquet", columns::batch(&points(), &point_rows)?),
        (
            "trend_metrics.parquet",
            columns::batch(&metrics(), &doc.quality)?,
        ),
        (
            "trend_alerts.parquet",
            columns::batch(&alerts(), &doc.alerts)?,
        ),
        (
            "trend_alert_evidence.parquet",
            columns::batch(&alert_evidence(), &evidence)?,
        ),
        (
            "trend_workload.parquet",
            columns::batch(&workload_daily(), &doc.workload.daily)?,
        ),
        (
            "trend_workload_weekly.parquet",
            columns::batch(&workload_weekly(), &doc.workload.weekly)?,
        ),
        (
            "trend_volume.parquet",
            columns::batch(&volume(), &volume_rows)?,
        ),
        (
            "trend_volume_gaits.parquet",
            columns::batch(&volume_gaits(), &gaits)?,
        ),
        (
            "trend_jumps.parquet",
            columns::batch(&jump_load(), &jump_rows)?,
        ),
        (
            "trend_exclusions.parquet",
            columns::batch(&exclusions(), &excluded)?,
        ),
    ])
}
