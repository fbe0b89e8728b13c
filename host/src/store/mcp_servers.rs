//! An agent's remote MCP servers (seed 003): their endpoints, approval and
//! the tools they listed last.
use super::database::Store;
use super::error::StoreError;
use super::values::{decode, now};
use serde::Serialize;
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::BTreeMap;

/// A remote MCP server of an agent.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct McpServerRow {
    /// Id.
    pub id: String,
    /// Owning tenant.
    #[serde(skip)]
    pub tenant_id: String,
    /// The agent.
    pub agent_id: String,
    /// Name, unique per agent; its tools' prefix.
    pub name: String,
    /// The streamable HTTP endpoint.
    pub url: String,
    /// Plain headers sent with every request.
    pub headers: BTreeMap<String, String>,
    /// The tenant secret the host injects.
    pub secret_id: Option<String>,
    /// The header it goes in (`Authorization` when unset).
    pub secret_header: Option<String>,
    /// Whether non-public addresses are reachable (an admin's decision).
    pub allow_private_network: bool,
    /// `pending` until an admin approves the origin, then `approved`.
    pub approval: String,
    /// The token that approved it.
    #[serde(skip)]
    pub approved_by: Option<String>,
    /// `pending`, `connected` or `error`.
    pub status: String,
    /// Why the last refresh failed.
    pub error: Option<String>,
    /// The tools listed at the last refresh (MCP `Tool` objects).
    #[serde(skip)]
    pub tools: Vec<Value>,
    /// When the tools were last listed.
    pub refreshed_at: Option<String>,
    /// Creation time.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
}

const SERVER_COLUMNS: &str = "id, tenant_id, agent_id, name, url, headers, secret_id, secret_header, \
     allow_private, approval, approved_by, status, error, tools, refreshed_at, created_at, updated_at";

fn server(row: &AnyRow) -> Result<McpServerRow, sqlx::Error> {
    Ok(McpServerRow {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        agent_id: row.try_get("agent_id")?,
        name: row.try_get("name")?,
        url: row.try_get("url")?,
        headers: decode(&row.try_get::<String, _>("headers")?)?,
        secret_id: row.try_get("secret_id")?,
        secret_header: row.try_get("secret_header")?,
        allow_private_network: row.try_get::<i64, _>("allow_private")? != 0,
        approval: row.try_get("approval")?,
        approved_by: row.try_get("approved_by")?,
        status: row.try_get("status")?,
        error: row.try_get("error")?,
        tools: decode(&row.try_get::<String, _>("tools")?)?,
        refreshed_at: row.try_get("refreshed_at")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

impl Store {
    /// Stores a new MCP server; `Conflict` when the agent has one of that
    /// name.
    pub async fn create_mcp_server(&self, row: &McpServerRow) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO mcp_servers ({SERVER_COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
        ))
        .bind(&row.id)
        .bind(&row.tenant_id)
        .bind(&row.agent_id)
        .bind(&row.name)
        .bind(&row.url)
        .bind(serde_json::to_string(&row.headers).expect("headers serialise"))
        .bind(&row.secret_id)
        .bind(&row.secret_header)
        .bind(row.allow_private_network as i64)
        .bind(&row.approval)
        .bind(&row.approved_by)
        .bind(&row.status)
        .bind(&row.error)
        .bind(Value::Array(row.tools.clone()).to_string())
        .bind(&row.refreshed_at)
        .bind(&row.created_at)
        .bind(&row.updated_at)
        .execute(self.pool())
        .await?;
        self.changed().await;
        Ok(())
    }

    /// An agent's MCP servers by name.
    pub async fn mcp_servers(
        &self,
        tenant_id: &str,
        agent_id: &str,
    ) -> Result<Vec<McpServerRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {SERVER_COLUMNS} FROM mcp_servers WHERE tenant_id = $1 AND agent_id = $2 ORDER BY name"
        ))
        .bind(tenant_id)
        .bind(agent_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(server).collect::<Result<_, _>>()?)
    }

    /// A tenant's MCP servers awaiting an admin, of every agent; oldest
    /// first.
    pub async fn mcp_servers_awaiting_approval(
        &self,
        tenant_id: &str,
    ) -> Result<Vec<McpServerRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {SERVER_COLUMNS} FROM mcp_servers WHERE tenant_id = $1 AND approval = 'pending' \
             ORDER BY created_at, id"
        ))
        .bind(tenant_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(server).collect::<Result<_, _>>()?)
    }

    /// An agent's MCP server.
    pub async fn mcp_server(
        &self,
        tenant_id: &str,
        agent_id: &str,
        name: &str,
    ) -> Result<Option<McpServerRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {SERVER_COLUMNS} FROM mcp_servers WHERE tenant_id = $1 AND agent_id = $2 AND name = $3"
        ))
        .bind(tenant_id)
        .bind(agent_id)
        .bind(name)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.as_ref().map(server).transpose()?)
    }

    /// Records an admin's approval, with whether the server may be on a
    /// private network.
    pub async fn approve_mcp_server(
        &self,
        tenant_id: &str,
        id: &str,
        approved_by: &str,
        allow_private: bool,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE mcp_servers SET approval = 'approved', approved_by = $1, allow_private = $2, \
             updated_at = $3 WHERE tenant_id = $4 AND id = $5",
        )
        .bind(approved_by)
        .bind(allow_private as i64)
        .bind(now())
        .bind(tenant_id)
        .bind(id)
        .execute(self.pool())
        .await?;
        self.changed().await;
        Ok(())
    }

    /// Records a refresh: the tools listed, or why listing failed (the
    /// last good list is kept then).
    pub async fn record_mcp_tools(
        &self,
        tenant_id: &str,
        id: &str,
        outcome: Result<&[Value], &str>,
    ) -> Result<(), StoreError> {
        let at = now();
        let query = match outcome {
            Ok(tools) => sqlx::query(
                "UPDATE mcp_servers SET status = 'connected', error = NULL, tools = $1, \
                 refreshed_at = $2, updated_at = $2 WHERE tenant_id = $3 AND id = $4",
            )
            .bind(Value::Array(tools.to_vec()).to_string()),
            Err(error) => sqlx::query(
                "UPDATE mcp_servers SET status = 'error', error = $1, \
                 refreshed_at = $2, updated_at = $2 WHERE tenant_id = $3 AND id = $4",
            )
            .bind(error.to_owned()),
        };
        query
            .bind(at)
            .bind(tenant_id)
            .bind(id)
            .execute(self.pool())
            .await?;
        self.changed().await;
        Ok(())
    }

    /// Removes an agent's MCP server; false when absent.
    pub async fn delete_mcp_server(
        &self,
        tenant_id: &str,
        agent_id: &str,
        name: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "DELETE FROM mcp_servers WHERE tenant_id = $1 AND agent_id = $2 AND name = $3",
        )
        .bind(tenant_id)
        .bind(agent_id)
        .bind(name)
        .execute(self.pool())
        .await?;
        self.changed().await;
        Ok(done.rows_affected() > 0)
    }
}
