//! Integrations: a skillset behind a static access token (seed 000's skill
//! server). The token is found by its SHA-256 and kept sealed so an admin
//! can read it again.
use super::cached_rows::IntegrationRow;
use super::database::Store;
use super::error::StoreError;
use super::page::Page;
use super::values::{decode, new_id, now};
use crate::vault::{Sealed, Vault};
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

const COLUMNS: &str = "id, tenant_id, kind, skillset_id, name, description, blueprint_id, meta, token_hash, \
     key_id, token_sealed, created_at, updated_at";

fn integration(row: &AnyRow) -> Result<IntegrationRow, sqlx::Error> {
    Ok(IntegrationRow {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        kind: row.try_get("kind")?,
        skillset_id: row.try_get("skillset_id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        blueprint_id: row.try_get("blueprint_id")?,
        meta: decode(&row.try_get::<String, _>("meta")?)?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        token_hash: row.try_get("token_hash")?,
        token: Sealed {
            key_id: row.try_get("key_id")?,
            bytes: row.try_get("token_sealed")?,
        },
    })
}

/// What a new integration is made of.
pub struct NewIntegration<'a> {
    /// `skillserver`.
    pub kind: &'a str,
    /// The skillset.
    pub skillset_id: &'a str,
    /// Name.
    pub name: Option<&'a str>,
    /// Description.
    pub description: Option<&'a str>,
    /// Blueprint grouping.
    pub blueprint_id: Option<&'a str>,
    /// Free metadata.
    pub meta: &'a Value,
    /// The access token (sealed here) and its hash.
    pub token: &'a str,
    /// SHA-256 of the token.
    pub token_hash: &'a str,
}

impl Store {
    /// Stores a new integration.
    pub async fn create_integration(
        &self,
        vault: &Vault,
        tenant_id: &str,
        new: &NewIntegration<'_>,
    ) -> Result<IntegrationRow, StoreError> {
        let id = new_id();
        let sealed = vault.seal(tenant_id, &id, new.token);
        let time = now();
        let row = sqlx::query(&format!(
            "INSERT INTO integrations ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) \
             RETURNING {COLUMNS}"
        ))
        .bind(&id)
        .bind(tenant_id)
        .bind(new.kind)
        .bind(new.skillset_id)
        .bind(new.name)
        .bind(new.description)
        .bind(new.blueprint_id)
        .bind(new.meta.to_string())
        .bind(new.token_hash)
        .bind(&sealed.key_id)
        .bind(&sealed.bytes)
        .bind(&time)
        .fetch_one(self.pool())
        .await?;
        self.changed().await;
        Ok(integration(&row)?)
    }

    /// A tenant's integration of `kind`.
    pub async fn integration(
        &self,
        tenant_id: &str,
        kind: &str,
        id: &str,
    ) -> Result<Option<IntegrationRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM integrations WHERE tenant_id = $1 AND kind = $2 AND id = $3"
        ))
        .bind(tenant_id)
        .bind(kind)
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.as_ref().map(integration).transpose()?)
    }

    /// An integration of `kind` by id alone, for its runtime endpoint (the
    /// caller checks the token).
    pub async fn integration_by_id(
        &self,
        kind: &str,
        id: &str,
    ) -> Result<Option<IntegrationRow>, StoreError> {
        let key = (kind.to_owned(), id.to_owned());
        self.cached(|c| &c.integrations, key, async {
            let row = sqlx::query(&format!(
                "SELECT {COLUMNS} FROM integrations WHERE kind = $1 AND id = $2"
            ))
            .bind(kind)
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
            Ok(row.as_ref().map(integration).transpose()?)
        })
        .await
    }

    /// One page of a tenant's integrations of `kind`, optionally of one
    /// blueprint.
    pub async fn list_integrations(
        &self,
        tenant_id: &str,
        kind: &str,
        blueprint_id: Option<&str>,
        page: &Page,
    ) -> Result<Vec<IntegrationRow>, StoreError> {
        let (t, i, n) = page.binds();
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM integrations WHERE tenant_id = $1 AND kind = $2 \
             AND ($3 IS NULL OR blueprint_id = $3) {}",
            page.clause(4)
        ))
        .bind(tenant_id)
        .bind(kind)
        .bind(blueprint_id)
        .bind(t)
        .bind(i)
        .bind(n)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(integration).collect::<Result<_, _>>()?)
    }

    /// Saves an integration's fields (never its token).
    pub async fn update_integration(&self, row: &IntegrationRow) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE integrations SET skillset_id = $1, name = $2, description = $3, blueprint_id = $4, meta = $5, \
             updated_at = $6 WHERE tenant_id = $7 AND id = $8",
        )
        .bind(&row.skillset_id)
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

    /// Deletes an integration; its token stops working at once.
    pub async fn delete_integration(
        &self,
        tenant_id: &str,
        kind: &str,
        id: &str,
    ) -> Result<bool, StoreError> {
        let done =
            sqlx::query("DELETE FROM integrations WHERE tenant_id = $1 AND kind = $2 AND id = $3")
                .bind(tenant_id)
                .bind(kind)
                .bind(id)
                .execute(self.pool())
                .await?;
        self.changed().await;
        Ok(done.rows_affected() > 0)
    }
}
