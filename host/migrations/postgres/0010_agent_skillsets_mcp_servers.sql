-- PostgreSQL twin of ../sqlite/0010_agent_skillsets_mcp_servers.sql (BIGINT for integers);
-- tests/schema.rs keeps the two schemas' tables and columns in step.
-- What an agent reaches besides its assigned skills: skillsets attached to
-- it (their abilities join its tools) and seed 003's remote MCP servers.

CREATE TABLE agent_skillsets (
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    agent_id     TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    skillset_id  TEXT NOT NULL REFERENCES skillsets(id) ON DELETE CASCADE,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (agent_id, skillset_id)
);

-- A remote MCP server of an agent. `headers` are plain (credentials come
-- from `secret_id`, injected by the host); `approval` is pending until an
-- admin approves its origin; `tools` is the last tool list fetched, with
-- `status` connected | error and `error` saying why.
CREATE TABLE mcp_servers (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    agent_id       TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    url            TEXT NOT NULL,
    headers        TEXT NOT NULL DEFAULT '{}',
    secret_id      TEXT,
    secret_header  TEXT,
    allow_private  BIGINT NOT NULL DEFAULT 0,
    approval       TEXT NOT NULL,        -- pending | approved
    approved_by    TEXT,
    status         TEXT NOT NULL,        -- pending | connected | error
    error          TEXT,
    tools          TEXT NOT NULL DEFAULT '[]',
    refreshed_at   TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    UNIQUE (agent_id, name)
);
CREATE INDEX mcp_servers_tenant_agent ON mcp_servers (tenant_id, agent_id, name);
