//! Accounts: register, login (bearer token), logout, `/v1/me`.

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::auth::{self, AuthUser, Role};
use crate::error::{ApiError, ApiResult, ErrorCode, Problem};
use crate::extract::{ClientAddr, Json};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me, delete_me))
}

/// Credentials for register and login.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// The account's email (case-insensitive; leading and trailing white
    /// space is ignored): at most 254 characters, a non-empty part before
    /// the `@`, a domain with a dot, no white space.
    #[schema(example = "rider@example.com", format = Email, max_length = 254)]
    pub email: String,
    /// 8 to 128 characters (a login with any other length fails as a wrong password).
    #[schema(example = "correct horse battery", min_length = 8, max_length = 128)]
    pub password: String,
}

/// A user as shown to themself.
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct User {
    /// Id.
    pub id: Uuid,
    /// Email as registered.
    pub email: String,
    /// Role.
    pub role: Role,
    /// Registration time.
    pub created_at: DateTime<Utc>,
}

/// A new bearer token.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// When the token stops working.
    pub expires_at: DateTime<Utc>,
    /// The user.
    pub user: User,
}

fn validate(c: &Credentials) -> ApiResult<String> {
    let email = c.email.trim().to_owned();
    let well_formed = email.len() <= 254
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        && !email.chars().any(char::is_whitespace);
    if !well_formed {
        return Err(ApiError::invalid_field(
            "email",
            "not a valid email address",
        ));
    }
    let n = c.password.chars().count();
    if !(8..=128).contains(&n) {
        return Err(ApiError::invalid_field(
            "password",
            "must be 8 to 128 characters",
        ));
    }
    Ok(email)
}

/// Create an account (role rider).
#[utoipa::path(post, path = "/v1/auth/register", tag = "auth", request_body = Credentials,
    responses((status = 201, body = User), (status = 409, body = Problem, description = "`email_taken`"),
              (status = 422, body = Problem, description = "`validation_failed`: an invalid email or password, an unknown field"),
              (status = 429, body = Problem, description = "`rate_limited`: too many registrations from this address; see Retry-After",
               headers(("Retry-After" = u64, description = "Seconds to wait"))),
              (status = 503, body = Problem, description = "`server_busy` (too many password hashes in progress), `database_unavailable` or `timeout`; see Retry-After",
               headers(("Retry-After" = u64, description = "Seconds to wait")))))]
async fn register(
    state: axum::extract::State<AppState>,
    ClientAddr(addr): ClientAddr,
    Json(body): Json<Credentials>,
) -> ApiResult<(StatusCode, Json<User>)> {
    let email = validate(&body)?;
    if let Some(ip) = addr
        && let Err(wait) = state.register_limiter.check(&format!("ip:{ip}"))
    {
        return Err(ApiError::new(
            ErrorCode::RateLimited,
            "too many registrations from this address; wait and try again",
        )
        .with_retry_after(wait.as_secs().max(1)));
    }
    let slot = auth::hashing_slot(&state).await?;
    let hash = auth::hash_password(body.password).await?;
    drop(slot);
    let user: Option<User> = sqlx::query_as(
        "INSERT INTO users (id, email, password_hash) VALUES ($1, $2, $3)
         ON CONFLICT (lower(email)) DO NOTHING
         RETURNING id, email, role, created_at",
    )
    .bind(Uuid::now_v7())
    .bind(&email)
    .bind(hash)
    .fetch_optional(&state.db)
    .await?;
    let user = user
        .ok_or_else(|| ApiError::new(ErrorCode::EmailTaken, "this email is already registered"))?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// Exchange email and password for a bearer token. Rate-limited per email and per client address.
#[utoipa::path(post, path = "/v1/auth/login", tag = "auth", request_body = Credentials,
    responses((status = 200, body = LoginResponse),
              (status = 401, body = Problem, description = "`invalid_credentials`: wrong email or password"),
              (status = 422, body = Problem, description = "`validation_failed`: a missing or unknown field"),
              (status = 429, body = Problem, description = "`rate_limited`: too many attempts from this address, or for this email from it; see Retry-After",
               headers(("Retry-After" = u64, description = "Seconds to wait"))),
              (status = 503, body = Problem, description = "`server_busy` (too many password hashes in progress), `database_unavailable` or `timeout`; see Retry-After",
               headers(("Retry-After" = u64, description = "Seconds to wait")))))]
