//! Keeps the token cache honest across replicas: listens to the
//! `hoofbeat_auth` notifications that Postgres triggers send when a role
//! changes, a token is revoked or an account is deleted (by any replica or
//! by an operator), and forgets that user's cached tokens at once. While the
//! listener is down the cache is bypassed, so nothing stale is ever trusted.

use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::state::AppState;

/// Runs until `stop` is cancelled.
pub async fn run(state: AppState, stop: CancellationToken) {
    while !stop.is_cancelled() {
        if let Some(mut listener) = connect(&state).await {
            // Anything cached before now may have missed a notification.
            state.tokens.set_listening(false);
            state.tokens.set_listening(true);
            loop {
                tokio::select! {
                    () = stop.cancelled() => break,
                    // `try_recv` (unlike `recv`) reports a lost connection
                    // instead of reconnecting silently past what was sent.
                    n = listener.try_recv() => match n {
                        Ok(Some(n)) => {
                            if let Ok(user) = n.payload().parse::<Uuid>() {
                                state.tokens.evict_user(user);
                            }
                        }
                        Ok(None) => {
                            tracing::warn!("auth notifications interrupted; token cache bypassed until they resume");
                            break;
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "auth notifications lost; token cache bypassed until they resume");
                            break;
                        }
                    },
                }
            }
        }
        state.tokens.set_listening(false);
        tokio::select! {
            () = stop.cancelled() => {}
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

async fn connect(state: &AppState) -> Option<PgListener> {
    let mut listener = PgListener::connect_with(&state.db).await.ok()?;
    listener.listen("hoofbeat_auth").await.ok()?;
    Some(listener)
}
