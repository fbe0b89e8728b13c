-- PostgreSQL twin of ../sqlite/0002_skills_assignments_audit.sql (BYTEA for bytes, BIGINT for integers);
-- tests/schema.rs keeps the two schemas' tables and columns in step.
-- Installed skills, their component bytes, agent assignments, and the audit
-- trail of invocations. Portable SQL as in 0001; component bytes are a BYTEA
-- here and become BYTEA in the PostgreSQL migration.

-- Component bytes, content-addressed by sha256, per tenant so that no row is
-- shared across the isolation boundary.
CREATE TABLE components (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    digest      TEXT NOT NULL,
    bytes       BYTEA NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, digest)
);

-- One row per installed name@version. `status` is pending (awaiting the
-- operator's capability approval), active, disabled or archived. `grant_json`
-- is the approved grant; it may hold secret values and is never returned.
CREATE TABLE skills (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    version      TEXT NOT NULL,
    description  TEXT NOT NULL,
    category     TEXT,
    kind         TEXT NOT NULL,
    digest       TEXT NOT NULL,
    manifest     TEXT NOT NULL,          -- canonical manifest JSON
    status       TEXT NOT NULL,
    grant_json   TEXT,
    source       TEXT NOT NULL,          -- upload | url | path
    source_url   TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (tenant_id, name, version)
);
CREATE INDEX skills_tenant ON skills (tenant_id, name);

-- A skill assigned to an agent, with seed 001's and seed 004's fields.
CREATE TABLE assignments (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    skill_id         TEXT NOT NULL REFERENCES skills(id) ON DELETE CASCADE,
    agent_id         TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    enabled          BIGINT NOT NULL DEFAULT 1,
    priority         BIGINT NOT NULL DEFAULT 0,
    config           TEXT NOT NULL DEFAULT '{}',
    prompt_override  TEXT,
    credential_id    TEXT,
    assigned_at      TEXT NOT NULL,
    assigned_by      TEXT NOT NULL,
    UNIQUE (skill_id, agent_id)
);

-- Every invocation and every denial. Never secret values; inputs are not
-- stored.
CREATE TABLE invocations (
    id                 TEXT PRIMARY KEY,
    tenant_id          TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    agent_id           TEXT,
    agent_name         TEXT,
    skill_id           TEXT,
    skill_name         TEXT NOT NULL,
    ability            TEXT NOT NULL,
    outcome            TEXT NOT NULL,    -- success or an error category
    duration_us        BIGINT NOT NULL,
    peak_memory_bytes  BIGINT NOT NULL,
    output_bytes       BIGINT NOT NULL,
    denials            TEXT NOT NULL,    -- JSON array of {capability, target, reason}
    request_id         TEXT,
    created_at         TEXT NOT NULL
);
CREATE INDEX invocations_tenant_time ON invocations (tenant_id, created_at, id);
