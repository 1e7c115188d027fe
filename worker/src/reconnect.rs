//! The reconnect loop both broker consumers share (the work queue in
//! [`crate::consumer`], the dead letters in [`crate::dead_letters`]): run one
//! connection's life, and when it ends with an error wait (200 ms doubling
//! to 30 s) and start again, until `stop`.

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// Runs `session` until it returns `Ok` (stopped on request) or `stop` is
/// cancelled; `on_lost` runs each time a session ends with an error.
pub async fn with_backoff<F, Fut>(
    stop: &CancellationToken,
    consumer: &'static str,
    mut session: F,
    mut on_lost: impl FnMut(),
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let mut wait = Duration::from_millis(200);
    while !stop.is_cancelled() {
        match session().await {
            Ok(()) => break,
            Err(e) => {
                on_lost();
                tracing::warn!(error = %e, consumer, retry_in_ms = wait.as_millis() as u64, "broker connection lost or unavailable; reconnecting");
                tokio::select! {
                    () = stop.cancelled() => break,
                    () = tokio::time::sleep(wait) => {}
                }
                wait = (wait * 2).min(Duration::from_secs(30));
            }
        }
    }
}
