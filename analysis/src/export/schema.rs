//! The columns of the session lists' export files, described once (see
//! [`columns`]): `gaits.parquet`, `bouts.parquet`, `jumps.parquet`,
//! `rein.parquet` and `symmetry.parquet`. Also the one path to every
//! file's description: `sessions.parquet`'s columns
//! ([`super::session_columns`]), the trend files' ([`super::trend_tables`])
//! and the documentation rendered from them ([`super::docs`]: the README's
//! schema section and the `--help` text; a test keeps the README in step).
//!
//! [`columns`]: super::columns

use super::columns::{Column, Get, col};
use crate::report::{Bout, Jump, Lead, Rein, ReinSegment, SymmetryStretch};

/// One element of a session's list (a bout, a jump, …) with the session's
/// file and its position in the list.
#[derive(Debug)]
pub struct Item<'a, T> {
    pub file: &'a str,
    pub index: u32,
    pub item: &'a T,
}

/// The document's name of a rein.
pub fn rein_name(r: Rein) -> &'static str {
    match r {
        Rein::Left => "left",
        Rein::Right => "right",
        Rein::Straight => "straight",
    }
}

/// The document's name of a lead.
pub fn lead_name(l: Lead) -> &'static str {
    match l {
        Lead::Left => "left",
        Lead::Right => "right",
        Lead::Unknown => "unknown",
    }
}

pub(super) const FILE_DOC: &str =
    "The session file as the CLI names it (the path given, or DIR/name for a directory).";
pub(super) const INDEX_DOC: &str = "Position in the document's list, from 0.";

/// `gaits.parquet`: one row per entry of a session's `gaits`.
pub fn gaits<'a>() -> Vec<Column<Item<'a, crate::report::GaitSummary>>> {
    vec![
        col("file", "", Get::Str(|r| r.file), FILE_DOC),
        col(
            "gait",
            "",
            Get::Str(|r| r.item.gait.name()),
            "`halt`, `walk`, `trot`, `canter` or `gallop`.",
        ),
        col("time_s", "s", Get::F64(|r| r.item.time_s), "`time_s`."),
        col(
            "share",
            "",
            Get::F64(|r| r.item.share),
            "`share` of the analysed time, 0–1.",
        ),
        col("strides", "", Get::U32(|r| r.item.strides), "`strides`."),
        col(
            "mean_cadence_spm",
            "1/min",
            Get::F64(|r| r.item.mean_cadence_spm),
            "`mean_cadence_spm`: strides per minute.",
        ),
        col(
            "regularity",
            "",
            Get::F64(|r| r.item.regularity),
            "`regularity`, 0–1.",
        ),
        col(
            "elevation_cm",
            "cm",
            Get::F64(|r| r.item.elevation_cm),
            "`elevation_cm`.",
        ),
        col(
            "left_s",
            "s",
            Get::F64(|r| r.item.left_s),
            "`left_s`: time on the left rein.",
        ),
        col("right_s", "s", Get::F64(|r| r.item.right_s), "`right_s`."),
        col(
            "straight_s",
            "s",
            Get::F64(|r| r.item.straight_s),
            "`straight_s`.",
        ),
        col(
            "rein_balance",
            "",
            Get::F64(|r| r.item.rein_balance),
            "`rein_balance`: (left − right) / (left + right).",
        ),
    ]
}

/// `bouts.parquet`: one row per bout.
pub fn bouts<'a>() -> Vec<Column<Item<'a, Bout>>> {
    vec![
        col("file", "", Get::Str(|r| r.file), FILE_DOC),
        col("index", "", Get::U32(|r| r.index), INDEX_DOC),
        col(
            "start_s",
            "s",
            Get::F64(|r| r.item.start_s),
            "`start_s`, from the first sample.",
        ),
        col("end_s", "s", Get::F64(|r| r.item.end_s), "`end_s`."),
        col("gait", "", Get::Str(|r| r.item.gait.name()), "`gait`."),
        col(
            "stride_hz",
            "Hz",
            Get::F64(|r| r.item.stride_hz),
            "`stride_hz`: strides per second (0 at halt).",
        ),
        col(
            "cadence_spm",
            "1/min",
            Get::F64(|r| r.item.cadence_spm),
            "`cadence_spm`: strides per minute.",
        ),
        col("strides", "", Get::U32(|r| r.item.strides), "`strides`."),
        col(
            "regularity",
            "",
            Get::F64(|r| r.item.regularity),
            "`regularity`, 0–1.",
        ),
        col(
            "rein_left",
            "",
            Get::F64(|r| r.item.rein.left),
            "`rein.left`: share of the bout turning left, 0–1.",
        ),
        col(
            "rein_right",
            "",
            Get::F64(|r| r.item.rein.right),
            "`rein.right`.",
        ),
        col(
            "rein_straight",
            "",
            Get::F64(|r| r.item.rein.straight),
            "`rein.straight`.",
        ),
        col(
            "dominant_rein",
            "",
            Get::Str(|r| rein_name(r.item.dominant_rein)),
            "`dominant_rein`: `left`, `right` or `straight`.",
        ),
        col(
            "lead",
            "",
            Get::OptStr(|r| r.item.lead.map(lead_name)),
            "`lead`: `left`, `right` or `unknown`; null except at canter and gallop.",
        ),
        col(
            "lead_confidence",
            "",
            Get::OptF64(|r| r.item.lead_confidence),
            "`lead_confidence`, 0–1; null except at canter and gallop.",
        ),
        col(
            "counter_canter",
            "",
            Get::OptBool(|r| r.item.counter_canter),
            "`counter_canter`; null unless the lead is decided.",
        ),
        col(
            "elevation_cm",
            "cm",
            Get::F64(|r| r.item.elevation_cm),
            "`elevation_cm`.",
        ),
        col(
            "symmetry_min_diff_mm",
            "mm",
            Get::OptF64(|r| r.item.symmetry.map(|y| y.min_diff_mm)),
            "`symmetry.min_diff_mm`; null unless a trot bout with straight stretches (as for the four below).",
        ),
        col(
            "symmetry_max_diff_mm",
            "mm",
            Get::OptF64(|r| r.item.symmetry.map(|y| y.max_diff_mm)),
            "`symmetry.max_diff_mm`.",
        ),
        col(
            "symmetry_index",
            "",
            Get::OptF64(|r| r.item.symmetry.map(|y| y.symmetry_index)),
            "`symmetry.symmetry_index`.",
        ),
        col(
            "symmetry_score",
            "",
            Get::OptF64(|r| r.item.symmetry.map(|y| y.score)),
            "`symmetry.score`, 0–10.",
        ),
        col(
            "symmetry_strides",
            "",
            Get::OptU32(|r| r.item.symmetry.map(|y| y.strides)),
            "`symmetry.strides`.",
        ),
    ]
}

