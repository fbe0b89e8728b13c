//! Tenant secrets: sealed values with their public description. The store
//! never sees a plain value except while moving the first release's grant
//! values into secrets ([`Store::move_grant_secrets`]).
use super::cached_rows::{SecretKind, SecretRow};
use super::database::Store;
use super::error::StoreError;
use super::page::Page;
use super::values::{decode, new_id, now};
use crate::vault::{Sealed, Vault};
use sqlx::Row;
use sqlx::any::AnyRow;

/// The `${SECRET_…}` form of a secret name: `weather api` → `WEATHER_API`.
pub fn reference_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_uppercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_owned()
}

const COLUMNS: &str = "id, tenant_id, name, ref_name, kind, description, meta, key_id, sealed, created_at, updated_at";

fn secret(row: &AnyRow) -> Result<SecretRow, sqlx::Error> {
    let meta: String = row.try_get("meta")?;
    Ok(SecretRow {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        name: row.try_get("name")?,
        reference: row.try_get("ref_name")?,
        kind: SecretKind::parse(&row.try_get::<String, _>("kind")?)?,
        description: row.try_get("description")?,
        meta: decode(&meta)?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        sealed: Sealed {
            key_id: row.try_get("key_id")?,
            bytes: row.try_get("sealed")?,
        },
    })
}

/// What a new secret is made of.
pub struct NewSecret<'a> {
    /// Name.
    pub name: &'a str,
    /// Rendering.
    pub kind: SecretKind,
    /// Free text.
    pub description: Option<&'a str>,
    /// Free metadata.
    pub meta: &'a serde_json::Value,
    /// The plain value, sealed before it is stored.
    pub value: &'a str,
}

impl Store {
    /// Stores a new secret, sealed by `vault`; 409 on a name whose
    /// reference form is taken.
    pub async fn create_secret(
        &self,
        vault: &Vault,
        tenant_id: &str,
        new: &NewSecret<'_>,
    ) -> Result<SecretRow, StoreError> {
        let id = new_id();
        let sealed = vault.seal(tenant_id, &id, new.value);
        let time = now();
        let row = sqlx::query(&format!(
            "INSERT INTO secrets ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) \
             RETURNING {COLUMNS}"
        ))
        .bind(&id)
        .bind(tenant_id)
        .bind(new.name)
        .bind(reference_name(new.name))
        .bind(new.kind.as_str())
        .bind(new.description)
        .bind(new.meta.to_string())
        .bind(&sealed.key_id)
        .bind(&sealed.bytes)
        .bind(&time)
        .fetch_one(self.pool())
        .await?;
        self.changed().await;
        Ok(secret(&row)?)
    }

    /// A tenant's secret by id.
    pub async fn secret(&self, tenant_id: &str, id: &str) -> Result<Option<SecretRow>, StoreError> {
        let key = (tenant_id.to_owned(), format!("id:{id}"));
        self.cached(|c| &c.secrets, key, async {
            let row = sqlx::query(&format!(
                "SELECT {COLUMNS} FROM secrets WHERE tenant_id = $1 AND id = $2"
            ))
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
            Ok(row.as_ref().map(secret).transpose()?)
        })
        .await
    }

    /// A tenant's secret by its `${SECRET_…}` reference name.
    pub async fn secret_by_reference(
        &self,
        tenant_id: &str,
        reference: &str,
    ) -> Result<Option<SecretRow>, StoreError> {
        let key = (tenant_id.to_owned(), format!("ref:{reference}"));
        self.cached(|c| &c.secrets, key, async {
            let row = sqlx::query(&format!(
                "SELECT {COLUMNS} FROM secrets WHERE tenant_id = $1 AND ref_name = $2"
            ))
            .bind(tenant_id)
            .bind(reference)
            .fetch_optional(self.pool())
            .await?;
            Ok(row.as_ref().map(secret).transpose()?)
        })
        .await
    }

