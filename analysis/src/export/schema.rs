//! The columns of every export file, described once (see [`columns`]):
//! `sessions.parquet`, `gaits.parquet`, `bouts.parquet`, `jumps.parquet`,
//! `rein.parquet`, `symmetry.parquet`, and the trend files of
//! [`super::trend_tables`]. The README's
//! schema section and the `--help` text are rendered from here
//! ([`markdown`], [`help`]); a test keeps the README in step.
//!
//! [`columns`]: super::columns

use std::fmt::Write as _;

use super::Session;
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

const FILE_DOC: &str =
    "The session file as the CLI names it (the path given, or DIR/name for a directory).";
const INDEX_DOC: &str = "Position in the document's list, from 0.";

/// `sessions.parquet`: one row per session.
pub fn sessions() -> Vec<Column<Session>> {
    use trend::Gait::*;
    vec![
        col("file", "", Get::Str(|s| &s.file), FILE_DOC),
        col(
            "format",
            "",
            Get::Str(|s| s.format),
            "`csv`, `json` or `binary` (from the file name).",
        ),
        col(
            "gzip",
            "",
            Get::Bool(|s| s.gzip),
            "The file name ends in `.gz`.",
        ),
        col(
            "started_at",
            "",
            Get::OptTimestampMs(|s| s.started_at_ms),
            "Session start: the FILE.meta.json sidecar, else the file's own (binary header, JSON `started_at`); null for a CSV without sidecar.",
        ),
        col(
            "algorithm_version",
            "",
            Get::Str(|s| &s.analysis.algorithm_version),
            "`algorithm_version`.",
        ),
        col(
            "sample_rate_hz",
            "Hz",
            Get::F64(|s| s.sample_rate_hz),
            "Nominal rate: the binary header's, or the median time step's for CSV and JSON.",
        ),
        col(
            "samples",
            "",
            Get::U64(|s| s.analysis.quality.samples),
            "`quality.samples`.",
        ),
        col(
            "duration_s",
            "s",
            Get::F64(|s| s.analysis.quality.duration_s),
            "`quality.duration_s`: first to last sample.",
        ),
        col(
            "analysed_s",
            "s",
            Get::F64(|s| s.analysis.quality.analysed_s),
            "`quality.analysed_s`: duration minus gaps.",
        ),
        col(
            "effective_rate_hz",
            "Hz",
            Get::F64(|s| s.analysis.quality.effective_rate_hz),
            "`quality.effective_rate_hz`: samples per second over the gap-free time.",
        ),
        col(
            "gaps",
            "",
            Get::U32(|s| s.gap_count()),
            "Number of `quality.gaps` (holes over 1 s).",
        ),
        col(
            "gap_s",
            "s",
            Get::F64(|s| s.gap_s()),
            "Total length of `quality.gaps`.",
        ),
        col(
            "short_gaps",
            "",
            Get::U32(|s| s.analysis.quality.short_gaps),
            "`quality.short_gaps` (interpolated holes under 1 s).",
        ),
        col(
            "clipped_samples",
            "",
            Get::U64(|s| s.analysis.quality.clipped_samples),
            "`quality.clipped_samples`.",
        ),
        col(
            "mount_tilt_deg",
            "deg",
            Get::F64(|s| s.analysis.quality.mount_tilt_deg),
            "`quality.mount_tilt_deg`.",
        ),
        col(
            "mount_heading_deg",
            "deg",
            Get::F64(|s| s.analysis.quality.mount_heading_deg),
            "`quality.mount_heading_deg`.",
        ),
        col(
            "heading_estimated",
            "",
            Get::Bool(|s| s.analysis.quality.heading_estimated),
            "`quality.heading_estimated`.",
        ),
        col(
            "bouts",
            "",
            Get::U32(|s| s.count(s.analysis.bouts.len())),
            "Number of `bouts`.",
        ),
        col(
            "transitions",
            "",
            Get::U32(|s| s.analysis.transitions),
            "`transitions`: changes of gait between consecutive bouts.",
        ),
        col(
            "halt_s",
            "s",
            Get::F64(|s| s.gait_s(Halt)),
            "`time_s` of the halt entry of `gaits`; 0 without one.",
        ),
        col(
            "walk_s",
            "s",
            Get::F64(|s| s.gait_s(Walk)),
            "As `halt_s`, walk.",
        ),
        col(
            "trot_s",
            "s",
            Get::F64(|s| s.gait_s(Trot)),
            "As `halt_s`, trot.",
        ),
        col(
            "canter_s",
            "s",
            Get::F64(|s| s.gait_s(Canter)),
            "As `halt_s`, canter.",
        ),
        col(
            "gallop_s",
            "s",
            Get::F64(|s| s.gait_s(Gallop)),
            "As `halt_s`, gallop.",
        ),
        col(
            "left_s",
            "s",
            Get::F64(|s| s.rein_s(Rein::Left)),
            "Σ end_s − start_s of the `rein_timeline` segments on the left rein (3 decimals).",
        ),
        col(
            "right_s",
            "s",
            Get::F64(|s| s.rein_s(Rein::Right)),
            "As `left_s`, right rein.",
        ),
        col(
            "straight_s",
            "s",
            Get::F64(|s| s.rein_s(Rein::Straight)),
            "As `left_s`, straight.",
        ),
        col(
            "rein_balance",
            "",
            Get::OptF64(|s| s.rein_balance()),
            "(left_s − right_s) / (left_s + right_s), 4 decimals: +1 all left, −1 all right; null without turning.",
        ),
        col(
            "left_lead_bouts",
            "",
            Get::U32(|s| s.lead_bouts(Lead::Left)),
            "Canter and gallop bouts on the left lead.",
        ),
        col(
            "right_lead_bouts",
            "",
            Get::U32(|s| s.lead_bouts(Lead::Right)),
            "Canter and gallop bouts on the right lead.",
        ),
        col(
            "unknown_lead_bouts",
            "",
            Get::U32(|s| s.lead_bouts(Lead::Unknown)),
            "Canter and gallop bouts whose lead is `unknown`.",
        ),
        col(
            "counter_canter_bouts",
            "",
            Get::U32(|s| s.counter_canter_bouts()),
            "Bouts with `counter_canter` true.",
        ),
        col(
            "symmetry_min_diff_mm",
            "mm",
            Get::OptF64(|s| s.analysis.symmetry.map(|y| y.min_diff_mm)),
            "`symmetry.min_diff_mm`; null without straight trot of 5 s (as for the four below).",
        ),
        col(
            "symmetry_max_diff_mm",
            "mm",
            Get::OptF64(|s| s.analysis.symmetry.map(|y| y.max_diff_mm)),
            "`symmetry.max_diff_mm`.",
        ),
        col(
            "symmetry_index",
            "",
            Get::OptF64(|s| s.analysis.symmetry.map(|y| y.symmetry_index)),
            "`symmetry.symmetry_index` (100 = both diagonals identical).",
        ),
        col(
            "symmetry_score",
            "",
            Get::OptF64(|s| s.analysis.symmetry.map(|y| y.score)),
            "`symmetry.score`, 0–10.",
        ),
        col(
            "symmetry_strides",
            "",
            Get::OptU32(|s| s.analysis.symmetry.map(|y| y.strides)),
            "`symmetry.strides`.",
        ),
        col(
            "symmetry_stretches",
            "",
            Get::U32(|s| s.count(s.analysis.symmetry_stretches.len())),
            "Number of `symmetry_stretches`.",
        ),
        col(
            "jumps",
            "",
            Get::U32(|s| s.count(s.analysis.jumps.len())),
            "Number of `jumps`.",
        ),
        col(
            "gait_weighted_min",
            "min",
            Get::F64(|s| s.analysis.workload.gait_weighted_min),
            "`workload.gait_weighted_min`.",
        ),
        col(
            "mean_vedba_g",
            "g",
            Get::F64(|s| s.analysis.workload.mean_vedba_g),
            "`workload.mean_vedba_g`.",
        ),
        col(
            "total_vedba_gs",
            "g·s",
            Get::F64(|s| s.analysis.workload.total_vedba_gs),
            "`workload.total_vedba_gs`.",
        ),
    ]
}

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

