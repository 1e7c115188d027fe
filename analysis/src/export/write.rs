//! Writing the export files so that a crash or a failed write never leaves
//! a half-written Parquet file: each file goes to a hidden temporary file in
//! the output directory (same file system), is flushed to disk, and only
//! when every file of the export is complete are they renamed into place.

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

/// The writer settings: SNAPPY (pure Rust) pages, the writer named.
fn properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_created_by(format!("hoofbeat {}", env!("CARGO_PKG_VERSION")))
        .build()
}

/// The temporary name of `name` in `dir` (hidden, unique to this process).
fn temp_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!(".{name}.{}.tmp", std::process::id()))
}

fn write_one(path: &Path, batch: &RecordBatch) -> Result<(), String> {
    let located = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let file = File::create(path).map_err(|e| located(&e))?;
    let mut writer =
        ArrowWriter::try_new(file, batch.schema(), Some(properties())).map_err(|e| located(&e))?;
    writer.write(batch).map_err(|e| located(&e))?;
    let file = writer.into_inner().map_err(|e| located(&e))?;
    file.sync_all().map_err(|e| located(&e))
}

/// Writes each `(file name, rows)` into `dir` (created if missing), all or
/// nothing: on any error no file of this export has been renamed into
/// place and the temporary files are removed. Then removes the files named
/// in `stale` (outputs of an earlier run this export does not rewrite).
/// Returns the paths written.
pub fn write_tables(
    dir: &Path,
    tables: &[(&str, RecordBatch)],
    stale: &[&str],
) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let temps: Vec<PathBuf> = tables.iter().map(|(n, _)| temp_path(dir, n)).collect();
    let cleanup = |temps: &[PathBuf]| {
        for t in temps {
            let _ = std::fs::remove_file(t);
        }
    };
    for ((_, batch), tmp) in tables.iter().zip(&temps) {
        if let Err(e) = write_one(tmp, batch) {
            cleanup(&temps);
            return Err(e);
        }
    }
    let mut written = Vec::with_capacity(tables.len());
    for (i, ((name, _), tmp)) in tables.iter().zip(&temps).enumerate() {
        let target = dir.join(name);
        if let Err(e) = std::fs::rename(tmp, &target) {
            cleanup(&temps[i..]);
            return Err(format!("{}: {e}", target.display()));
        }
        written.push(target);
    }
    for name in stale {
        let p = dir.join(name);
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("{}: {e}", p.display())),
        }
    }
    Ok(written)
}
