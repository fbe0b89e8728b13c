-- PostgreSQL twin of ../sqlite/0001_tenants_tokens_agents.sql (BYTEA for bytes, BIGINT for integers);
-- tests/schema.rs keeps the two schemas' tables and columns in step.
-- Tenants, API tokens and agents.
-- Portable SQL (SQLite and PostgreSQL): TEXT ids (UUIDs), TEXT RFC 3339
-- timestamps, BIGINT booleans; no engine-specific types or functions.

-- The isolation boundary: every other row belongs to exactly one tenant.
CREATE TABLE tenants (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
);

-- Bearer tokens. Only a SHA-256 of the secret is stored; the secret is shown
-- once, at creation. `operator` marks the bootstrap token, which may also
-- create tenants. Revoked tokens are kept for the audit trail.
CREATE TABLE api_tokens (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    scopes      TEXT NOT NULL,          -- JSON array of scope names
    token_hash  TEXT NOT NULL UNIQUE,   -- lowercase hex SHA-256 of the secret
    operator    BIGINT NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE INDEX api_tokens_tenant ON api_tokens (tenant_id);

-- Named principals that call skills; names are unique per tenant because
-- seed 003 addresses agents by name.
CREATE TABLE agents (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (tenant_id, name)
);