/// One column as documented.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDoc {
    pub name: &'static str,
    pub type_name: &'static str,
    pub unit: &'static str,
    pub nullable: bool,
    pub doc: &'static str,
}

/// One export file as documented.
#[derive(Debug, Clone, PartialEq)]
pub struct TableDoc {
    pub file: &'static str,
    pub rows: &'static str,
    pub columns: Vec<ColumnDoc>,
}

pub fn docs<R>(columns: &[Column<R>]) -> Vec<ColumnDoc> {
    columns
        .iter()
        .map(|c| ColumnDoc {
            name: c.name,
            type_name: c.type_name(),
            unit: c.unit,
            nullable: c.nullable(),
            doc: c.doc,
        })
        .collect()
}

/// Every export file, in the order they are documented: the session
/// tables, then the trend's ([`super::trend_tables`]).
pub fn tables() -> Vec<TableDoc> {
    let mut all = vec![
        TableDoc {
            file: "sessions.parquet",
            rows: "one row per session analysed",
            columns: docs(&sessions()),
        },
        TableDoc {
            file: "gaits.parquet",
            rows: "one row per gait seen in a session (`gaits[]`)",
            columns: docs(&gaits()),
        },
        TableDoc {
            file: "bouts.parquet",
            rows: "one row per gait bout (`bouts[]`)",
            columns: docs(&bouts()),
        },
        TableDoc {
            file: "jumps.parquet",
            rows: "one row per jump (`jumps[]`)",
            columns: docs(&jumps()),
        },
        TableDoc {
            file: "rein.parquet",
            rows: "one row per segment of the rein timeline (`rein_timeline[]`)",
            columns: docs(&rein()),
        },
        TableDoc {
            file: "symmetry.parquet",
            rows: "one row per straight stretch of trot (`symmetry_stretches[]`)",
            columns: docs(&symmetry()),
        },
    ];
    all.extend(super::trend_tables::docs());
    all
}

