//! Start-up warm-up of the API's database connections (issue 11's cold
//! start): on each connection the pool opens at start-up, the statements of
//! the hot paths run once, harmlessly, before the first request needs them.
//!
//! A fresh Postgres backend's first run of a statement costs several
//! milliseconds more than the next (parse, plan, type look-ups, the
//! tables' descriptions, the foreign-key checks' and triggers' own plans),
//! and every connection is such a backend: without this, the first uploads
//! after a restart paid it, one per pooled connection.

use std::future::Future;
use std::pin::Pin;

/// Runs the relay's claim, the bearer-token look-up and the upload statement
/// on `conn`; each either matches no row or runs in a transaction that is
/// rolled back, so nothing is changed. A [`shared::db::Prepare`].
pub fn prepare(
    conn: &mut sqlx::PgConnection,
) -> Pin<Box<dyn Future<Output = Result<(), sqlx::Error>> + Send + '_>> {
    Box::pin(async move {
        crate::outbox::prepare(conn).await?;
        crate::auth::lookup_token(conn, &[0; 32]).await?;
        crate::routes::sessions::warm_up(conn).await
    })
}
