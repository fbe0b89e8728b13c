//! Which skillsets are attached to which agent.
use super::database::Store;
use super::error::StoreError;
use super::values::now;
use sqlx::Row;

impl Store {
    /// Attaches a skillset to an agent; false when it already was.
    pub async fn attach_skillset(
        &self,
        tenant_id: &str,
        agent_id: &str,
        skillset_id: &str,
    ) -> Result<bool, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO agent_skillsets (tenant_id, agent_id, skillset_id, created_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(tenant_id)
        .bind(agent_id)
        .bind(skillset_id)
        .bind(now())
        .execute(self.pool())
        .await;
        match inserted.map_err(StoreError::from) {
            Ok(_) => {
                self.changed().await;
                Ok(true)
            }
            Err(StoreError::Conflict) => Ok(false),
            Err(other) => Err(other),
        }
    }

    /// Detaches a skillset; false when it was not attached.
    pub async fn detach_skillset(
        &self,
        tenant_id: &str,
        agent_id: &str,
        skillset_id: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "DELETE FROM agent_skillsets WHERE tenant_id = $1 AND agent_id = $2 AND skillset_id = $3",
        )
        .bind(tenant_id)
        .bind(agent_id)
        .bind(skillset_id)
        .execute(self.pool())
        .await?;
        self.changed().await;
        Ok(done.rows_affected() > 0)
    }

    /// The ids of the skillsets attached to an agent, in attach order.
    pub async fn agent_skillset_ids(
        &self,
        tenant_id: &str,
        agent_id: &str,
    ) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT skillset_id FROM agent_skillsets WHERE tenant_id = $1 AND agent_id = $2 \
             ORDER BY created_at, skillset_id",
        )
        .bind(tenant_id)
        .bind(agent_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| r.try_get("skillset_id"))
            .collect::<Result<_, _>>()?)
    }
}
