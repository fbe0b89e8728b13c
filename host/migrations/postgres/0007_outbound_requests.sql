-- PostgreSQL twin of ../sqlite/0007_outbound_requests.sql (BYTEA for bytes, BIGINT for integers);
-- tests/schema.rs keeps the two schemas' tables and columns in step.
-- Each invocation's outbound requests as the guard reported them (origin,
-- status, bytes, time, refusal): a JSON array, `[]` for calls that made
-- none. Never paths, queries, headers or bodies.
ALTER TABLE invocations ADD COLUMN requests TEXT NOT NULL DEFAULT '[]';
