-- Seed 001's human-in-the-loop tasks: an agent asks (skill_request,
-- connector_request), an admin approves or denies. One pending task per
-- identical request.
CREATE TABLE tasks (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,          -- skill_request | connector_request
    agent_id    TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    subject     TEXT NOT NULL,          -- the skill's id, or the connector's id
    reason      TEXT NOT NULL,
    status      TEXT NOT NULL,          -- pending | approved | denied
    created_at  TEXT NOT NULL,
    decided_at  TEXT,
    decided_by  TEXT,
    note        TEXT
);
CREATE INDEX tasks_tenant_status ON tasks (tenant_id, status, created_at, id);
CREATE UNIQUE INDEX tasks_one_pending ON tasks (tenant_id, kind, agent_id, subject) WHERE status = 'pending';