/// `jumps.parquet`: one row per jump.
pub fn jumps<'a>() -> Vec<Column<Item<'a, Jump>>> {
    vec![
        col("file", "", Get::Str(|r| r.file), FILE_DOC),
        col("index", "", Get::U32(|r| r.index), INDEX_DOC),
        col(
            "time_s",
            "s",
            Get::F64(|r| r.item.time_s),
            "`time_s`: take-off, from the first sample.",
        ),
        col(
            "flight_s",
            "s",
            Get::F64(|r| r.item.flight_s),
            "`flight_s`: time without ground contact.",
        ),
        col(
            "rise_cm",
            "cm",
            Get::F64(|r| r.item.rise_cm),
            "`rise_cm` = g·T²/8.",
        ),
        col(
            "approach_cadence_spm",
            "1/min",
            Get::F64(|r| r.item.approach_cadence_spm),
            "`approach_cadence_spm` (0 when unknown).",
        ),
        col(
            "strides_from_previous",
            "",
            Get::OptU32(|r| r.item.strides_from_previous),
            "`strides_from_previous`; null unless the previous fence was in the same canter bout.",
        ),
    ]
}

/// `rein.parquet`: one row per segment of the rein timeline.
pub fn rein<'a>() -> Vec<Column<Item<'a, ReinSegment>>> {
    vec![
        col("file", "", Get::Str(|r| r.file), FILE_DOC),
        col("index", "", Get::U32(|r| r.index), INDEX_DOC),
        col(
            "start_s",
            "s",
            Get::F64(|r| r.item.start_s),
            "`rein_timeline[].start_s`.",
        ),
        col(
            "end_s",
            "s",
            Get::F64(|r| r.item.end_s),
            "`rein_timeline[].end_s`.",
        ),
        col(
            "rein",
            "",
            Get::Str(|r| rein_name(r.item.rein)),
            "`left`, `right` or `straight`.",
        ),
    ]
}

/// `symmetry.parquet`: one row per straight stretch of trot.
pub fn symmetry<'a>() -> Vec<Column<Item<'a, SymmetryStretch>>> {
    vec![
        col("file", "", Get::Str(|r| r.file), FILE_DOC),
        col("index", "", Get::U32(|r| r.index), INDEX_DOC),
        col(
            "start_s",
            "s",
            Get::F64(|r| r.item.start_s),
            "`symmetry_stretches[].start_s`.",
        ),
        col("end_s", "s", Get::F64(|r| r.item.end_s), "`end_s`."),
        col(
            "min_diff_mm",
            "mm",
            Get::F64(|r| r.item.min_diff_mm),
            "`min_diff_mm`.",
        ),
        col(
            "max_diff_mm",
            "mm",
            Get::F64(|r| r.item.max_diff_mm),
            "`max_diff_mm`.",
        ),
        col(
            "min_diff_ci_mm",
            "mm",
            Get::OptF64(|r| r.item.min_diff_ci_mm),
            "`min_diff_ci_mm`: 95 % half-width; null under 6 strides.",
        ),
        col(
            "max_diff_ci_mm",
            "mm",
            Get::OptF64(|r| r.item.max_diff_ci_mm),
            "`max_diff_ci_mm`.",
        ),
        col(
            "symmetry_index",
            "",
            Get::F64(|r| r.item.symmetry_index),
            "`symmetry_index`.",
        ),
        col("strides", "", Get::U32(|r| r.item.strides), "`strides`."),
    ]
}

pub use super::docs::{ColumnDoc, TableDoc, docs, help, markdown, tables};
pub use super::session_columns::sessions;