    /// One page of a tenant's secrets.
    pub async fn list_secrets(
        &self,
        tenant_id: &str,
        page: &Page,
    ) -> Result<Vec<SecretRow>, StoreError> {
        let (t, i, n) = page.binds();
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM secrets WHERE tenant_id = $1 {}",
            page.clause(2)
        ))
        .bind(tenant_id)
        .bind(t)
        .bind(i)
        .bind(n)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(secret).collect::<Result<_, _>>()?)
    }

    /// Saves a secret's description, kind, name and (when `value` is given)
    /// a newly sealed value.
    pub async fn update_secret(
        &self,
        vault: &Vault,
        row: &SecretRow,
        value: Option<&str>,
    ) -> Result<SecretRow, StoreError> {
        let sealed = match value {
            Some(v) => vault.seal(&row.tenant_id, &row.id, v),
            None => row.sealed.clone(),
        };
        let updated = sqlx::query(&format!(
            "UPDATE secrets SET name = $1, ref_name = $2, kind = $3, description = $4, meta = $5, \
             key_id = $6, sealed = $7, updated_at = $8 WHERE tenant_id = $9 AND id = $10 \
             RETURNING {COLUMNS}"
        ))
        .bind(&row.name)
        .bind(reference_name(&row.name))
        .bind(row.kind.as_str())
        .bind(&row.description)
        .bind(row.meta.to_string())
        .bind(&sealed.key_id)
        .bind(&sealed.bytes)
        .bind(now())
        .bind(&row.tenant_id)
        .bind(&row.id)
        .fetch_one(self.pool())
        .await?;
        self.changed().await;
        Ok(secret(&updated)?)
    }

    /// Deletes a secret; false when there was none.
    pub async fn delete_secret(&self, tenant_id: &str, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM secrets WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .execute(self.pool())
            .await?;
        self.changed().await;
        Ok(done.rows_affected() > 0)
    }

    /// Re-seals, under the vault's current key, every secret and
    /// integration token sealed under its previous one. Each row is swapped
    /// only if nobody changed it meanwhile, so replicas rotating at once do
    /// no harm. Returns how many rows this call re-sealed.
    pub async fn reseal_secrets(&self, vault: &Vault) -> Result<u64, StoreError> {
        let mut done = 0;
        for (table, column) in [("secrets", "sealed"), ("integrations", "token_sealed")] {
            done += self.reseal(vault, table, column).await?;
        }
        Ok(done)
    }

    async fn reseal(
        &self,
        vault: &Vault,
        table: &'static str,
        column: &'static str,
    ) -> Result<u64, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT id, tenant_id, key_id, {column} AS sealed FROM {table} WHERE key_id <> $1"
        ))
        .bind(vault.key_id())
        .fetch_all(self.pool())
        .await?;
        let mut done = 0;
        for row in rows {
            let (id, tenant): (String, String) = (row.try_get("id")?, row.try_get("tenant_id")?);
            let old = Sealed {
                key_id: row.try_get("key_id")?,
                bytes: row.try_get("sealed")?,
            };
            if !vault.is_previous(&old.key_id) {
                continue;
            }
            let Ok(plain) = vault.open_sealed(&tenant, &id, &old) else {
                tracing::error!(table, id = %id, "a sealed value does not open under the previous key; left as it is");
                continue;
            };
            let sealed = vault.seal(&tenant, &id, &plain);
            let swapped = sqlx::query(&format!(
                "UPDATE {table} SET key_id = $1, {column} = $2 WHERE id = $3 AND key_id = $4 AND {column} = $5"
            ))
            .bind(&sealed.key_id)
            .bind(&sealed.bytes)
            .bind(&id)
            .bind(&old.key_id)
            .bind(&old.bytes)
            .execute(self.pool())
            .await?;
            done += swapped.rows_affected();
        }
        if done > 0 {
            self.changed().await;
        }
        Ok(done)
    }

    /// Secrets sealed under a key that is neither of the vault's.
    pub async fn secrets_under_unknown_keys(
        &self,
        vault: &Vault,
    ) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT DISTINCT key_id FROM secrets WHERE key_id <> $1")
            .bind(vault.key_id())
            .fetch_all(self.pool())
            .await?;
        let mut unknown = Vec::new();
        for row in rows {
            let key: String = row.try_get("key_id")?;
            if !vault.is_previous(&key) {
                unknown.push(key);
            }
        }
        Ok(unknown)
    }

    /// Moves secret values that grants of the first release held inline
    /// (`"secrets": {"KEY": "value"}`) into tenant secrets named
    /// `<skill>-<KEY>`, and rewrites those grants to point at them. Each
    /// skill moves in one transaction, swapped only if its grant is still
    /// the one read, so replicas starting together move each value once.
    pub async fn move_grant_secrets(&self, vault: &Vault) -> Result<u64, StoreError> {
        let rows = sqlx::query(
            "SELECT id, tenant_id, name, grant_json FROM skills WHERE grant_json IS NOT NULL",
        )
        .fetch_all(self.pool())
        .await?;
        let mut moved = 0;
        for row in rows {
            let (id, tenant, skill, text): (String, String, String, String) = (
                row.try_get("id")?,
                row.try_get("tenant_id")?,
                row.try_get("name")?,
                row.try_get("grant_json")?,
            );
            let mut grant: serde_json::Value = decode(&text)?;
            let Some(secrets) = grant.get_mut("secrets").and_then(|s| s.as_object_mut()) else {
                continue;
            };
            if !secrets.values().any(serde_json::Value::is_string) {
                continue;
            }
            let mut tx = self.pool().begin().await?;
            for (key, value) in secrets.iter_mut() {
                let Some(plain) = value.as_str().map(str::to_owned) else {
                    continue;
                };
                // A free name: `<skill>-<KEY>`, then `-2`, `-3`, …
                let mut n = 1;
                let secret_id = loop {
                    let name = if n == 1 {
                        format!("{skill}-{key}")
                    } else {
                        format!("{skill}-{key}-{n}")
                    };
                    let taken = sqlx::query(
                        "SELECT 1 AS x FROM secrets WHERE tenant_id = $1 AND ref_name = $2",
                    )
                    .bind(&tenant)
                    .bind(reference_name(&name))
                    .fetch_optional(&mut *tx)
                    .await?;
                    if taken.is_some() {
                        n += 1;
                        continue;
                    }
                    let secret_id = new_id();
                    let sealed = vault.seal(&tenant, &secret_id, &plain);
                    let time = now();
                    sqlx::query(&format!(
                        "INSERT INTO secrets ({COLUMNS}) VALUES ($1, $2, $3, $4, 'plain', $5, '{{}}', $6, $7, $8, $8)"
                    ))
                    .bind(&secret_id)
                    .bind(&tenant)
                    .bind(&name)
                    .bind(reference_name(&name))
                    .bind(format!("moved from the grant of skill {skill}"))
                    .bind(&sealed.key_id)
                    .bind(&sealed.bytes)
                    .bind(&time)
                    .execute(&mut *tx)
                    .await?;
                    break secret_id;
                };
                *value = serde_json::json!({ "secretId": secret_id });
            }
            let swapped =
                sqlx::query("UPDATE skills SET grant_json = $1 WHERE id = $2 AND grant_json = $3")
                    .bind(grant.to_string())
                    .bind(&id)
                    .bind(&text)
                    .execute(&mut *tx)
                    .await?;
            if swapped.rows_affected() == 1 {
                tx.commit().await?;
                moved += 1;
                tracing::info!(skill_id = %id, "moved a grant's secret values into tenant secrets");
            } else {
                tx.rollback().await?;
            }
        }
        if moved > 0 {
            self.changed().await;
        }
        Ok(moved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_names_are_upper_snake_case() {
        assert_eq!(reference_name("weather api"), "WEATHER_API");
        assert_eq!(reference_name("  my--key.v2 "), "MY_KEY_V2");
        assert_eq!(reference_name("API_KEY"), "API_KEY");
    }

    #[test]
    fn kinds_render_as_headers_want_them() {
        assert_eq!(SecretKind::Bearer.render("t0k"), "Bearer t0k");
        assert_eq!(SecretKind::Basic.render("user:pass"), "Basic dXNlcjpwYXNz");
        assert_eq!(SecretKind::Plain.render("v"), "v");
    }
}
