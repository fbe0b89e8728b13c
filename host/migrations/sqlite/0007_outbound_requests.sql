-- Each invocation's outbound requests as the guard reported them (origin,
-- status, bytes, time, refusal): a JSON array, `[]` for calls that made
-- none. Never paths, queries, headers or bodies.
ALTER TABLE invocations ADD COLUMN requests TEXT NOT NULL DEFAULT '[]';
