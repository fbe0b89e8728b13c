//! Who acts: tenants, their API tokens and their agents (and runners).
use super::cached_rows::{Agent, TokenRecord};
use super::database::Store;
use super::error::StoreError;
use super::values::{new_id, now};
use crate::capability::Review;
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

/// A tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    /// Id.
    pub id: String,
    /// Unique name.
    pub name: String,
    /// Whether the tenant's admins may approve `allowPrivateNetwork`
    /// (the operator decides).
    pub allow_private_network: bool,
    /// Creation time.
    pub created_at: String,
}

fn tenant(row: &AnyRow) -> Result<Tenant, sqlx::Error> {
    Ok(Tenant {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        allow_private_network: row.try_get::<i64, _>("allow_private_network")? != 0,
        created_at: row.try_get("created_at")?,
    })
}

const TENANT_COLUMNS: &str = "id, name, allow_private_network, created_at";

/// A grant as stored says `"allowPrivateNetwork":true` exactly (serde
/// writes it without spaces): what the operator's withdrawal looks for.
const PRIVATE_GRANT: &str = "%\"allowPrivateNetwork\":true%";

fn token(row: &AnyRow) -> Result<TokenRecord, sqlx::Error> {
    let scopes: String = row.try_get("scopes")?;
    Ok(TokenRecord {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        name: row.try_get("name")?,
        scopes: serde_json::from_str(&scopes).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        operator: row.try_get::<i64, _>("operator")? != 0,
        agent_id: row.try_get("agent_id")?,
        created_at: row.try_get("created_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

fn agent(row: &AnyRow) -> Result<Agent, sqlx::Error> {
    Ok(Agent {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        name: row.try_get("name")?,
        kind: row.try_get("kind")?,
        created_at: row.try_get("created_at")?,
    })
}

const TOKEN_COLUMNS: &str =
    "id, tenant_id, name, scopes, operator, agent_id, created_at, revoked_at";

impl Store {
    /// Creates a tenant.
    pub async fn create_tenant(&self, name: &str) -> Result<Tenant, StoreError> {
        let t = Tenant {
            id: new_id(),
            name: name.to_owned(),
            allow_private_network: false,
            created_at: now(),
        };
        sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(&t.id)
            .bind(&t.name)
            .bind(&t.created_at)
            .execute(self.pool())
            .await?;
        self.changed().await;
        Ok(t)
    }

    /// The tenant called `name`.
    pub async fn tenant_by_name(&self, name: &str) -> Result<Option<Tenant>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {TENANT_COLUMNS} FROM tenants WHERE name = $1"
        ))
        .bind(name)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.as_ref().map(tenant).transpose()?)
    }

    /// The tenant with id `id`.
    pub async fn tenant(&self, id: &str) -> Result<Option<Tenant>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {TENANT_COLUMNS} FROM tenants WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.as_ref().map(tenant).transpose()?)
    }

    /// Every tenant, by name.
    pub async fn list_tenants(&self) -> Result<Vec<Tenant>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {TENANT_COLUMNS} FROM tenants ORDER BY name"
        ))
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(tenant).collect::<Result<_, _>>()?)
    }

    /// Lets a tenant's admins approve private networks, or withdraws it:
    /// then every grant that has them waits for an admin again (skills
    /// with `review`, abilities and MCP servers as pending), in the same
    /// transaction. Returns the number of grants sent back.
    pub async fn set_tenant_private_network(
        &self,
        id: &str,
        allow: bool,
        review: &Review,
    ) -> Result<u64, StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("UPDATE tenants SET allow_private_network = $1 WHERE id = $2")
            .bind(allow as i64)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let mut held = 0;
        if !allow {
            let review = serde_json::to_string(review).expect("JSON");
            held += sqlx::query(
                "UPDATE skills SET status = 'pending', review = $1, updated_at = $2 \
                 WHERE tenant_id = $3 AND status = 'active' AND grant_json LIKE $4",
            )
            .bind(&review)
            .bind(now())
            .bind(id)
            .bind(PRIVATE_GRANT)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            held += sqlx::query(
                "UPDATE abilities SET status = 'pending', updated_at = $1 \
                 WHERE tenant_id = $2 AND status = 'active' AND grant_json LIKE $3",
            )
            .bind(now())
            .bind(id)
            .bind(PRIVATE_GRANT)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            held += sqlx::query(
                "UPDATE mcp_servers SET approval = 'pending', updated_at = $1 \
                 WHERE tenant_id = $2 AND approval = 'approved' AND allow_private = 1",
            )
            .bind(now())
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        tx.commit().await?;
        self.changed().await;
        Ok(held)
    }

    /// Stores a token by the hash of its secret.
    pub async fn create_token(
        &self,
        tenant_id: &str,
        name: &str,
        scopes: &[String],
        token_hash: &str,
        operator: bool,
    ) -> Result<TokenRecord, StoreError> {
        self.create_token_with_id(&new_id(), tenant_id, name, scopes, token_hash, operator)
            .await
    }

    /// The same with a chosen id: replicas bootstrapping at once agree on
    /// the id, so exactly one insert wins ([`StoreError::Conflict`] for the
    /// others).
    pub async fn create_token_with_id(
        &self,
        id: &str,
        tenant_id: &str,
        name: &str,
        scopes: &[String],
        token_hash: &str,
        operator: bool,
    ) -> Result<TokenRecord, StoreError> {
        let record = TokenRecord {
            id: id.to_owned(),
            tenant_id: tenant_id.to_owned(),
            name: name.to_owned(),
            scopes: scopes.to_vec(),
            operator,
            agent_id: None,
            created_at: now(),
            revoked_at: None,
        };
        self.insert_token(record, token_hash).await
    }

    /// A tenant admin's token, bound to agent (or runner) `agent_id` of
    /// the tenant when one is given (the caller checked it is one).
    pub async fn create_agent_token(
        &self,
        tenant_id: &str,
        name: &str,
        scopes: &[String],
        token_hash: &str,
        agent_id: Option<&str>,
    ) -> Result<TokenRecord, StoreError> {
        let record = TokenRecord {
            id: new_id(),
            tenant_id: tenant_id.to_owned(),
            name: name.to_owned(),
            scopes: scopes.to_vec(),
            operator: false,
            agent_id: agent_id.map(str::to_owned),
            created_at: now(),
            revoked_at: None,
        };
        self.insert_token(record, token_hash).await
    }

    async fn insert_token(
        &self,
        record: TokenRecord,
        token_hash: &str,
    ) -> Result<TokenRecord, StoreError> {
        sqlx::query(
            "INSERT INTO api_tokens (id, tenant_id, name, scopes, token_hash, operator, agent_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&record.id)
        .bind(&record.tenant_id)
        .bind(&record.name)
        .bind(serde_json::to_string(&record.scopes).expect("JSON"))
        .bind(token_hash)
        .bind(record.operator as i64)
        .bind(&record.agent_id)
        .bind(&record.created_at)
        .execute(self.pool())
        .await?;
        self.changed().await;
        Ok(record)
    }

    /// The live token whose secret hashes to `token_hash`.
    pub async fn token_by_hash(&self, token_hash: &str) -> Result<Option<TokenRecord>, StoreError> {
        // Not through `cached`: every request looks its token up, and a hit
        // here borrows the key instead of allocating one.
        let read_at = self.cache.generation.current();
        if let Some(hit) = self.cache.tokens.get(read_at, token_hash) {
            return Ok(Some(hit));
        }
        let row = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL"
        ))
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?;
        let found = row.as_ref().map(token).transpose()?;
        let cache = &self.cache;
        cache.tokens.remember(
            &cache.generation,
            read_at,
            token_hash.to_owned(),
            found.as_ref(),
        );
        Ok(found)
    }

    /// A tenant's tokens, newest first (revoked ones included).
    pub async fn list_tokens(&self, tenant_id: &str) -> Result<Vec<TokenRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE tenant_id = $1 ORDER BY created_at DESC, id"
        ))
        .bind(tenant_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(token).collect::<Result<_, _>>()?)
    }

    /// Revokes a tenant's token; false when no such live token exists.
    pub async fn revoke_token(&self, tenant_id: &str, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND tenant_id = $3 AND revoked_at IS NULL",
        )
        .bind(now())
        .bind(id)
        .bind(tenant_id)
        .execute(self.pool())
        .await?;
        self.changed().await;
        Ok(done.rows_affected() == 1)
    }

    /// Creates an agent, or a runner (`kind`).
    pub async fn create_agent(
        &self,
        tenant_id: &str,
        name: &str,
        kind: &str,
    ) -> Result<Agent, StoreError> {
        let a = Agent {
            id: new_id(),
            tenant_id: tenant_id.to_owned(),
            name: name.to_owned(),
            kind: kind.to_owned(),
            created_at: now(),
        };
        sqlx::query(
            "INSERT INTO agents (id, tenant_id, name, kind, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&a.id)
        .bind(&a.tenant_id)
        .bind(&a.name)
        .bind(&a.kind)
        .bind(&a.created_at)
            .execute(self.pool())
            .await?;
        self.changed().await;
        Ok(a)
    }

    /// A tenant's agents (or runners: `kind`), by name.
    pub async fn list_agents(&self, tenant_id: &str, kind: &str) -> Result<Vec<Agent>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, tenant_id, name, kind, created_at FROM agents WHERE tenant_id = $1 AND kind = $2 ORDER BY name",
        )
        .bind(tenant_id)
        .bind(kind)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(agent).collect::<Result<_, _>>()?)
    }

    /// A tenant's agent by id or by name (seed 003 uses names, 001/004 ids).
    pub async fn agent(
        &self,
        tenant_id: &str,
        id_or_name: &str,
    ) -> Result<Option<Agent>, StoreError> {
        let key = (tenant_id.to_owned(), id_or_name.to_owned());
        self.cached(|c| &c.agents, key, async {
            let row = sqlx::query(
                "SELECT id, tenant_id, name, kind, created_at FROM agents WHERE tenant_id = $1 AND (id = $2 OR name = $2)",
            )
            .bind(tenant_id)
            .bind(id_or_name)
            .fetch_optional(self.pool())
            .await?;
            Ok(row.as_ref().map(agent).transpose()?)
        })
        .await
    }

    /// Deletes a tenant's agent; false when absent. The tokens bound to it
    /// go with it (the schema cascades), and `changed` makes every node's
    /// token cache forget them.
    pub async fn delete_agent(&self, tenant_id: &str, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM agents WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .execute(self.pool())
            .await?;
        self.changed().await;
        Ok(done.rows_affected() == 1)
    }
}
