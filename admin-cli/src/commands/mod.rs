//! The commands, and what they share: the token, confirmation prompts.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use chrono::Utc;

use crate::cli::{Cli, Command};
use crate::client::{Api, Auth, not_logged_in};
use crate::error::{CliError, CliResult};
use crate::token::{self, Source};

pub mod audit;
pub mod jobs;
pub mod login;
pub mod overview;
pub mod reanalyze;
pub mod replay;

/// Runs one command.
pub async fn run(cli: Cli) -> CliResult {
    let path = token::resolve_path(
        cli.token_file.clone(),
        std::env::var_os("XDG_CONFIG_HOME"),
        std::env::var_os("HOME"),
    );
    let api = Api::new(&cli.url)?;
    match cli.command {
        Command::Login { email } => login::login(&api, path, &email).await,
        Command::Logout => login::logout(&api, path).await,
        command => {
            let api = api.clone().with_auth(Some(load_auth(path, &api.base())?));
            match command {
                Command::Jobs(a) => jobs::list(&api, &a).await,
                Command::Job { id, json } => jobs::show(&api, id, json).await,
                Command::Replay(a) => replay::run(&api, &a).await,
                Command::Reanalyze(a) => reanalyze::run(&api, &a).await,
                Command::Overview { json } => overview::run(&api, json).await,
                Command::Audit { limit, json } => audit::run(&api, limit, json).await,
                Command::Login { .. } | Command::Logout => unreachable!("handled above"),
            }
        }
    }
}

/// The token to send: `HOOFBEAT_ADMIN_TOKEN`, else the token file.
fn load_auth(path: Option<PathBuf>, base: &str) -> CliResult<Auth> {
    if let Some(t) = std::env::var("HOOFBEAT_ADMIN_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty())
    {
        return Ok(Auth {
            token: t.trim().to_owned(),
            source: Source::Env,
            expires_at: None,
        });
    }
    let path = path.ok_or_else(|| {
        CliError::Auth(format!(
            "{} (no HOME to find the token file in)",
            not_logged_in()
        ))
    })?;
    let stored = token::load(&path)
        .map_err(|e| {
            CliError::Other(format!(
                "cannot read the token file {}: {e}",
                path.display()
            ))
        })?
        .ok_or_else(|| CliError::Auth(not_logged_in()))?;
    if let Some(w) = token::loose_permissions(&path) {
        eprintln!("hoofbeat-admin: {w}");
    }
    if let Some(t) = stored.expires_at.filter(|t| *t <= Utc::now()) {
        return Err(CliError::Auth(format!(
            "your token expired at {}; run hoofbeat-admin login",
            t.format("%Y-%m-%d %H:%M UTC")
        )));
    }
    if let Some(u) = stored.url.as_deref().filter(|u| *u != base) {
        eprintln!("hoofbeat-admin: warning: the token was issued by {u}; sending it to {base}");
    }
    Ok(Auth {
        token: stored.token,
        source: Source::File(path),
        expires_at: stored.expires_at,
    })
}

/// Asks `question` (on stderr) unless `yes`; refuses without a terminal.
pub fn confirm(question: &str, yes: bool) -> CliResult<bool> {
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Usage(
            "stdin is not a terminal: add --yes to confirm without a prompt".into(),
        ));
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| CliError::Other(format!("cannot read the answer: {e}")))?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// Pretty JSON on stdout.
pub fn print_json(v: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
    );
}
