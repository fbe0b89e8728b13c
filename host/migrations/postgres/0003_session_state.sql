-- PostgreSQL twin of ../sqlite/0003_session_state.sql (BYTEA for bytes, BIGINT for integers);
-- tests/schema.rs keeps the two schemas' tables and columns in step.
-- Session state of skills served by the service, so that it survives
-- restarts and is shared by every replica. The namespace starts with the
-- tenant id (`<tenant>/<skill>`), which keeps tenants and skills apart.
CREATE TABLE session_state (
    namespace   TEXT NOT NULL,
    session_id  TEXT NOT NULL,
    key         TEXT NOT NULL,
    value       BYTEA NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (namespace, session_id, key)
);
