-- MCP's tasks extension (io.modelcontextprotocol/tasks): a long tool call
-- answered with a task the client polls (host/src/server/mcp/tasks.rs).
-- Not seed 001's admin requests, which are `tasks`: these are `mcp_tasks`.
--
-- A task is its caller's alone: the tenant, the agent and the token
-- (`owner`) that started it. The replica running it (`node`) renews
-- `lease_until` while it runs; once the lease has passed, any replica
-- fails the task, so a task whose replica died is never left working.
-- A row is deleted once `expires_at` (its creation plus `ttl_ms`) passes.
CREATE TABLE mcp_tasks (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    agent_id         TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    owner            TEXT NOT NULL,
    tool             TEXT NOT NULL,
    status           TEXT NOT NULL,
    status_message   TEXT,
    result           TEXT,
    cancel_requested BIGINT NOT NULL DEFAULT 0,
    node             TEXT NOT NULL,
    lease_until      TEXT NOT NULL,
    ttl_ms           BIGINT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    expires_at       TEXT NOT NULL
);
CREATE INDEX mcp_tasks_working ON mcp_tasks (status, lease_until);
CREATE INDEX mcp_tasks_expiry ON mcp_tasks (expires_at);
