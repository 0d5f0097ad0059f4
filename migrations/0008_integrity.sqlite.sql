-- What analysis reads, fingerprinted and measured at every write. The ack transaction
-- writes labels only while the item still has the content that was analyzed (a delete
-- or a change in between makes the analysis moot); batches and list pages are bounded
-- by content_bytes; an import line identical to a version the note has is not appended.
-- Rows written before this migration have no hash: their first analysis is trusted as before.
ALTER TABLE conversations ADD COLUMN content_hash TEXT;
ALTER TABLE conversations ADD COLUMN content_bytes INTEGER NOT NULL DEFAULT 0;
UPDATE conversations SET content_bytes = length(subject) + length(messages) + length(metadata);

ALTER TABLE note_versions ADD COLUMN content_hash TEXT;
ALTER TABLE note_versions ADD COLUMN content_bytes INTEGER NOT NULL DEFAULT 0;
UPDATE note_versions SET content_bytes = length(text) + length(metadata);
CREATE INDEX note_versions_content ON note_versions (note_id, content_hash);

-- A lease that expires is not the message's fault and no longer uses up an attempt;
-- this counts expiries instead, so a message whose runner dies every time still ends.
ALTER TABLE messages ADD COLUMN lease_expiries INTEGER NOT NULL DEFAULT 0;