async fn login(
    state: axum::extract::State<AppState>,
    ClientAddr(addr): ClientAddr,
    Json(body): Json<Credentials>,
) -> ApiResult<Json<LoginResponse>> {
    let user = check_credentials(&state, addr, &body.email, body.password).await?;
    let (token, hash) = auth::new_token()?;
    let expires_at = Utc::now() + state.config.token_ttl;
    sqlx::query(
        "INSERT INTO api_tokens (id, user_id, token_hash, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(Uuid::now_v7())
    .bind(user.id)
    .bind(hash)
    .bind(expires_at)
    .execute(&state.db)
    .await?;
    Ok(Json(LoginResponse {
        token,
        token_type: "Bearer",
        expires_at,
        user,
    }))
}

/// The user behind an email and password, rate limited per address and per
/// (email, address) and hashed within the hashing slots; used by the API's
/// login and the admin console's sign-in.
pub(crate) async fn check_credentials(
    state: &AppState,
    addr: Option<std::net::IpAddr>,
    email: &str,
    password: String,
) -> ApiResult<User> {
    // Per address, and per email *from that address*: a limit on the email
    // alone would let anyone lock its owner out with wrong passwords. A
    // brute force spread over many addresses is bounded by the per-address
    // limits and by the hashing slots.
    let email = email.trim().to_lowercase();
    let keys = match addr {
        Some(ip) => vec![format!("ip:{ip}"), format!("pair:{email}|{ip}")],
        None => vec![format!("pair:{email}|-")],
    };
    for key in &keys {
        if let Err(wait) = state.login_limiter.check(key) {
            return Err(ApiError::new(
                ErrorCode::RateLimited,
                "too many login attempts; wait and try again",
            )
            .with_retry_after(wait.as_secs().max(1)));
        }
    }
    let row: Option<(Uuid, String, String, Role, DateTime<Utc>)> = sqlx::query_as(
        "SELECT id, email, password_hash, role, created_at FROM users WHERE lower(email) = lower($1)",
    )
    .bind(email.trim())
    .fetch_optional(&state.db)
    .await?;
    // Verify against a dummy hash for unknown emails too, so that response
    // time does not tell which emails are registered.
    let (stored, user) = match row {
        Some((id, email, hash, role, created_at)) => (
            hash,
            Some(User {
                id,
                email,
                role,
                created_at,
            }),
        ),
        None => (DUMMY_HASH.to_owned(), None),
    };
    let slot = auth::hashing_slot(state).await?;
    let ok = auth::verify_password(password, stored).await?;
    drop(slot);
    match (ok, user) {
        (true, Some(user)) => Ok(user),
        _ => Err(ApiError::new(
            ErrorCode::InvalidCredentials,
            "wrong email or password",
        )),
    }
}

/// Argon2id hash of a random string, for constant-time login failures.
pub(crate) const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$9d6C8CIl4Bxq5YbNvC0y3sFHtQkUtYq4Hy8TSkvlZ0o";

/// Revoke the token used for this request.
#[utoipa::path(post, path = "/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = Problem)))]
async fn logout(state: axum::extract::State<AppState>, user: AuthUser) -> ApiResult<StatusCode> {
    sqlx::query("UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL")
        .bind(user.token_id)
        .execute(&state.db)
        .await?;
    state.tokens.evict_token(user.token_id);
    Ok(StatusCode::NO_CONTENT)
}

/// The current user.
#[utoipa::path(get, path = "/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = User), (status = 401, body = Problem)))]
async fn me(state: axum::extract::State<AppState>, user: AuthUser) -> ApiResult<Json<User>> {
    let u: Option<User> =
        sqlx::query_as("SELECT id, email, role, created_at FROM users WHERE id = $1")
            .bind(user.id)
            .fetch_optional(&state.db)
            .await?;
    u.map(Json).ok_or_else(|| ApiError::not_found("user"))
}

/// Delete the account and everything under it: horses, sessions, samples, results, tokens.
#[utoipa::path(delete, path = "/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = Problem)))]
async fn delete_me(state: axum::extract::State<AppState>, user: AuthUser) -> ApiResult<StatusCode> {
    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(user.id)
        .execute(&state.db)
        .await?;
    state.tokens.evict_user(user.id);
    Ok(StatusCode::NO_CONTENT)
}
