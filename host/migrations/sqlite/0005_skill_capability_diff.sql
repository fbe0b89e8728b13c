-- When a new version of an approved skill asks for more than the approved
-- grant, it waits for approval and this column shows what it adds (JSON).
ALTER TABLE skills ADD COLUMN capability_diff TEXT;
