//! The columns of the trend files about the work done: the workload series
//! (`trend_workload.parquet`, `trend_workload_weekly.parquet`), the volume
//! per day and week (`trend_volume.parquet`, `trend_volume_gaits.parquet`),
//! the jump load (`trend_jumps.parquet`) and the exclusions
//! (`trend_exclusions.parquet`).

use trend::document::{JumpCount, Volume, WorkloadDay, WorkloadWeek};

use super::columns::{Column, Get, col};
use super::trend_tables::{ExcludedFigure, Period, PeriodGait};

const SESSION_DOC: &str =
    "The session's start, RFC 3339 with milliseconds (as `sessions.started_at`).";
const RESOLUTION_DOC: &str =
    "`day` or `week`: the document's `daily[]` or `weekly[]` list the row comes from.";
const LOAD_DOC: &str = "Gait-weighted minutes (walk 1, trot 2, canter 3, gallop 4 per minute).";

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
