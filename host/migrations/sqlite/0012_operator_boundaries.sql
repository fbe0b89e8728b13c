-- Private networks open for a tenant only where the operator allows it:
-- a tenant's admins may approve `allowPrivateNetwork` when this is set
-- (the operator's own tenant always has it; the operator sets it for others
-- through PATCH /api/tenants/{id}).
ALTER TABLE tenants ADD COLUMN allow_private_network INTEGER NOT NULL DEFAULT 0;
UPDATE tenants SET allow_private_network = 1
    WHERE id IN (SELECT tenant_id FROM api_tokens WHERE operator = 1);

-- Why a skill waits for an admin beyond what it newly declares (JSON:
-- `codeChanged`, the sensitive grant fields the new code would inherit, and
-- a reason such as a stored mount that names no operator volume). Cleared
-- by an approval, like `capability_diff`.
ALTER TABLE skills ADD COLUMN review TEXT;

-- Every approval, refusal and grant change, for the audit trail: who (the
-- token), what (`subject`: skill, ability, mcp_server or tenant), which
-- digest, and the grant as clients see it (secret ids, volume names, env
-- and config keys; never a value). `reviewed` is 1 when the admin named
-- the digest or version they reviewed, 0 for an approval without it
-- (scripts, `--preload`).
CREATE TABLE approvals (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    token_id    TEXT NOT NULL,
    subject     TEXT NOT NULL,
    subject_id  TEXT NOT NULL,
    action      TEXT NOT NULL,
    digest      TEXT,
    reviewed    INTEGER NOT NULL DEFAULT 0,
    detail      TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX approvals_tenant_time ON approvals (tenant_id, created_at, id);
