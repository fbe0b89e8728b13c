-- PostgreSQL twin of ../sqlite/0013_caller_sessions_agent_tokens.sql;
-- tests/schema.rs keeps the two schemas' tables and columns in step.
-- Trust boundaries (security issue 20).
--
-- Session state is the caller's own: its namespace is now
-- `<tenant>/<skill>/agent:<agent id>` or `<tenant>/<skill>/integration:<id>`
-- (built in host/src/invocation/request.rs), so two agents, or an agent
-- and a skill server, that use the same session id no longer share state.
-- The rows written before this migration are keyed `<tenant>/<skill>` and
-- do not say which caller wrote them; giving them to any one caller could
-- hand one agent's notes to another, so they are dropped. Sessions start
-- empty once after the upgrade.
DELETE FROM session_state;

-- A token may be bound to one agent or runner: it then acts only as that
-- principal (host/src/server/auth.rs). NULL: not bound. Deleting the agent
-- deletes its tokens: SET NULL would turn a token meant for one agent into
-- one for every agent of the tenant.
ALTER TABLE api_tokens ADD COLUMN agent_id TEXT REFERENCES agents(id) ON DELETE CASCADE;