/// The schema as Markdown tables (the README's section between its
/// `export-schema` markers).
pub fn markdown() -> String {
    let mut s = String::new();
    for t in tables() {
        let _ = writeln!(s, "**`{}`** — {}.\n", t.file, t.rows);
        let _ = writeln!(s, "| column | arrow type | unit | nullable | meaning |");
        let _ = writeln!(s, "|---|---|---|---|---|");
        for c in &t.columns {
            let _ = writeln!(
                s,
                "| `{}` | {} | {} | {} | {} |",
                c.name,
                c.type_name,
                if c.unit.is_empty() { "–" } else { c.unit },
                if c.nullable { "yes" } else { "no" },
                c.doc.replace('|', "\\|")
            );
        }
        s.push('\n');
    }
    s
}

/// The schema as plain text for `hoofbeat analyze --help`.
pub fn help() -> String {
    let mut s = String::from(
        "Parquet export (--format parquet --out DIR): the files and their columns \
         (type, unit, ? = nullable). Times are seconds from the session's first sample; \
         every session file has a `file` column naming the session file (the trend_* \
         files and trends.parquet name sessions by start time). Each column's meaning: analysis/README.md, \
         \"Columnar exports\", and the `description` metadata of each Arrow field.\n",
    );
    for t in tables() {
        let _ = writeln!(s, "\n{} — {}:", t.file, t.rows);
        for c in &t.columns {
            let unit = if c.unit.is_empty() {
                String::new()
            } else {
                format!(" [{}]", c.unit)
            };
            let _ = writeln!(
                s,
                "  {:<26} {}{}{}",
                c.name,
                c.type_name,
                if c.nullable { "?" } else { "" },
                unit
            );
        }
    }
    s
}
