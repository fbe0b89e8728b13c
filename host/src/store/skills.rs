//! Skills, their component bytes, assignments and invocation records.
use super::cached_rows::{AssignmentRow, PendingSource, SkillRow};
use super::database::Store;
use super::error::StoreError;
use super::statuses::{SkillStatus, StoredKind};
use super::values::{decode, new_id, now};
use crate::capability::{Capabilities, Grant, Review};
use crate::manifest::Manifest;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::sync::Arc;

const SKILL_COLUMNS: &str = "id, tenant_id, kind, digest, manifest, status, grant_json, source, source_url, \
     created_at, updated_at, capability_diff, review, source_sha256, synced_at, sync_error, source_detail, pending_source";

fn skill(row: &AnyRow) -> Result<SkillRow, sqlx::Error> {
    let manifest: String = row.try_get("manifest")?;
    let grant: Option<String> = row.try_get("grant_json")?;
    Ok(SkillRow {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        manifest: decode(&manifest)?,
        kind: super::statuses::decode(row, "kind", StoredKind::parse)?,
        digest: row.try_get("digest")?,
        status: super::statuses::decode(row, "status", SkillStatus::parse)?,
        grant: grant.as_deref().map(decode).transpose()?,
        source: row.try_get("source")?,
        capability_diff: row
            .try_get::<Option<String>, _>("capability_diff")?
            .as_deref()
            .map(decode)
            .transpose()?,
        review: row
            .try_get::<Option<String>, _>("review")?
            .as_deref()
            .map(decode)
            .transpose()?,
        source_url: row.try_get("source_url")?,
        source_sha256: row.try_get("source_sha256")?,
        synced_at: row.try_get("synced_at")?,
        sync_error: row.try_get("sync_error")?,
        detail: row
            .try_get::<Option<String>, _>("source_detail")?
            .as_deref()
            .map(decode)
            .transpose()?
            .map(Arc::new),
        pending_source: row
            .try_get::<Option<String>, _>("pending_source")?
            .as_deref()
            .map(decode)
            .transpose()?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn assignment(row: &AnyRow) -> Result<AssignmentRow, sqlx::Error> {
    let config: String = row.try_get("config")?;
    Ok(AssignmentRow {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        skill_id: row.try_get("skill_id")?,
        agent_id: row.try_get("agent_id")?,
        enabled: row.try_get::<i64, _>("enabled")? != 0,
        priority: row.try_get("priority")?,
        config: decode(&config)?,
        prompt_override: row.try_get("prompt_override")?,
        credential_id: row.try_get("credential_id")?,
        narrowing: decode(&row.try_get::<String, _>("narrowing")?)?,
        assigned_at: row.try_get("assigned_at")?,
        assigned_by: row.try_get("assigned_by")?,
    })
}

const ASSIGNMENT_COLUMNS: &str = "id, tenant_id, skill_id, agent_id, enabled, priority, config, prompt_override, \
     credential_id, assigned_at, assigned_by, narrowing";

/// Filters for listing skills.
#[derive(Debug, Default, Clone)]
pub struct SkillFilter {
    /// Only this category.
    pub category: Option<String>,
    /// Only this status; `None` means every status.
    pub status: Option<String>,
    /// Only this origin (upload, url, path).
    pub source: Option<String>,
    /// Only this kind (sdk, command, or a seed 004 source kind; `custom`
    /// for every component).
    pub kind: Option<String>,
    /// Only skills after this (name, created_at, id): the cursor.
    pub after: Option<(String, String, String)>,
    /// Page size; `None` for all.
    pub limit: Option<i64>,
}

impl Store {
    /// Stores component bytes once per tenant and digest.
    pub async fn put_component(
        &self,
        tenant_id: &str,
        digest: &str,
        bytes: &[u8],
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO components (tenant_id, digest, bytes, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (tenant_id, digest) DO NOTHING",
        )
        .bind(tenant_id)
        .bind(digest)
        .bind(bytes)
        .bind(now())
        .execute(self.pool())
        .await?;
        self.changed().await;
        Ok(())
    }

    /// A tenant's component bytes.
    pub async fn component(
        &self,
        tenant_id: &str,
        digest: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let row = sqlx::query("SELECT bytes FROM components WHERE tenant_id = $1 AND digest = $2")
            .bind(tenant_id)
            .bind(digest)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| r.try_get("bytes")).transpose()?)
    }

    /// Stores the files of a SKILL.md bundle, `(sha256 hex, bytes)`, once
    /// per tenant and digest. Content-addressed and never changed, so no
    /// cache hears of it.
    pub async fn put_skill_files(
        &self,
        tenant_id: &str,
        files: &[(String, Vec<u8>)],
    ) -> Result<(), StoreError> {
        if files.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool().begin().await?;
        let at = now();
        for (digest, bytes) in files {
            sqlx::query(
                "INSERT INTO skill_files (tenant_id, digest, bytes, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (tenant_id, digest) DO NOTHING",
            )
            .bind(tenant_id)
            .bind(digest)
            .bind(bytes.as_slice())
            .bind(&at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The bytes of a tenant's bundle file with this sha256 (hex).
    pub async fn skill_file(
        &self,
        tenant_id: &str,
        digest: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let row = sqlx::query("SELECT bytes FROM skill_files WHERE tenant_id = $1 AND digest = $2")
            .bind(tenant_id)
            .bind(digest)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| r.try_get("bytes")).transpose()?)
    }

    /// Records a newly installed skill (status pending).
    pub async fn create_skill(&self, row: &SkillRow) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO skills (id, tenant_id, name, version, description, category, kind, digest, manifest, \
             status, grant_json, source, source_url, created_at, updated_at, capability_diff, \
             source_sha256, synced_at, source_detail, review) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)",
        )
        .bind(&row.id)
        .bind(&row.tenant_id)
        .bind(&row.manifest.name)
        .bind(row.manifest.version.to_string())
        .bind(&row.manifest.description)
        .bind(&row.manifest.category)
        .bind(row.kind.as_str())
        .bind(&row.digest)
        .bind(serde_json::to_string(&row.manifest).expect("JSON"))
        .bind(row.status.as_str())
        .bind(row.grant.as_ref().map(|g| serde_json::to_string(g).expect("JSON")))
        .bind(&row.source)
        .bind(&row.source_url)
        .bind(&row.created_at)
        .bind(&row.updated_at)
        .bind(row.capability_diff.as_ref().map(|d| serde_json::to_string(d).expect("JSON")))
        .bind(&row.source_sha256)
        .bind(&row.synced_at)
        .bind(row.detail.as_ref().map(|d| serde_json::to_string(d).expect("JSON")))
        .bind(row.review.as_ref().map(|r| serde_json::to_string(r).expect("JSON")))
        .execute(self.pool())
        .await?;
        self.changed().await;
        Ok(())
    }

    /// Replaces a source skill's content after a sync that asks for
    /// nothing more than was approved, or (with `pending`) keeps the new
    /// content aside with what it adds until an admin approves it.
    pub async fn sync_source(
        &self,
        row: &SkillRow,
        pending: Option<(&PendingSource, &Capabilities, Option<&Review>)>,
        synced_at: &str,
    ) -> Result<(), StoreError> {
        let query = match pending {
            None => sqlx::query(
                "UPDATE skills SET manifest = $1, description = $2, version = $3, digest = $4, source_detail = $5, \
                 pending_source = NULL, capability_diff = NULL, review = NULL, synced_at = $6, sync_error = NULL, updated_at = $6 \
                 WHERE tenant_id = $7 AND id = $8",
            )
            .bind(serde_json::to_string(&row.manifest).expect("JSON"))
            .bind(&row.manifest.description)
            .bind(row.manifest.version.to_string())
            .bind(&row.digest)
            .bind(row.detail.as_ref().map(|d| serde_json::to_string(d).expect("JSON")))
            .bind(synced_at)
            .bind(&row.tenant_id)
            .bind(&row.id),
            Some((pending, diff, review)) => sqlx::query(
                "UPDATE skills SET pending_source = $1, capability_diff = $2, review = $6, synced_at = $3, sync_error = NULL, \
                 updated_at = $3 WHERE tenant_id = $4 AND id = $5",
            )
            .bind(serde_json::to_string(pending).expect("JSON"))
            .bind(serde_json::to_string(diff).expect("JSON"))
            .bind(synced_at)
            .bind(&row.tenant_id)
            .bind(&row.id)
            .bind(review.map(|r| serde_json::to_string(r).expect("JSON"))),
        };
        query.execute(self.pool()).await?;
        self.changed().await;
        Ok(())
    }

    /// A tenant's skill by id, or by name: the newest active version, else
    /// the newest version (so a pending update does not hide the version
    /// agents are using).
    pub async fn skill(
        &self,
        tenant_id: &str,
        id_or_name: &str,
    ) -> Result<Option<SkillRow>, StoreError> {
        Ok(self
            .skill_shared(tenant_id, id_or_name)
            .await?
            .map(Arc::unwrap_or_clone))
    }

    /// [`Store::skill`] without copying the row, for the invoke path.
    pub async fn skill_shared(
        &self,
        tenant_id: &str,
        id_or_name: &str,
    ) -> Result<Option<Arc<SkillRow>>, StoreError> {
        let key = (tenant_id.to_owned(), id_or_name.to_owned());
        self.cached(|c| &c.skills, key, async {
            let row = sqlx::query(&format!(
                "SELECT {SKILL_COLUMNS} FROM skills WHERE tenant_id = $1 AND (id = $2 OR name = $2) \
                 ORDER BY CASE WHEN status = 'active' THEN 0 ELSE 1 END, created_at DESC, id DESC LIMIT 1"
            ))
            .bind(tenant_id)
            .bind(id_or_name)
            .fetch_optional(self.pool())
            .await?;
            Ok(row.as_ref().map(skill).transpose()?.map(Arc::new))
        })
        .await
    }

    /// A tenant's skill `name` at exactly `version`.
    pub async fn skill_version(
        &self,
        tenant_id: &str,
        name: &str,
        version: &str,
    ) -> Result<Option<SkillRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {SKILL_COLUMNS} FROM skills WHERE tenant_id = $1 AND name = $2 AND version = $3"
        ))
        .bind(tenant_id)
        .bind(name)
        .bind(version)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.as_ref().map(skill).transpose()?)
    }

    /// One page of a tenant's skills, by name then newest version first,
    /// and how many match the filter in all.
    pub async fn list_skills(
        &self,
        tenant_id: &str,
        filter: &SkillFilter,
    ) -> Result<(Vec<SkillRow>, i64), StoreError> {
        const FILTER: &str = "tenant_id = $1 AND ($2 IS NULL OR category = $2) \
             AND ($3 IS NULL OR status = $3) AND ($4 IS NULL OR source = $4) AND ($9 IS NULL OR kind = $9 OR ($9 = 'custom' AND source_detail IS NULL))";
        let (name, time, id) = match &filter.after {
            Some((n, t, i)) => (Some(n.as_str()), Some(t.as_str()), Some(i.as_str())),
            None => (None, None, None),
        };
        let rows = sqlx::query(&format!(
            "SELECT {SKILL_COLUMNS} FROM skills WHERE {FILTER} \
             AND ($5 IS NULL OR name > $5 OR (name = $5 AND (created_at < $6 OR (created_at = $6 AND id < $7)))) \
             ORDER BY name, created_at DESC, id DESC LIMIT $8"
        ))
        .bind(tenant_id)
        .bind(&filter.category)
        .bind(&filter.status)
        .bind(&filter.source)
        .bind(name)
        .bind(time)
        .bind(id)
        .bind(filter.limit.unwrap_or(i64::MAX))
        .bind(&filter.kind)
        .fetch_all(self.pool())
        .await?;
        // The same numbering as above: $5-$8 are unused here.
        let count = FILTER.replace("$9", "$5");
        let total: i64 = sqlx::query(&format!("SELECT COUNT(*) AS n FROM skills WHERE {count}"))
            .bind(tenant_id)
            .bind(&filter.category)
            .bind(&filter.status)
            .bind(&filter.source)
            .bind(&filter.kind)
            .fetch_one(self.pool())
            .await?
            .try_get("n")?;
        Ok((rows.iter().map(skill).collect::<Result<_, _>>()?, total))
    }

    /// A tenant's skills awaiting an admin: pending installs and versions,
    /// and approved skills with new source content waiting; oldest first.
    pub async fn skills_awaiting_approval(
        &self,
        tenant_id: &str,
    ) -> Result<Vec<SkillRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {SKILL_COLUMNS} FROM skills WHERE tenant_id = $1 \
             AND (status = 'pending' OR pending_source IS NOT NULL) ORDER BY created_at, id"
        ))
        .bind(tenant_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(skill).collect::<Result<_, _>>()?)
    }

    /// Records the outcome of a sync: the time of a success, or why it
    /// failed (keeping the time of the last success).
    pub async fn record_sync(
        &self,
        tenant_id: &str,
        id: &str,
        outcome: Result<&str, &str>,
    ) -> Result<(), StoreError> {
        let (synced_at, error) = match outcome {
            Ok(at) => (Some(at), None),
            Err(why) => (None, Some(why)),
        };
        sqlx::query(
            "UPDATE skills SET synced_at = COALESCE($1, synced_at), sync_error = $2 \
             WHERE tenant_id = $3 AND id = $4",
        )
        .bind(synced_at)
        .bind(error)
        .bind(tenant_id)
        .bind(id)
        .execute(self.pool())
        .await?;
        self.changed().await;
        Ok(())
    }

    /// Moves the agents of a skill's other versions to version `id`, now
    /// that it is the active one; an agent on several versions keeps one
    /// assignment (the newest version's own, if it had one).
    pub async fn promote_assignments(
        &self,
        tenant_id: &str,
        name: &str,
        id: &str,
    ) -> Result<u64, StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "DELETE FROM assignments WHERE tenant_id = $1 \
             AND skill_id IN (SELECT id FROM skills WHERE tenant_id = $1 AND name = $2 AND id <> $3) \
             AND agent_id IN (SELECT agent_id FROM assignments WHERE tenant_id = $1 AND skill_id = $3)",
        )
        .bind(tenant_id)
        .bind(name)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        // An agent assigned to two older versions keeps the first one met.
        let moved = sqlx::query(
            "UPDATE assignments SET skill_id = $3 WHERE tenant_id = $1 \
             AND skill_id IN (SELECT id FROM skills WHERE tenant_id = $1 AND name = $2 AND id <> $3) \
             AND id IN (SELECT MIN(id) FROM assignments WHERE tenant_id = $1 \
                 AND skill_id IN (SELECT id FROM skills WHERE tenant_id = $1 AND name = $2 AND id <> $3) \
                 GROUP BY agent_id)",
        )
        .bind(tenant_id)
        .bind(name)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query(
            "DELETE FROM assignments WHERE tenant_id = $1 \
             AND skill_id IN (SELECT id FROM skills WHERE tenant_id = $1 AND name = $2 AND id <> $3)",
        )
        .bind(tenant_id)
        .bind(name)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.changed().await;
        Ok(moved)
    }

    /// Sets a skill's approved grant and status; a source skill's pending
    /// content, if any, becomes its content.
    pub async fn approve_skill(
        &self,
        tenant_id: &str,
        id: &str,
        grant: &Grant,
        pending: Option<&PendingSource>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        if let Some(p) = pending {
            sqlx::query(
                "UPDATE skills SET manifest = $1, description = $2, version = $3, digest = $4, source_detail = $5, \
                 pending_source = NULL WHERE tenant_id = $6 AND id = $7",
            )
            .bind(serde_json::to_string(&p.manifest).expect("JSON"))
            .bind(&p.manifest.description)
            .bind(p.manifest.version.to_string())
            .bind(&p.digest)
            .bind(serde_json::to_string(&p.detail).expect("JSON"))
            .bind(tenant_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "UPDATE skills SET grant_json = $1, status = 'active', capability_diff = NULL, review = NULL, updated_at = $2 \
             WHERE tenant_id = $3 AND id = $4",
        )
        .bind(serde_json::to_string(grant).expect("JSON"))
        .bind(now())
        .bind(tenant_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.changed().await;
        Ok(())
    }

    /// Every skill that has a grant, in every tenant (the upgrade's scan).
    pub async fn skills_with_grants(&self) -> Result<Vec<SkillRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {SKILL_COLUMNS} FROM skills WHERE grant_json IS NOT NULL"
        ))
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(skill).collect::<Result<_, _>>()?)
    }

    /// Rewrites a grant the upgrade brought under the new rules; with
    /// `hold`, the skill waits for an admin, saying why.
    pub async fn upgrade_grant(
        &self,
        tenant_id: &str,
        id: &str,
        grant: &Grant,
        hold: Option<&Review>,
    ) -> Result<(), StoreError> {
        let grant = serde_json::to_string(grant).expect("JSON");
        let query = match hold {
            None => sqlx::query(
                "UPDATE skills SET grant_json = $1, updated_at = $2 WHERE tenant_id = $3 AND id = $4",
            )
            .bind(grant)
            .bind(now())
            .bind(tenant_id)
            .bind(id),
            Some(review) => sqlx::query(
                "UPDATE skills SET grant_json = $1, updated_at = $2, review = $5, \
                 status = CASE WHEN status = 'active' THEN 'pending' ELSE status END \
                 WHERE tenant_id = $3 AND id = $4",
            )
            .bind(grant)
            .bind(now())
            .bind(tenant_id)
            .bind(id)
            .bind(serde_json::to_string(review).expect("JSON")),
        };
        query.execute(self.pool()).await?;
        self.changed().await;
        Ok(())
    }

    /// Number of agents a skill is assigned to.
    pub async fn assignment_count(&self, skill_id: &str) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM assignments WHERE skill_id = $1")
            .bind(skill_id)
            .fetch_one(self.pool())
            .await?;
        Ok(row.try_get("n")?)
    }

    /// Assigns a skill to an agent.
    pub async fn create_assignment(&self, row: &AssignmentRow) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO assignments ({ASSIGNMENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        ))
        .bind(&row.id)
        .bind(&row.tenant_id)
        .bind(&row.skill_id)
        .bind(&row.agent_id)
        .bind(row.enabled as i64)
        .bind(row.priority)
        .bind(row.config.to_string())
        .bind(&row.prompt_override)
        .bind(&row.credential_id)
        .bind(&row.assigned_at)
        .bind(&row.assigned_by)
        .bind(serde_json::to_string(&row.narrowing).expect("JSON"))
        .execute(self.pool())
        .await?;
        self.changed().await;
        Ok(())
    }

    /// The assignment of `skill_id` to `agent_id`.
    pub async fn assignment(
        &self,
        tenant_id: &str,
        skill_id: &str,
        agent_id: &str,
    ) -> Result<Option<AssignmentRow>, StoreError> {
        let key = (
            tenant_id.to_owned(),
            skill_id.to_owned(),
            agent_id.to_owned(),
        );
        self.cached(|c| &c.assignments, key, async {
            let row = sqlx::query(&format!(
                "SELECT {ASSIGNMENT_COLUMNS} FROM assignments WHERE tenant_id = $1 AND skill_id = $2 AND agent_id = $3"
            ))
            .bind(tenant_id)
            .bind(skill_id)
            .bind(agent_id)
            .fetch_optional(self.pool())
            .await?;
            Ok(row.as_ref().map(assignment).transpose()?)
        })
        .await
    }

    /// An agent's assignments, highest priority first.
    pub async fn agent_assignments(
        &self,
        tenant_id: &str,
        agent_id: &str,
    ) -> Result<Vec<AssignmentRow>, StoreError> {
        self.assignments_where("agent_id", tenant_id, agent_id)
            .await
    }

    /// A skill's assignments, highest priority first.
    pub async fn skill_assignments(
        &self,
        tenant_id: &str,
        skill_id: &str,
    ) -> Result<Vec<AssignmentRow>, StoreError> {
        self.assignments_where("skill_id", tenant_id, skill_id)
            .await
    }

    async fn assignments_where(
        &self,
        column: &'static str,
        tenant_id: &str,
        id: &str,
    ) -> Result<Vec<AssignmentRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ASSIGNMENT_COLUMNS} FROM assignments WHERE tenant_id = $1 AND {column} = $2 \
             ORDER BY priority DESC, assigned_at"
        ))
        .bind(tenant_id)
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(assignment).collect::<Result<_, _>>()?)
    }

    /// An agent's assignments with their skills, highest priority first.
    pub async fn agent_skills(
        &self,
        tenant_id: &str,
        agent_id: &str,
    ) -> Result<Vec<(AssignmentRow, SkillRow)>, StoreError> {
        let mut out = Vec::new();
        for a in self.agent_assignments(tenant_id, agent_id).await? {
            if let Some(skill) = self.skill(tenant_id, &a.skill_id).await? {
                out.push((a, skill));
            }
        }
        Ok(out)
    }

    /// Removes an assignment; false when absent.
    pub async fn delete_assignment(
        &self,
        tenant_id: &str,
        skill_id: &str,
        agent_id: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "DELETE FROM assignments WHERE tenant_id = $1 AND skill_id = $2 AND agent_id = $3",
        )
        .bind(tenant_id)
        .bind(skill_id)
        .bind(agent_id)
        .execute(self.pool())
        .await?;
        self.changed().await;
        Ok(done.rows_affected() == 1)
    }

    /// Updates a skill's status, description and category.
    pub async fn update_skill(&self, row: &SkillRow) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE skills SET status = $1, description = $2, category = $3, manifest = $4, updated_at = $5 \
             WHERE tenant_id = $6 AND id = $7",
        )
        .bind(row.status.as_str())
        .bind(&row.manifest.description)
        .bind(&row.manifest.category)
        .bind(serde_json::to_string(&row.manifest).expect("JSON"))
        .bind(now())
        .bind(&row.tenant_id)
        .bind(&row.id)
        .execute(self.pool())
        .await?;
        self.changed().await;
        Ok(())
    }

    /// Updates an assignment's enabled flag, priority, config and narrowing.
    pub async fn update_assignment(&self, row: &AssignmentRow) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE assignments SET enabled = $1, priority = $2, config = $3, narrowing = $4 WHERE tenant_id = $5 AND id = $6",
        )
            .bind(row.enabled as i64)
            .bind(row.priority)
            .bind(row.config.to_string())
            .bind(serde_json::to_string(&row.narrowing).expect("JSON"))
            .bind(&row.tenant_id)
            .bind(&row.id)
            .execute(self.pool())
            .await?;
        self.changed().await;
        Ok(())
    }

    /// Deletes a skill and its assignments; its component bytes go too when
    /// no other version of the tenant uses them.
    pub async fn delete_skill(&self, tenant_id: &str, id: &str) -> Result<bool, StoreError> {
        let mut tx = self.pool().begin().await?;
        let digest: Option<String> =
            sqlx::query("SELECT digest FROM skills WHERE tenant_id = $1 AND id = $2")
                .bind(tenant_id)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| r.try_get("digest"))
                .transpose()?;
        let Some(digest) = digest else {
            return Ok(false);
        };
        sqlx::query("DELETE FROM assignments WHERE tenant_id = $1 AND skill_id = $2")
            .bind(tenant_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM skills WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "DELETE FROM components WHERE tenant_id = $1 AND digest = $2 \
             AND NOT EXISTS (SELECT 1 FROM skills WHERE tenant_id = $1 AND digest = $2)",
        )
        .bind(tenant_id)
        .bind(&digest)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.changed().await;
        Ok(true)
    }
}

/// A fresh skill row for an install.
pub fn new_skill(
    tenant_id: &str,
    manifest: Manifest,
    kind: StoredKind,
    digest: &str,
    source: &str,
) -> SkillRow {
    let at = now();
    SkillRow {
        id: new_id(),
        tenant_id: tenant_id.to_owned(),
        manifest,
        kind,
        digest: digest.to_owned(),
        status: SkillStatus::Pending,
        grant: None,
        source: source.to_owned(),
        capability_diff: None,
        review: None,
        source_url: None,
        source_sha256: None,
        synced_at: None,
        sync_error: None,
        detail: None,
        pending_source: None,
        created_at: at.clone(),
        updated_at: at,
    }
}
