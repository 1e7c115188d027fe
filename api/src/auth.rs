//! Passwords, bearer tokens and the extractors that authenticate a request.
//!
//! Passwords are hashed with Argon2id (OWASP parameters, the crate's default)
//! on a blocking thread, since hashing is slow by design. Bearer tokens are
//! 32 random bytes; only their SHA-256 is stored, so a stolen database holds no
//! usable token, and a token lookup is one indexed equality query.

use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// Prefix of every token, so that leaked tokens are easy to grep for.
const TOKEN_PREFIX: &str = "hb_";

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum Role {
    /// Owns horses and sessions.
    Rider,
    /// May also inspect and replay anyone's jobs.
    Admin,
}

/// A hashing slot, or 503 `server_busy` after the configured wait: Argon2id
/// holds ~19 MiB per hash by design, so concurrent hashes are bounded.
pub async fn hashing_slot(
    state: &crate::state::AppState,
) -> Result<tokio::sync::OwnedSemaphorePermit, ApiError> {
    let busy = || {
        ApiError::new(
            ErrorCode::ServerBusy,
            "too many sign-ins in progress; try again shortly",
        )
        .with_retry_after(1)
    };
    match tokio::time::timeout(
        state.config.hash_wait,
        state.hashing.clone().acquire_owned(),
    )
    .await
    {
        Ok(Ok(permit)) => Ok(permit),
        _ => Err(busy()),
    }
}

/// The threads password hashes run on: a fixed few, not tokio's blocking
/// pool. Each Argon2id hash allocates ~19 MiB; spread over the blocking
/// pool's many threads, glibc keeps a freed block in each thread's arena
/// (64 registrations left the process at 650 MiB). On a fixed pool the
/// retained memory is bounded by its size.
fn hashing_threads() -> Option<&'static rayon::ThreadPool> {
    static POOL: std::sync::OnceLock<Option<rayon::ThreadPool>> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let n = std::thread::available_parallelism().map_or(2, |n| n.get());
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .thread_name(|i| format!("hoofbeat-hash-{i}"))
            .build()
            .ok()
    })
    .as_ref()
}

/// Runs CPU-heavy password work on the hashing threads (on tokio's blocking
/// pool if they could not be started).
async fn on_hashing_thread<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let Some(pool) = hashing_threads() else {
        return tokio::task::spawn_blocking(work)
            .await
            .map_err(ApiError::internal)?;
    };
    let (tx, rx) = tokio::sync::oneshot::channel();
    pool.spawn(move || {
        let _ = tx.send(work());
    });
    rx.await.map_err(ApiError::internal)?
}

/// Hashes a password (Argon2id, random salt) off the async executor.
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    on_hashing_thread(move || argon::hash(password.as_bytes())).await
}

/// Checks a password against a stored hash off the async executor.
pub async fn verify_password(password: String, stored: String) -> Result<bool, ApiError> {
    on_hashing_thread(move || argon::verify(password.as_bytes(), &stored)).await
}

/// Argon2id with the argon2 crate's defaults (m = 19 MiB, t = 2, p = 1) and
/// standard PHC strings, but computed in one memory buffer per hashing
/// thread that is reused from hash to hash: the crate's own calls allocate
/// and free 19 MiB each time, which the allocator keeps afterwards.
mod argon {
    use std::cell::RefCell;

    use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
    use argon2::{Algorithm, Argon2, Block, Params, Version};

    use crate::error::ApiError;

    thread_local! {
        static BLOCKS: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
    }

    fn with_blocks<R>(n: usize, f: impl FnOnce(&mut [Block]) -> R) -> R {
        BLOCKS.with(|cell| {
            let mut blocks = cell.borrow_mut();
            if blocks.len() < n {
                blocks.resize(n, Block::default());
            }
            f(&mut blocks[..n])
        })
    }

    /// A new PHC string for `password`.
    pub fn hash(password: &[u8]) -> Result<String, ApiError> {
        let argon = Argon2::default();
        let params = argon.params().clone();
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(ApiError::internal)?;
        let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
        with_blocks(params.block_count(), |blocks| {
            argon.hash_password_into_with_memory(password, &salt, &mut out, blocks)
        })
        .map_err(ApiError::internal)?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::default().into()),
            params: ParamsString::try_from(&params).map_err(ApiError::internal)?,
            salt: Some(Salt::new(&salt).map_err(ApiError::internal)?),
            hash: Some(Output::new(&out).map_err(ApiError::internal)?),
        };
        Ok(phc.to_string())
    }

    /// Whether `password` matches a stored PHC string (any Argon2 variant and
    /// parameters it names).
    pub fn verify(password: &[u8], stored: &str) -> Result<bool, ApiError> {
        let parsed = PasswordHash::new(stored).map_err(ApiError::internal)?;
        let algorithm =
            Algorithm::try_from(parsed.algorithm.as_str()).map_err(ApiError::internal)?;
        let version = match parsed.version {
            Some(v) => Version::try_from(v).map_err(ApiError::internal)?,
            None => Version::default(),
        };
        let params = Params::try_from(&parsed).map_err(ApiError::internal)?;
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
            return Err(ApiError::internal(
                "stored password hash lacks salt or output",
            ));
        };
        let mut out = vec![0u8; expected.len()];
        let argon = Argon2::new(algorithm, version, params.clone());
        with_blocks(params.block_count(), |blocks| {
            argon.hash_password_into_with_memory(password, salt.as_ref(), &mut out, blocks)
        })
        .map_err(ApiError::internal)?;
        // `Output` compares in constant time.
        Ok(Output::new(&out).map_err(ApiError::internal)? == expected)
    }
}

