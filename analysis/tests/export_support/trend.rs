//! The trend files checked against the trend document they flatten: every
//! row and every column, in the document's order.

use arrow_array::RecordBatch;
use serde_json::{Value, json};

use super::rows::{check_rows, field};

/// `(no file, index, item)` rows of a JSON list.
fn listed(v: &Value) -> Vec<(String, usize, Value)> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .enumerate()
        .map(|(i, v)| (String::new(), i, v.clone()))
        .collect()
}

/// The items of `doc[a]` then `doc[b]`, each with `resolution` set.
fn tagged(doc: &Value, lists: [(&str, &str); 2]) -> Vec<(String, usize, Value)> {
    lists
        .iter()
        .flat_map(|(key, resolution)| {
            listed(&doc[*key]).into_iter().map(move |(f, i, mut v)| {
                v["resolution"] = json!(resolution);
                (f, i, v)
            })
        })
        .collect()
}

/// Children `doc_items[].list[]`, each with the parent's fields named in
/// `carry` copied as `(parent field, child column)`.
fn children(
    parents: &[(String, usize, Value)],
    list: &str,
    carry: &[(&str, &str)],
) -> Vec<(String, usize, Value)> {
    parents
        .iter()
        .flat_map(|(_, _, p)| {
            listed(&p[list]).into_iter().map(move |(f, i, mut v)| {
                for (from, to) in carry {
                    v[*to] = p[*from].clone();
                }
                (f, i, v)
            })
        })
        .collect()
}

/// Checks every trend table (`table(file name)`) against `doc`, the
/// `hoofbeat trend --format json` document of the same sessions. Returns
/// the row count of each table.
pub fn check(table: &dyn Fn(&str) -> RecordBatch, doc: &Value) -> Vec<(&'static str, usize)> {
    let mut counts = Vec::new();
    let mut one = |name: &'static str,
                   items: Vec<(String, usize, Value)>,
                   get: &dyn Fn(&str, usize, &Value) -> Value| {
        check_rows(name, &table(name), &items, &|n, _, i, it| get(n, i, it));
        counts.push((name, items.len()));
    };
    let quality = listed(&doc["quality"]);
    let points: Vec<_> = children(
        &quality,
        "points",
        &[("metric", "metric"), ("gait", "gait"), ("unit", "unit")],
    );
    one("trends.parquet", points, &|n, _, it| field(it, n, &[]));
    let nested = [
        ("baseline_", "baseline"),
        ("slope_", "slope"),
        ("latest_", "latest"),
    ];
    one("trend_metrics.parquet", quality, &|n, _, it| match n {
        "points" => json!(it["points"].as_array().map_or(0, Vec::len)),
        _ => field(it, n, &nested),
    });
    let alerts = listed(&doc["alerts"]);
    let evidence = children(&alerts, "evidence", &[("id", "alert_id")]);
    one("trend_alerts.parquet", alerts, &|n, _, it| {
        field(it, n, &[("baseline_", "baseline")])
    });
    one(
        "trend_alert_evidence.parquet",
        evidence,
        &|n, i, it| match n {
            "index" => json!(i),
            _ => field(it, n, &[]),
        },
    );
    one(
        "trend_workload.parquet",
        listed(&doc["workload"]["daily"]),
        &|n, _, it| field(it, n, &[]),
    );
    one(
        "trend_workload_weekly.parquet",
        listed(&doc["workload"]["weekly"]),
        &|n, _, it| field(it, n, &[]),
    );
    let volume = tagged(&doc["volume"], [("daily", "day"), ("weekly", "week")]);
    let gaits = children(
        &volume,
        "gaits",
        &[("resolution", "resolution"), ("period", "period")],
    );
    one("trend_volume.parquet", volume, &|n, _, it| {
        field(it, n, &[])
    });
    one("trend_volume_gaits.parquet", gaits, &|n, _, it| {
        field(it, n, &[])
    });
    one(
        "trend_jumps.parquet",
        tagged(&doc["jumps"], [("sessions", "session"), ("weekly", "week")]),
        &|n, _, it| field(it, n, &[]),
    );
    let figures: Vec<_> = listed(&doc["exclusions"])
        .into_iter()
        .flat_map(|(_, _, e)| {
            listed(&e["figures"])
                .into_iter()
                .map(move |(f, i, figure)| {
                    let mut row = e.clone();
                    row["figure"] = figure;
                    (f, i, row)
                })
        })
        .collect();
    one("trend_exclusions.parquet", figures, &|n, _, it| {
        field(it, n, &[])
    });
    counts
}
