//! The cell `sessions.parquet` should hold for a session, computed from the
//! session's `--format json` document (and, for the file's own columns,
//! from how the test wrote the file).

use serde_json::{Value, json};

/// `started_at` of the test's first session file (2026-05-01 09:30 UTC).
pub const T0_MS: i64 = 1_777_627_800_000;
/// The test's session files are one day apart.
pub const DAY_MS: i64 = 86_400_000;

fn sum_rein(doc: &Value, rein: &str) -> f64 {
    let s: f64 = doc["rein_timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|s| s["rein"] == rein)
        .map(|s| s["end_s"].as_f64().unwrap_or(0.0) - s["start_s"].as_f64().unwrap_or(0.0))
        .sum();
    (s * 1000.0).round() / 1000.0
}

/// The expected `sessions.parquet` cell, computed from the JSON document.
pub fn session_cell(name: &str, file: &str, k: usize, doc: &Value) -> Value {
    let q = &doc["quality"];
    let len = |k: &str| json!(doc[k].as_array().map_or(0, Vec::len));
    let gait_s = |g: &str| {
        json!(
            doc["gaits"]
                .as_array()
                .and_then(|gs| gs.iter().find(|x| x["gait"] == g))
                .map_or(0.0, |x| x["time_s"].as_f64().unwrap_or(0.0))
        )
    };
    let bouts = doc["bouts"].as_array().expect("bouts");
    let leads = |l: &str| json!(bouts.iter().filter(|b| b["lead"] == l).count());
    match name {
        "file" => json!(file),
        "format" => json!(["csv", "csv", "binary", "json"][k]),
        "gzip" => json!(k == 1),
        "started_at" => json!(T0_MS + k as i64 * DAY_MS),
        "sample_rate_hz" => json!([50.0, 100.0, 60.0, 100.0][k]),
        "algorithm_version" => doc["algorithm_version"].clone(),
        "samples" | "duration_s" | "analysed_s" | "effective_rate_hz" | "short_gaps"
        | "clipped_samples" | "mount_tilt_deg" | "mount_heading_deg" | "heading_estimated" => {
            q[name].clone()
        }
        "gaps" => json!(q["gaps"].as_array().map_or(0, Vec::len)),
        "gap_s" => json!(q["gaps"].as_array().map_or(0.0, |g| {
            g.iter()
                .map(|x| x["end_s"].as_f64().unwrap_or(0.0) - x["start_s"].as_f64().unwrap_or(0.0))
                .sum::<f64>()
        })),
        "bouts" | "jumps" | "symmetry_stretches" => len(name),
        "transitions" => doc["transitions"].clone(),
        "halt_s" | "walk_s" | "trot_s" | "canter_s" | "gallop_s" => {
            gait_s(name.trim_end_matches("_s"))
        }
        "left_s" | "right_s" | "straight_s" => json!(sum_rein(doc, name.trim_end_matches("_s"))),
        "rein_balance" => {
            let (l, r) = (sum_rein(doc, "left"), sum_rein(doc, "right"));
            if l + r > 0.0 {
                json!(((l - r) / (l + r) * 1e4).round() / 1e4)
            } else {
                Value::Null
            }
        }
        "left_lead_bouts" => leads("left"),
        "right_lead_bouts" => leads("right"),
        "unknown_lead_bouts" => leads("unknown"),
        "counter_canter_bouts" => {
            json!(bouts.iter().filter(|b| b["counter_canter"] == true).count())
        }
        "gait_weighted_min" | "mean_vedba_g" | "total_vedba_gs" => doc["workload"][name].clone(),
        _ => match name.strip_prefix("symmetry_") {
            Some(rest) => match &doc["symmetry"] {
                Value::Null => Value::Null,
                s => s[if rest == "index" {
                    "symmetry_index"
                } else {
                    rest
                }]
                .clone(),
            },
            None => panic!("sessions.parquet: unexpected column {name}"),
        },
    }
}