/// A fresh random token (what the client keeps) and its hash (what we store).
pub fn new_token() -> Result<(String, Vec<u8>), ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(ApiError::internal)?;
    let token = format!("{TOKEN_PREFIX}{}", hex(&bytes));
    let hash = token_hash(&token);
    Ok((token, hash))
}

/// SHA-256 of a token as stored in `api_tokens.token_hash`.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct AuthUser {
    /// The user's id.
    pub id: Uuid,
    /// The user's role.
    pub role: Role,
    /// The token used, so that logout can revoke exactly it.
    pub token_id: Uuid,
}

/// The bearer token of a request, if any.
fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let unauthorized =
            || ApiError::new(ErrorCode::Unauthorized, "a valid bearer token is required");
        let token = bearer(parts).ok_or_else(unauthorized)?;
        if !token.starts_with(TOKEN_PREFIX) || token.len() > 128 {
            return Err(unauthorized());
        }
        let hash = token_hash(token);
        let user = match state.tokens.get(&hash) {
            Some(user) => user,
            None => {
                let mut conn = state.db.acquire().await?;
                let row = lookup_token(&mut conn, &hash).await?;
                let (token_id, id, role, expires_at) = row.ok_or_else(unauthorized)?;
                let user = AuthUser { id, role, token_id };
                state.tokens.insert(hash, user.clone(), expires_at);
                user
            }
        };
        tracing::Span::current().record("user_id", tracing::field::display(user.id));
        Ok(user)
    }
}

/// The live token with this hash: its id, its user's id and role, and when it
/// expires.
pub(crate) async fn lookup_token(
    conn: &mut sqlx::PgConnection,
    hash: &[u8],
) -> Result<Option<(Uuid, Uuid, Role, DateTime<Utc>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT t.id, u.id, u.role, t.expires_at FROM api_tokens t JOIN users u ON u.id = t.user_id
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > now()",
    )
    .bind(hash)
    .fetch_optional(conn)
    .await
}

/// Recently verified tokens, so that a request costs one database round trip
/// instead of two. Entries live at most the configured time and never past
/// the token's own expiry; logout and account deletion evict at once.
pub struct TokenCache {
    ttl: Duration,
    cache: quick_cache::sync::Cache<Vec<u8>, (AuthUser, Instant)>,
    /// True while this replica listens to `hoofbeat_auth` (see
    /// [`crate::auth_events`]); without the notifications a cached entry
    /// could outlive a role change or a deletion, so the cache is bypassed.
    listening: std::sync::atomic::AtomicBool,
}

impl TokenCache {
    /// A cache trusting entries for `ttl` (zero disables it).
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            cache: quick_cache::sync::Cache::new(10_000),
            listening: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Whether notifications arrive (cache in use) or not (bypassed).
    pub fn set_listening(&self, on: bool) {
        if !on {
            self.cache.clear();
        }
        self.listening
            .store(on, std::sync::atomic::Ordering::Relaxed);
    }

    fn get(&self, hash: &[u8]) -> Option<AuthUser> {
        if !self.listening.load(std::sync::atomic::Ordering::Relaxed) {
            return None;
        }
        let (user, until) = self.cache.get(hash)?;
        if Instant::now() < until {
            Some(user)
        } else {
            self.cache.remove(hash);
            None
        }
    }

    fn insert(&self, hash: Vec<u8>, user: AuthUser, expires_at: DateTime<Utc>) {
        if self.ttl.is_zero() {
            return;
        }
        let left = (expires_at - Utc::now()).to_std().unwrap_or_default();
        self.cache
            .insert(hash, (user, Instant::now() + self.ttl.min(left)));
    }

    /// Forgets one token (logout).
    pub fn evict_token(&self, token_id: Uuid) {
        self.cache.retain(|_, (user, _)| user.token_id != token_id);
    }

    /// Forgets every token of a user (account deleted).
    pub fn evict_user(&self, user_id: Uuid) {
        self.cache.retain(|_, (user, _)| user.id != user_id);
    }
}

/// An authenticated caller with the admin role (403 otherwise).
#[derive(Debug, Clone)]
pub struct AdminUser(pub AuthUser);

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        if user.role != Role::Admin {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "this route needs the admin role",
            ));
        }
        Ok(AdminUser(user))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, ha) = new_token().unwrap();
        let (b, hb) = new_token().unwrap();
        assert_ne!(a, b);
        assert_ne!(ha, hb);
        assert_eq!(token_hash(&a), ha);
        assert_eq!(a.len(), 3 + 64);
    }

    #[tokio::test]
    async fn password_round_trip() {
        let h = hash_password("correct horse".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(
            verify_password("correct horse".into(), h.clone())
                .await
                .unwrap()
        );
        assert!(!verify_password("wrong".into(), h).await.unwrap());
    }

    /// Hashes stored before the buffer reuse (the crate's own path) still
    /// verify, and the crate verifies ours: the PHC strings are the same kind.
    #[test]
    fn compatible_with_the_crates_own_hashes() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
        let theirs = argon2::Argon2::default()
            .hash_password(b"correct horse")
            .unwrap()
            .to_string();
        assert!(argon::verify(b"correct horse", &theirs).unwrap());
        assert!(!argon::verify(b"wrong horse", &theirs).unwrap());
        let ours = argon::hash(b"correct horse").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            argon2::Argon2::default()
                .verify_password(b"correct horse", &parsed)
                .is_ok()
        );
        assert!(
            ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{ours}"
        );
        // The dummy hash used for unknown emails parses too.
        assert!(!argon::verify(b"x", crate::routes::auth::DUMMY_HASH).unwrap());
    }
}
