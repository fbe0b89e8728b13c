//! The approvals trail: every approval, refusal and grant change an admin
//! or the operator made, kept beside the invocation records.
use super::database::Store;
use super::error::StoreError;
use super::values::{decode, new_id, now};
use serde::Serialize;
use serde_json::Value;
use sqlx::Row;

/// One decision.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalRecord {
    /// Id.
    pub id: String,
    /// The tenant the subject belongs to.
    pub tenant_id: String,
    /// The token that decided (`upgrade` for the server's own upgrade).
    pub token_id: String,
    /// `skill`, `ability`, `mcp_server` or `tenant`.
    pub subject: &'static str,
    /// The subject's id.
    pub subject_id: String,
    /// `approved`, `pending`, `status_changed` or `private_network`.
    pub action: &'static str,
    /// The digest decided on, where the subject has one.
    pub digest: Option<String>,
    /// Whether the admin named the digest or version they reviewed.
    pub reviewed: bool,
    /// The grant as clients see it, or what changed.
    pub detail: Value,
    /// When.
    pub created_at: String,
}

impl ApprovalRecord {
    /// A record made now.
    pub fn new(
        tenant_id: &str,
        token_id: &str,
        subject: &'static str,
        subject_id: &str,
        action: &'static str,
    ) -> ApprovalRecord {
        ApprovalRecord {
            id: new_id(),
            tenant_id: tenant_id.to_owned(),
            token_id: token_id.to_owned(),
            subject,
            subject_id: subject_id.to_owned(),
            action,
            digest: None,
            reviewed: false,
            detail: Value::Null,
            created_at: now(),
        }
    }
}

/// Names from the database back to the closed sets above; an unknown one
/// is shown as stored rather than failing the whole page.
fn known(value: String, set: &[&'static str]) -> &'static str {
    set.iter().copied().find(|s| *s == value).unwrap_or("other")
}

const SUBJECTS: &[&str] = &["skill", "ability", "mcp_server", "tenant"];
const ACTIONS: &[&str] = &["approved", "pending", "status_changed", "private_network"];

impl Store {
    /// Records a decision.
    pub async fn record_approval(&self, r: &ApprovalRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO approvals (id, tenant_id, token_id, subject, subject_id, action, digest, reviewed, detail, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&r.id)
        .bind(&r.tenant_id)
        .bind(&r.token_id)
        .bind(r.subject)
        .bind(&r.subject_id)
        .bind(r.action)
        .bind(&r.digest)
        .bind(r.reviewed as i64)
        .bind(r.detail.to_string())
        .bind(&r.created_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// A tenant's decisions, newest first, before a (created_at, id)
    /// cursor.
    pub async fn list_approvals(
        &self,
        tenant_id: &str,
        before: Option<(String, String)>,
        limit: i64,
    ) -> Result<Vec<ApprovalRecord>, StoreError> {
        let (at, id) = before.unwrap_or_else(|| ("~".into(), String::new()));
        let rows = sqlx::query(
            "SELECT id, tenant_id, token_id, subject, subject_id, action, digest, reviewed, detail, created_at \
             FROM approvals WHERE tenant_id = $1 AND (created_at < $2 OR (created_at = $2 AND id < $3)) \
             ORDER BY created_at DESC, id DESC LIMIT $4",
        )
        .bind(tenant_id)
        .bind(&at)
        .bind(&id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let detail: String = row.try_get("detail")?;
                Ok(ApprovalRecord {
                    id: row.try_get("id")?,
                    tenant_id: row.try_get("tenant_id")?,
                    token_id: row.try_get("token_id")?,
                    subject: known(row.try_get("subject")?, SUBJECTS),
                    subject_id: row.try_get("subject_id")?,
                    action: known(row.try_get("action")?, ACTIONS),
                    digest: row.try_get("digest")?,
                    reviewed: row.try_get::<i64, _>("reviewed")? != 0,
                    detail: decode(&detail)?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }
}
