//! The columns of `sessions.parquet`: one row per session, its quality
//! figures and the sums over its lists (gaits, rein, leads, symmetry,
//! jumps, workload).

use super::Session;
use super::columns::{Column, Get, col};
use super::schema::FILE_DOC;
use crate::report::{Lead, Rein};

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
