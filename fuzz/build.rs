//! Compiles the API's own cursor parsers into this crate without making them
//! public: the functions are cut out of the route sources at build time (by
//! name, up to the closing `}` in column 0) and placed in a module whose
//! `ApiError`/`ApiResult` are stand-ins. If a function is renamed or moved,
//! the build fails instead of silently fuzzing a stale copy.

use std::fmt::Write as _;
use std::path::Path;

fn extract(src: &str, file: &str, name: &str) -> String {
    let start = format!("fn {name}(");
    let mut out = String::new();
    let mut inside = false;
    for line in src.lines() {
        if !inside && line.starts_with(&start) {
            inside = true;
            out.push_str("pub ");
        }
        if inside {
            out.push_str(line);
            out.push('\n');
            if line == "}" {
                return out;
            }
        }
    }
    panic!("fuzz/build.rs: no top-level `fn {name}(` in {file}");
}

const PRELUDE: &str = r#"
    #![allow(dead_code, unused_imports)]
    use chrono::{DateTime, TimeZone, Utc};
    use uuid::Uuid;
    /// Stand-in for `api::error::ApiError` (only its constructor is used).
    #[derive(Debug, PartialEq, Eq)]
    pub struct ApiError;
    impl ApiError {
        fn invalid_field(_field: &str, _message: &str) -> Self {
            ApiError
        }
    }
    pub type ApiResult<T> = Result<T, ApiError>;
"#;

fn main() {
    let api = Path::new(env!("CARGO_MANIFEST_DIR")).join("../api/src/routes");
    let mut generated = String::new();
    for (module, files, fns) in [
        ("sessions", &["sessions/mod.rs", "sessions.rs"][..], &["plausible_start", "parse_cursor"][..]),
        ("admin_jobs", &["admin/jobs.rs"][..], &["parse_cursor"][..]),
    ] {
        // The first of the candidate files that exists (the sessions routes
        // moved from a file to a folder).
        for f in files {
            println!("cargo:rerun-if-changed={}", api.join(f).display());
        }
        let file = files
            .iter()
            .copied()
            .find(|f| api.join(f).exists())
            .unwrap_or(files[0]);
        let path = api.join(file);
        let src = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("fuzz/build.rs: cannot read {}: {e}", path.display()));
        writeln!(generated, "/// From `api/src/routes/{file}`.\npub mod {module} {{{PRELUDE}").unwrap();
        for name in fns {
            generated.push_str(&extract(&src, file, name));
        }
        generated.push_str("}\n");
    }
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("cursors.rs");
    std::fs::write(out, generated).unwrap();
}
