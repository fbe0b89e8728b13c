-- PostgreSQL twin of ../sqlite/0005_skill_capability_diff.sql (BYTEA for bytes, BIGINT for integers);
-- tests/schema.rs keeps the two schemas' tables and columns in step.
-- When a new version of an approved skill asks for more than the approved
-- grant, it waits for approval and this column shows what it adds (JSON).
ALTER TABLE skills ADD COLUMN capability_diff TEXT;
