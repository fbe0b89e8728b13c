-- Every file of a SKILL.md bundle, kept so that MCP's skills extension can
-- serve each one (host/src/server/mcp/skills.rs). The bundle in
-- skills.source_detail lists them by path with their sha256 and size;
-- the bytes are stored here once per tenant and digest, like components,
-- so versions and skills that share a file share one row.
CREATE TABLE skill_files (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    digest      TEXT NOT NULL,
    bytes       BLOB NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, digest)
);
