-- PostgreSQL twin of ../sqlite/0004_assignment_narrowing.sql (BYTEA for bytes, BIGINT for integers);
-- tests/schema.rs keeps the two schemas' tables and columns in step.
-- Per-assignment narrowing of a skill's approved grant (for example: no
-- network for this agent). JSON object; empty means "the grant as approved".
ALTER TABLE assignments ADD COLUMN narrowing TEXT NOT NULL DEFAULT '{}';
