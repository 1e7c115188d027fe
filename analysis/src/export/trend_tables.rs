//! The export files made from the horse's trend document (`hoofbeat trend`
//! of the same sessions): the quality points (`trends.parquet`), each
//! metric's baseline, slope and latest value, the alerts and their
//! evidence, the workload series, the volume per day and week, the jump
//! load and the exclusions. Each table is one list of the document,
//! flattened; nested objects become prefixed columns (`baseline_centre`).
//! Here: the row types, the files' documentation and the tables of a
//! document; the columns are in [`super::trend_quality_columns`] and
//! [`super::trend_load_columns`].

use arrow_array::RecordBatch;
use arrow_schema::ArrowError;
use trend::TrendDocument;
use trend::document::{Alert, Evidence, Exclusion, GaitVolume, Metric, Point, Volume};

use super::columns;
use super::schema::TableDoc;
pub use super::trend_load_columns::{
    exclusions, jump_load, volume, volume_gaits, workload_daily, workload_weekly,
};
pub use super::trend_quality_columns::{alert_evidence, alerts, metrics, points};

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
