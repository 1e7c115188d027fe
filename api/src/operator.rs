//! The operator's commands (`hoofbeat-api admin grant|revoke EMAIL`): how the
//! first admin comes to be — there is never a default admin or password.
//! A role change takes effect at once on every API replica (a trigger
//! NOTIFYs their token caches) and is recorded in the audit log.

use sqlx::PgPool;

/// What the operator asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleChange {
    /// Make the account an admin.
    Grant,
    /// Make the admin a rider again.
    Revoke,
}

/// Why a role change was refused.
#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    /// No account has that email.
    #[error("no account has the email {0:?}; the person must register first")]
    NoSuchAccount(String),
    /// The database refused or is unreachable.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// Changes the role of the account with `email` (case-insensitive);
/// returns whether anything changed (granting an admin is a no-op).
pub async fn change_role(
    db: &PgPool,
    email: &str,
    change: RoleChange,
) -> Result<bool, OperatorError> {
    let (role, action) = match change {
        RoleChange::Grant => ("admin", "grant_admin"),
        RoleChange::Revoke => ("rider", "revoke_admin"),
    };
    let mut tx = db.begin().await?;
    let found: Option<(uuid::Uuid, String)> =
        sqlx::query_as("SELECT id, role FROM users WHERE lower(email) = lower($1) FOR UPDATE")
            .bind(email.trim())
            .fetch_optional(&mut *tx)
            .await?;
    let (id, current) =
        found.ok_or_else(|| OperatorError::NoSuchAccount(email.trim().to_owned()))?;
    if current == role {
        return Ok(false);
    }
    sqlx::query("UPDATE users SET role = $2 WHERE id = $1")
        .bind(id)
        .bind(role)
        .execute(&mut *tx)
        .await?;
    let target = serde_json::json!({ "user_id": id, "email": email.trim() });
    crate::routes::admin::audit::record(&mut tx, None, action, Some(target), 1, None).await?;
    tx.commit().await?;
    Ok(true)
}
