-- Per-assignment narrowing of a skill's approved grant (for example: no
-- network for this agent). JSON object; empty means "the grant as approved".
ALTER TABLE assignments ADD COLUMN narrowing TEXT NOT NULL DEFAULT '{}';
