//! Console sign-in sessions. The browser keeps a random token in the
//! `hb_console` cookie (HttpOnly: no script reads it; SameSite=Strict: no
//! other site's page sends it; Secure: HTTPS only, which browsers also
//! grant `http://localhost`); Postgres keeps its SHA-256, the user and the
//! session's CSRF token, which every state-changing form carries.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::auth::{Role, hex, new_token, token_hash};
use crate::error::ApiError;
use crate::state::AppState;

/// The cookie's name.
pub const COOKIE: &str = "hb_console";

/// How long a console sign-in lasts.
pub const LIFETIME_HOURS: i64 = 8;

/// A signed-in console user with the admin role.
#[derive(Debug, Clone)]
pub struct ConsoleAdmin {
    pub user_id: Uuid,
    pub email: String,
    /// The token this session's forms must send back.
    pub csrf: String,
}

/// Why a console page is not shown.
pub enum Refusal {
    /// Not signed in (or the sign-in expired): to the sign-in page.
    SignIn,
    /// Signed in without the admin role: the 403 page.
    NotAdmin,
    /// The database failed: the API's problem answer.
    Error(ApiError),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::SignIn => Redirect::to("/admin/login").into_response(),
            Refusal::NotAdmin => super::pages::forbidden().into_response(),
            Refusal::Error(e) => e.into_response(),
        }
    }
}

impl From<sqlx::Error> for Refusal {
    fn from(e: sqlx::Error) -> Self {
        Refusal::Error(e.into())
    }
}

/// The value of the console cookie in a request, if any.
pub fn cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value)
}

impl FromRequestParts<AppState> for ConsoleAdmin {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Refusal> {
        let token = cookie(&parts.headers).ok_or(Refusal::SignIn)?;
        let row: Option<(Uuid, String, Role, String)> = sqlx::query_as(
            "SELECT u.id, u.email, u.role, c.csrf_token FROM console_sessions c
             JOIN users u ON u.id = c.user_id
             WHERE c.token_hash = $1 AND c.expires_at > now()",
        )
        .bind(token_hash(token))
        .fetch_optional(&state.db)
        .await?;
        let (user_id, email, role, csrf) = row.ok_or(Refusal::SignIn)?;
        if role != Role::Admin {
            return Err(Refusal::NotAdmin);
        }
        Ok(ConsoleAdmin {
            user_id,
            email,
            csrf,
        })
    }
}

/// Opens a console session for `user`: the `Set-Cookie` value to send.
/// Expired sessions are swept on the way.
pub async fn open(state: &AppState, user: Uuid) -> Result<String, ApiError> {
    let (token, hash) = new_token()?;
    let mut csrf = [0u8; 32];
    getrandom::fill(&mut csrf).map_err(ApiError::internal)?;
    let expires_at: DateTime<Utc> = Utc::now() + chrono::Duration::hours(LIFETIME_HOURS);
    sqlx::query("DELETE FROM console_sessions WHERE expires_at <= now()")
        .execute(&state.db)
        .await?;
    sqlx::query(
        "INSERT INTO console_sessions (token_hash, user_id, csrf_token, expires_at)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(hash)
    .bind(user)
    .bind(hex(&csrf))
    .bind(expires_at)
    .execute(&state.db)
    .await?;
    Ok(format!(
        "{COOKIE}={token}; Path=/admin; Max-Age={}; HttpOnly; Secure; SameSite=Strict",
        LIFETIME_HOURS * 3600
    ))
}

/// Ends the session the request's cookie names: the `Set-Cookie` value
/// that clears it.
pub async fn close(state: &AppState, headers: &HeaderMap) -> Result<String, ApiError> {
    if let Some(token) = cookie(headers) {
        sqlx::query("DELETE FROM console_sessions WHERE token_hash = $1")
            .bind(token_hash(token))
            .execute(&state.db)
            .await?;
    }
    Ok(format!(
        "{COOKIE}=; Path=/admin; Max-Age=0; HttpOnly; Secure; SameSite=Strict"
    ))
}

/// Whether a posted form's token is this session's (compared in constant
/// time: the comparison's duration says nothing about the token).
pub fn csrf_ok(admin: &ConsoleAdmin, sent: &str) -> bool {
    let (a, b) = (admin.csrf.as_bytes(), sent.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The answer to a form posted without this session's CSRF token.
pub fn csrf_refused() -> Response {
    (
        StatusCode::FORBIDDEN,
        super::pages::message_page(
            "Form expired",
            "This form was not sent from this sign-in's own page (its security token is missing or stale). Reload the page and try again.",
        ),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_console_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=1; hb_console=tok; b=2".parse().unwrap());
        assert_eq!(cookie(&h), Some("tok"));
        h.insert(header::COOKIE, "hb_consolex=1".parse().unwrap());
        assert_eq!(cookie(&h), None);
    }
}
