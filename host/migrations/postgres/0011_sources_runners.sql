-- PostgreSQL twin of ../sqlite/0011_sources_runners.sql (the same SQL).
-- Seed 004's sources. A skill that is not a component (kind skill_md,
-- openapi_action or mcp_registry) keeps what it was made from in
-- `source_detail` (JSON: the SKILL.md bundle, the OpenAPI operations or the
-- remote server and its tools, with seed 004's author, tags and sourceRef);
-- its `digest` is the sha256 of what was fetched. A sync whose result asks
-- for more than was approved waits in `pending_source` (JSON: manifest,
-- detail and digest) until an admin approves it; the skill keeps serving
-- the approved content meanwhile.
ALTER TABLE skills ADD COLUMN source_detail TEXT;
ALTER TABLE skills ADD COLUMN pending_source TEXT;

-- Seed 004's runners are principals like agents (skills attached, a
-- context, MCP), kept in the same table so every call path serves both;
-- `kind` keeps their management surfaces apart. Names stay unique across
-- both within a tenant.
ALTER TABLE agents ADD COLUMN kind TEXT NOT NULL DEFAULT 'agent';
