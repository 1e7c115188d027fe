//! `login` and `logout`.

use std::path::PathBuf;

use serde_json::json;

use crate::client::{self, Api};
use crate::error::{CliError, CliResult, Outcome};
use crate::model::Login;
use crate::token::{self, StoredToken};

fn no_path() -> CliError {
    CliError::Usage(
        "no place for the token file: set HOME, XDG_CONFIG_HOME, HOOFBEAT_ADMIN_TOKEN_FILE or --token-file".into(),
    )
}

fn password(email: &str) -> CliResult<String> {
    if let Ok(p) = std::env::var("HOOFBEAT_ADMIN_PASSWORD") {
        return Ok(p);
    }
    rpassword::prompt_password(format!("Password for {email}: ")).map_err(|e| {
        CliError::Usage(format!(
            "cannot prompt for the password ({e}): set HOOFBEAT_ADMIN_PASSWORD"
        ))
    })
}

/// Logs in; stores the token only for an admin.
pub async fn login(api: &Api, path: Option<PathBuf>, email: &str) -> CliResult {
    let path = path.ok_or_else(no_path)?;
    // A wrong URL is said before the password is asked for.
    api.check().await?;
    let password = password(email)?;
    let answer = api
        .post_anonymous(
            "/v1/auth/login",
            &json!({"email": email, "password": password}),
        )
        .await?;
    let login: Login = client::decode(&answer, "POST /v1/auth/login")?;
    if login.user.role != "admin" {
        // Not kept, so not left valid either.
        let _ = api.post_with_token("/v1/auth/logout", &login.token).await;
        return Err(CliError::Forbidden(format!(
            "this account is not an admin ({} is a {}); no token was stored",
            login.user.email, login.user.role
        )));
    }
    let stored = StoredToken {
        token: login.token,
        expires_at: login.expires_at,
        email: Some(login.user.email.clone()),
        url: Some(api.base()),
    };
    token::save(&path, &stored).map_err(|e| {
        CliError::Other(format!(
            "cannot write the token file {}: {e}",
            path.display()
        ))
    })?;
    let until = login
        .expires_at
        .map(|t| format!(" until {}", t.format("%Y-%m-%d %H:%M UTC")))
        .unwrap_or_default();
    println!(
        "logged in as {} (admin){until}; token in {}",
        login.user.email,
        path.display()
    );
    if std::env::var_os("HOOFBEAT_ADMIN_TOKEN").is_some() {
        eprintln!(
            "hoofbeat-admin: note: HOOFBEAT_ADMIN_TOKEN is set and takes precedence over the token file"
        );
    }
    Ok(Outcome::Done)
}

/// Revokes the token (file or environment) and deletes the file.
pub async fn logout(api: &Api, path: Option<PathBuf>) -> CliResult {
    let stored = match &path {
        Some(p) => token::load(p).map_err(|e| {
            CliError::Other(format!("cannot read the token file {}: {e}", p.display()))
        })?,
        None => None,
    };
    let env = std::env::var("HOOFBEAT_ADMIN_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty());
    if stored.is_none() && env.is_none() {
        println!("not logged in");
        return Ok(Outcome::Done);
    }
    let mut revoke_error = None;
    for t in stored.iter().map(|s| s.token.clone()).chain(env.clone()) {
        match api.post_with_token("/v1/auth/logout", &t).await {
            // Already expired or revoked: nothing left to revoke.
            Ok(_) | Err(CliError::Auth(_)) => {}
            Err(e) => revoke_error = Some(e),
        }
    }
    if let (Some(p), Some(_)) = (&path, &stored) {
        token::remove(p).map_err(|e| {
            CliError::Other(format!("cannot delete the token file {}: {e}", p.display()))
        })?;
        println!("logged out; deleted {}", p.display());
    }
    if env.is_some() && revoke_error.is_none() {
        println!("the token in HOOFBEAT_ADMIN_TOKEN was revoked; unset the variable");
    }
    match revoke_error {
        // The file is gone, but the token may still be valid on the server.
        Some(e) => Err(e),
        None => Ok(Outcome::Done),
    }
}
