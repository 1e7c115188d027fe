//! The export files as documented: every file's rows and columns (type,
//! unit, nullability, meaning), rendered as the README's Markdown tables
//! and as the `--help` text. Built from the column descriptions, so the
//! documentation cannot drift from the files.

use std::fmt::Write as _;

use super::columns::Column;
use super::schema::{bouts, gaits, jumps, rein, sessions, symmetry};

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
