//! Where the admin token lives: `HOOFBEAT_ADMIN_TOKEN`, else a file readable
//! by its owner only (`--token-file`, `$HOOFBEAT_ADMIN_TOKEN_FILE`,
//! `$XDG_CONFIG_HOME/hoofbeat/admin-token`, `~/.config/hoofbeat/admin-token`).

use std::ffi::OsString;
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The token file's content (JSON). A file holding only a bare token is read too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredToken {
    /// The bearer token.
    pub token: String,
    /// When the API said it stops working.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    /// Whose it is.
    #[serde(default)]
    pub email: Option<String>,
    /// The API it was issued by.
    #[serde(default)]
    pub url: Option<String>,
}

/// Where a token came from (for the error messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `HOOFBEAT_ADMIN_TOKEN`.
    Env,
    /// A token file.
    File(PathBuf),
}

/// The token file's path: `flag` (from `--token-file` or
/// `$HOOFBEAT_ADMIN_TOKEN_FILE`), else `$XDG_CONFIG_HOME/hoofbeat/admin-token`
/// (when absolute, as the XDG spec requires), else `$HOME/.config/hoofbeat/admin-token`.
pub fn resolve_path(
    flag: Option<PathBuf>,
    xdg_config_home: Option<OsString>,
    home: Option<OsString>,
) -> Option<PathBuf> {
    if let Some(p) = flag.filter(|p| !p.as_os_str().is_empty()) {
        return Some(p);
    }
    let config = xdg_config_home
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            home.map(PathBuf::from)
                .filter(|p| !p.as_os_str().is_empty())
                .map(|h| h.join(".config"))
        })?;
    Some(config.join("hoofbeat").join("admin-token"))
}

/// Writes the token so that only its owner can read it: a new file created
/// with mode 0600 (never chmod-ed after the fact, so it is never readable by
/// others for an instant), then renamed over the old one. Missing parent
/// directories are created with mode 0700.
pub fn save(path: &Path, token: &StoredToken) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)?;
    let name = path.file_name().map_or_else(
        || "admin-token".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        let mut body = serde_json::to_vec_pretty(token).map_err(io::Error::other)?;
        body.push(b'\n');
        f.write_all(&body)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Reads the token file; `None` when there is none.
pub fn load(path: &Path) -> io::Result<Option<StoredToken>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(parse(&text))
}

/// The file's content: our JSON, or a bare token on the first line.
pub fn parse(text: &str) -> Option<StoredToken> {
    let text = text.trim();
    if text.starts_with('{') {
        return serde_json::from_str::<StoredToken>(text)
            .ok()
            .filter(|t| !t.token.trim().is_empty());
    }
    let token = text.lines().next()?.trim();
    (!token.is_empty()).then(|| StoredToken {
        token: token.to_owned(),
        expires_at: None,
        email: None,
        url: None,
    })
}

/// A warning when the group or others may read the file (someone copied it around).
pub fn loose_permissions(path: &Path) -> Option<String> {
    let mode = std::fs::metadata(path).ok()?.mode() & 0o777;
    (mode & 0o077 != 0).then(|| {
        format!(
            "warning: {} is readable by others (mode {mode:o}); run chmod 600 on it",
            path.display()
        )
    })
}

/// Deletes the token file; false when there was none.
pub fn remove(path: &Path) -> io::Result<bool> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch_dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "hoofbeat-admin-test-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn sample() -> StoredToken {
        StoredToken {
            token: "hb_secret".into(),
            expires_at: Some("2026-12-31T00:00:00Z".parse().unwrap()),
            email: Some("admin@example.com".into()),
            url: Some("http://127.0.0.1:8080".into()),
        }
    }

    #[test]
    fn saved_with_mode_0600_in_a_0700_directory() {
        let root = scratch_dir();
        let path = root.join("nested/hoofbeat/admin-token");
        save(&path, &sample()).unwrap();
        let mode = std::fs::metadata(&path).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o600, "file mode {mode:o}");
        let dmode = std::fs::metadata(path.parent().unwrap()).unwrap().mode() & 0o777;
        assert_eq!(dmode, 0o700, "directory mode {dmode:o}");
        assert_eq!(load(&path).unwrap(), Some(sample()));
        assert_eq!(loose_permissions(&path), None);
        // No temporary file left behind.
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![OsString::from("admin-token")]);
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn replacing_a_loose_file_makes_it_0600() {
        let root = scratch_dir();
        let path = root.join("admin-token");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o644))
            .unwrap();
        assert!(loose_permissions(&path).unwrap().contains("mode 644"));
        save(&path, &sample()).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().mode() & 0o777, 0o600);
        assert!(remove(&path).unwrap());
        assert!(!remove(&path).unwrap());
        assert_eq!(load(&path).unwrap(), None);
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn bare_token_files() {
        assert_eq!(parse("hb_abc\n").unwrap().token, "hb_abc");
        assert_eq!(parse("  \n"), None);
        assert_eq!(parse("{\"token\":\"\"}"), None);
        assert_eq!(parse("{\"token\":\"hb_x\"}").unwrap().expires_at, None);
    }

    #[test]
    fn path_precedence() {
        let flag = Some(PathBuf::from("/tmp/t"));
        let xdg = Some(OsString::from("/xdg"));
        let home = Some(OsString::from("/home/a"));
        assert_eq!(
            resolve_path(flag, xdg.clone(), home.clone()),
            Some(PathBuf::from("/tmp/t"))
        );
        assert_eq!(
            resolve_path(None, xdg, home.clone()),
            Some(PathBuf::from("/xdg/hoofbeat/admin-token"))
        );
        // A relative XDG_CONFIG_HOME is ignored (XDG base directory spec).
        assert_eq!(
            resolve_path(None, Some(OsString::from("rel")), home.clone()),
            Some(PathBuf::from("/home/a/.config/hoofbeat/admin-token"))
        );
        assert_eq!(
            resolve_path(Some(PathBuf::new()), None, home),
            Some(PathBuf::from("/home/a/.config/hoofbeat/admin-token"))
        );
        assert_eq!(resolve_path(None, None, None), None);
    }
}
