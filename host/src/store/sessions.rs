//! Session state in the database, for the service.
use super::database::Store;
use super::values::now;
use crate::runtime::{MAX_SESSION_KEYS, SessionError, SessionScope, SessionStore};
use async_trait::async_trait;
use sqlx::Row;

fn storage(error: sqlx::Error) -> SessionError {
    tracing::error!(%error, "session storage failed");
    SessionError::Storage
}

#[async_trait]
impl SessionStore for Store {
    async fn get(&self, scope: &SessionScope, key: &str) -> Result<Option<Vec<u8>>, SessionError> {
        let row = sqlx::query(
            "SELECT value FROM session_state WHERE namespace = $1 AND session_id = $2 AND key = $3",
        )
        .bind(&scope.namespace)
        .bind(&scope.id)
        .bind(key)
        .fetch_optional(self.pool())
        .await
        .map_err(storage)?;
        row.map(|r| r.try_get("value")).transpose().map_err(storage)
    }

    async fn set(
        &self,
        scope: &SessionScope,
        key: &str,
        value: Vec<u8>,
    ) -> Result<(), SessionError> {
        let mut tx = self.pool().begin().await.map_err(storage)?;
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, SUM(CASE WHEN key = $3 THEN 1 ELSE 0 END) AS present \
             FROM session_state WHERE namespace = $1 AND session_id = $2",
        )
        .bind(&scope.namespace)
        .bind(&scope.id)
        .bind(key)
        .fetch_one(&mut *tx)
        .await
        .map_err(storage)?;
        let count: i64 = row.try_get("n").map_err(storage)?;
        let present: Option<i64> = row.try_get("present").map_err(storage)?;
        if count >= MAX_SESSION_KEYS as i64 && present.unwrap_or(0) == 0 {
            return Err(SessionError::TooManyKeys);
        }
        sqlx::query(
            "INSERT INTO session_state (namespace, session_id, key, value, updated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (namespace, session_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(&scope.namespace)
        .bind(&scope.id)
        .bind(key)
        .bind(value)
        .bind(now())
        .execute(&mut *tx)
        .await
        .map_err(storage)?;
        tx.commit().await.map_err(storage)
    }

    async fn delete(&self, scope: &SessionScope, key: &str) -> Result<(), SessionError> {
        sqlx::query(
            "DELETE FROM session_state WHERE namespace = $1 AND session_id = $2 AND key = $3",
        )
        .bind(&scope.namespace)
        .bind(&scope.id)
        .bind(key)
        .execute(self.pool())
        .await
        .map_err(storage)?;
        Ok(())
    }
}
