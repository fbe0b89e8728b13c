//! Skillsets and their abilities (seed 002).
use super::cached_rows::{AbilityRow, SkillsetRow};
use super::database::Store;
use super::error::StoreError;
use super::page::Page;
use super::statuses::AbilityStatus;
use super::values::{decode, new_id, now};
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

const SKILLSET_COLUMNS: &str =
    "id, tenant_id, name, description, blueprint_id, meta, created_at, updated_at";
const ABILITY_COLUMNS: &str = "id, tenant_id, skillset_id, name, tool_name, description, instruction, skill_id, \
     ability, secret_id, file_id, bot_id, blueprint_id, meta, declaration, status, grant_json, created_at, updated_at";

fn skillset(row: &AnyRow) -> Result<SkillsetRow, sqlx::Error> {
    Ok(SkillsetRow {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        blueprint_id: row.try_get("blueprint_id")?,
        meta: decode(&row.try_get::<String, _>("meta")?)?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn ability(row: &AnyRow) -> Result<AbilityRow, sqlx::Error> {
    let grant: Option<String> = row.try_get("grant_json")?;
    Ok(AbilityRow {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        skillset_id: row.try_get("skillset_id")?,
        name: row.try_get("name")?,
        tool_name: row.try_get("tool_name")?,
        description: row.try_get("description")?,
        instruction: row.try_get("instruction")?,
        skill_id: row.try_get("skill_id")?,
        ability: row.try_get("ability")?,
        secret_id: row.try_get("secret_id")?,
        file_id: row.try_get("file_id")?,
        bot_id: row.try_get("bot_id")?,
        blueprint_id: row.try_get("blueprint_id")?,
        meta: decode(&row.try_get::<String, _>("meta")?)?,
        declaration: decode(&row.try_get::<String, _>("declaration")?)?,
        status: super::statuses::decode(row, "status", AbilityStatus::parse)?,
        grant: grant.as_deref().map(decode).transpose()?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

impl Store {
    /// Creates a skillset.
    pub async fn create_skillset(
        &self,
        tenant_id: &str,
        name: &str,
        description: &str,
        blueprint_id: Option<&str>,
        meta: &Value,
    ) -> Result<SkillsetRow, StoreError> {
        let time = now();
        let row = sqlx::query(&format!(
            "INSERT INTO skillsets ({SKILLSET_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING {SKILLSET_COLUMNS}"
        ))
        .bind(new_id())
        .bind(tenant_id)
        .bind(name)
        .bind(description)
        .bind(blueprint_id)
        .bind(meta.to_string())
        .bind(&time)
        .fetch_one(self.pool())
        .await?;
        self.changed().await;
        Ok(skillset(&row)?)
    }

    /// A tenant's skillset.
    pub async fn skillset(
        &self,
        tenant_id: &str,
        id: &str,
    ) -> Result<Option<SkillsetRow>, StoreError> {
        let key = (tenant_id.to_owned(), id.to_owned());
        self.cached(|c| &c.skillsets, key, async {
            let row = sqlx::query(&format!(
                "SELECT {SKILLSET_COLUMNS} FROM skillsets WHERE tenant_id = $1 AND id = $2"
            ))
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
            Ok(row.as_ref().map(skillset).transpose()?)
        })
        .await
    }

    /// One page of a tenant's skillsets.
    pub async fn list_skillsets(
        &self,
        tenant_id: &str,
        blueprint_id: Option<&str>,
        page: &Page,
    ) -> Result<Vec<SkillsetRow>, StoreError> {
        let (t, i, n) = page.binds();
        let rows = sqlx::query(&format!(
            "SELECT {SKILLSET_COLUMNS} FROM skillsets WHERE tenant_id = $1 AND ($2 IS NULL OR blueprint_id = $2) {}",
            page.clause(3)
        ))
        .bind(tenant_id)
        .bind(blueprint_id)
        .bind(t)
        .bind(i)
        .bind(n)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(skillset).collect::<Result<_, _>>()?)
    }

    /// Saves a skillset's fields.
    pub async fn update_skillset(&self, row: &SkillsetRow) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE skillsets SET name = $1, description = $2, blueprint_id = $3, meta = $4, updated_at = $5 \
             WHERE tenant_id = $6 AND id = $7",
        )
        .bind(&row.name)
        .bind(&row.description)
        .bind(&row.blueprint_id)
        .bind(row.meta.to_string())
        .bind(now())
        .bind(&row.tenant_id)
        .bind(&row.id)
        .execute(self.pool())
        .await?;
        self.changed().await;
        Ok(())
    }

    /// Deletes a skillset with its abilities and integrations.
    pub async fn delete_skillset(&self, tenant_id: &str, id: &str) -> Result<bool, StoreError> {
        let mut tx = self.pool().begin().await?;
        for table in ["integrations", "abilities", "agent_skillsets"] {
            sqlx::query(&format!(
                "DELETE FROM {table} WHERE tenant_id = $1 AND skillset_id = $2"
            ))
            .bind(tenant_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        let done = sqlx::query("DELETE FROM skillsets WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.changed().await;
        Ok(done.rows_affected() > 0)
    }

    /// Stores a new ability (its id, times and fields as given).
    pub async fn create_ability(&self, row: &AbilityRow) -> Result<(), StoreError> {
        self.write_ability(row, true).await
    }

    /// Saves an ability's fields.
    pub async fn update_ability(&self, row: &AbilityRow) -> Result<(), StoreError> {
        self.write_ability(row, false).await
    }

    async fn write_ability(&self, row: &AbilityRow, insert: bool) -> Result<(), StoreError> {
        let sql = if insert {
            format!(
                "INSERT INTO abilities ({ABILITY_COLUMNS}) VALUES \
                 ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)"
            )
        } else {
            "UPDATE abilities SET tenant_id = $2, skillset_id = $3, name = $4, tool_name = $5, description = $6, \
             instruction = $7, skill_id = $8, ability = $9, secret_id = $10, file_id = $11, bot_id = $12, \
             blueprint_id = $13, meta = $14, declaration = $15, status = $16, grant_json = $17, created_at = $18, \
             updated_at = $19 WHERE id = $1"
                .to_owned()
        };
        sqlx::query(&sql)
            .bind(&row.id)
            .bind(&row.tenant_id)
            .bind(&row.skillset_id)
            .bind(&row.name)
            .bind(&row.tool_name)
            .bind(&row.description)
            .bind(&row.instruction)
            .bind(&row.skill_id)
            .bind(&row.ability)
            .bind(&row.secret_id)
            .bind(&row.file_id)
            .bind(&row.bot_id)
            .bind(&row.blueprint_id)
            .bind(row.meta.to_string())
            .bind(serde_json::to_string(&row.declaration).expect("JSON"))
            .bind(row.status.as_str())
            .bind(
                row.grant
                    .as_ref()
                    .map(|g| serde_json::to_string(g).expect("JSON")),
            )
            .bind(&row.created_at)
            .bind(&row.updated_at)
            .execute(self.pool())
            .await?;
        self.changed().await;
        Ok(())
    }

    /// An ability of a tenant's skillset.
    pub async fn ability(
        &self,
        tenant_id: &str,
        skillset_id: &str,
        id: &str,
    ) -> Result<Option<AbilityRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {ABILITY_COLUMNS} FROM abilities WHERE tenant_id = $1 AND skillset_id = $2 AND id = $3"
        ))
        .bind(tenant_id)
        .bind(skillset_id)
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.as_ref().map(ability).transpose()?)
    }

    /// One page of a skillset's abilities.
    pub async fn list_abilities(
        &self,
        tenant_id: &str,
        skillset_id: &str,
        blueprint_id: Option<&str>,
        page: &Page,
    ) -> Result<Vec<AbilityRow>, StoreError> {
        let (t, i, n) = page.binds();
        let rows = sqlx::query(&format!(
            "SELECT {ABILITY_COLUMNS} FROM abilities WHERE tenant_id = $1 AND skillset_id = $2 \
             AND ($3 IS NULL OR blueprint_id = $3) {}",
            page.clause(4)
        ))
        .bind(tenant_id)
        .bind(skillset_id)
        .bind(blueprint_id)
        .bind(t)
        .bind(i)
        .bind(n)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(ability).collect::<Result<_, _>>()?)
    }

    /// A tenant's abilities awaiting an admin, in every skillset; oldest
    /// first.
    pub async fn abilities_awaiting_approval(
        &self,
        tenant_id: &str,
    ) -> Result<Vec<AbilityRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ABILITY_COLUMNS} FROM abilities WHERE tenant_id = $1 AND status = 'pending' \
             ORDER BY created_at, id"
        ))
        .bind(tenant_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(ability).collect::<Result<_, _>>()?)
    }

    /// Every ability of a skillset, oldest first (what a manual lists).
    pub async fn skillset_abilities(
        &self,
        tenant_id: &str,
        skillset_id: &str,
    ) -> Result<Vec<AbilityRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ABILITY_COLUMNS} FROM abilities WHERE tenant_id = $1 AND skillset_id = $2 \
             ORDER BY created_at, id"
        ))
        .bind(tenant_id)
        .bind(skillset_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(ability).collect::<Result<_, _>>()?)
    }

    /// A skillset's ability by the name agents call it by (or its name).
    pub async fn ability_by_name(
        &self,
        tenant_id: &str,
        skillset_id: &str,
        name: &str,
    ) -> Result<Option<AbilityRow>, StoreError> {
        let key = (
            tenant_id.to_owned(),
            skillset_id.to_owned(),
            name.to_owned(),
        );
        self.cached(|c| &c.abilities, key, async {
            let row = sqlx::query(&format!(
                "SELECT {ABILITY_COLUMNS} FROM abilities WHERE tenant_id = $1 AND skillset_id = $2 \
                 AND (tool_name = $3 OR name = $3) ORDER BY CASE WHEN tool_name = $3 THEN 0 ELSE 1 END LIMIT 1"
            ))
            .bind(tenant_id)
            .bind(skillset_id)
            .bind(name)
            .fetch_optional(self.pool())
            .await?;
            Ok(row.as_ref().map(ability).transpose()?)
        })
        .await
    }

    /// Deletes an ability.
    pub async fn delete_ability(
        &self,
        tenant_id: &str,
        skillset_id: &str,
        id: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "DELETE FROM abilities WHERE tenant_id = $1 AND skillset_id = $2 AND id = $3",
        )
        .bind(tenant_id)
        .bind(skillset_id)
        .bind(id)
        .execute(self.pool())
        .await?;
        self.changed().await;
        Ok(done.rows_affected() > 0)
    }
}
