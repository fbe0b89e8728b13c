//! How a storage operation fails.

/// A storage failure. Constraint violations are told apart so the API can
/// answer 409 instead of 500.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint failed (duplicate name, token, assignment).
    #[error("already exists")]
    Conflict,
    /// Anything else; logged by the caller, never shown to clients.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// The audit writer could not commit a record.
    #[error("audit writer: {0}")]
    Audit(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict,
            _ => StoreError::Database(error),
        }
    }
}
