-- PostgreSQL twin of ../sqlite/0008_secrets_skillsets_integrations.sql (BYTEA for bytes);
-- tests/schema.rs keeps the two schemas' tables and columns in step.
-- Tenant secrets, skillsets with their abilities, and integrations (seed
-- 002's and seed 000's objects).

-- A tenant's credential. The value is sealed (ChaCha20-Poly1305 under the
-- server's secret key, bound to tenant and id) and never returned. `ref_name`
-- is the name normalised for `${SECRET_NAME}` references.
CREATE TABLE secrets (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    ref_name     TEXT NOT NULL,
    kind         TEXT NOT NULL,          -- plain | bearer | basic
    description  TEXT,
    meta         TEXT NOT NULL DEFAULT '{}',
    key_id       TEXT NOT NULL,          -- which server key sealed it
    sealed       BYTEA NOT NULL,         -- nonce || ciphertext || tag
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (tenant_id, ref_name)
);
CREATE INDEX secrets_tenant_time ON secrets (tenant_id, created_at, id);

-- A named set of abilities; what integrations expose.
CREATE TABLE skillsets (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    description   TEXT NOT NULL,
    blueprint_id  TEXT,
    meta          TEXT NOT NULL DEFAULT '{}',
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX skillsets_tenant_time ON skillsets (tenant_id, created_at, id);

-- One ability of a skillset: an instruction template the host runs, or a
-- reference to an installed skill's ability (`skill_id`, `ability`).
-- `declaration` is what an instruction reaches (origin, secrets); `status`
-- is pending until an admin approves it, with `grant_json` the approval.
CREATE TABLE abilities (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    skillset_id   TEXT NOT NULL REFERENCES skillsets(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    tool_name     TEXT NOT NULL,         -- the name agents call it by
    description   TEXT NOT NULL,
    instruction   TEXT,
    skill_id      TEXT,
    ability       TEXT,
    secret_id     TEXT,
    file_id       TEXT,
    bot_id        TEXT,
    blueprint_id  TEXT,
    meta          TEXT NOT NULL DEFAULT '{}',
    declaration   TEXT NOT NULL DEFAULT '{}',
    status        TEXT NOT NULL,         -- pending | active
    grant_json    TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (skillset_id, tool_name)
);
CREATE INDEX abilities_skillset_time ON abilities (skillset_id, created_at, id);

-- A skillset exposed behind a static access token: a skill server (seed
-- 000) or, later, an MCP server. The token is looked up by its SHA-256 and
-- kept sealed so admins can read it again.
CREATE TABLE integrations (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,         -- skillserver
    skillset_id   TEXT NOT NULL REFERENCES skillsets(id) ON DELETE CASCADE,
    name          TEXT,
    description   TEXT,
    blueprint_id  TEXT,
    meta          TEXT NOT NULL DEFAULT '{}',
    token_hash    TEXT NOT NULL UNIQUE,
    key_id        TEXT NOT NULL,
    token_sealed  BYTEA NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX integrations_tenant_time ON integrations (tenant_id, kind, created_at, id);

-- Audit records name the surface a call came through and the integration
-- that made it.
ALTER TABLE invocations ADD COLUMN surface TEXT;
ALTER TABLE invocations ADD COLUMN integration_id TEXT;
