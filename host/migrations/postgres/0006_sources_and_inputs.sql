-- PostgreSQL twin of ../sqlite/0006_sources_and_inputs.sql (BYTEA for bytes, BIGINT for integers);
-- tests/schema.rs keeps the two schemas' tables and columns in step.
-- URL-installed skills remember the sha256 they were pinned to (if any) and
-- when they were last synced, with the reason of the last failed sync.
ALTER TABLE skills ADD COLUMN source_sha256 TEXT;
ALTER TABLE skills ADD COLUMN synced_at TEXT;
ALTER TABLE skills ADD COLUMN sync_error TEXT;

-- The call's input, kept only when the operator enables input recording
-- (`--record-inputs`); NULL otherwise.
ALTER TABLE invocations ADD COLUMN input TEXT;
