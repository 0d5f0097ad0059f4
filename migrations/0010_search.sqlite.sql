-- Full-text search over items (GET /api/items?q=…), kept in step with every write by
-- triggers: the service functions, the importer, and anything that writes the rows
-- directly (bench/load-items.ts, test fixtures) are all covered, in the same transaction.
-- Contentless FTS5 tables (the text is not stored twice); contentless_delete lets a
-- replaced or erased item's entry be deleted by rowid. Rowids come from search_ids, not
-- from the items' own rowids, which VACUUM may renumber (their keys are TEXT).
-- What is indexed: a conversation's subject and its messages' text, a note's latest
-- version's text; the first 250,000 characters of each (as on PostgreSQL, where a
-- tsvector is capped at 1 MB). unicode61 with remove_diacritics: words in any script,
-- case- and accent-insensitive.
CREATE TABLE search_ids (
  id        INTEGER PRIMARY KEY,
  item_type TEXT NOT NULL CHECK (item_type IN ('conversation', 'note')),
  item_id   TEXT NOT NULL,
  UNIQUE (item_type, item_id)
);
CREATE VIRTUAL TABLE conversation_search USING fts5(
  body, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE note_search USING fts5(
  body, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER conversations_search_insert AFTER INSERT ON conversations BEGIN
  INSERT OR IGNORE INTO search_ids (item_type, item_id) VALUES ('conversation', new.fs_id);
  INSERT INTO conversation_search (rowid, body)
    SELECT id, substr(new.subject || ' ' || coalesce(
      (SELECT group_concat(json_extract(m.value, '$.text'), ' ') FROM json_each(new.messages) m), ''), 1, 250000)
    FROM search_ids WHERE item_type = 'conversation' AND item_id = new.fs_id;
END;

CREATE TRIGGER conversations_search_update AFTER UPDATE OF subject, messages ON conversations
WHEN old.subject IS NOT new.subject OR old.messages IS NOT new.messages BEGIN
  DELETE FROM conversation_search
    WHERE rowid = (SELECT id FROM search_ids WHERE item_type = 'conversation' AND item_id = new.fs_id);
  INSERT INTO conversation_search (rowid, body)
    SELECT id, substr(new.subject || ' ' || coalesce(
      (SELECT group_concat(json_extract(m.value, '$.text'), ' ') FROM json_each(new.messages) m), ''), 1, 250000)
    FROM search_ids WHERE item_type = 'conversation' AND item_id = new.fs_id;
END;

CREATE TRIGGER conversations_search_delete AFTER DELETE ON conversations BEGIN
  DELETE FROM conversation_search
    WHERE rowid = (SELECT id FROM search_ids WHERE item_type = 'conversation' AND item_id = old.fs_id);
  DELETE FROM search_ids WHERE item_type = 'conversation' AND item_id = old.fs_id;
END;

-- A note is found by its latest version only: a version becomes the indexed text when it
-- is (or, written after its note row, as bench/load-items.ts does, will be) the latest.
CREATE TRIGGER note_versions_search_insert AFTER INSERT ON note_versions
WHEN new.version = (SELECT latest_version FROM notes WHERE note_id = new.note_id) BEGIN
  INSERT OR IGNORE INTO search_ids (item_type, item_id) VALUES ('note', new.note_id);
  DELETE FROM note_search
    WHERE rowid = (SELECT id FROM search_ids WHERE item_type = 'note' AND item_id = new.note_id);
  INSERT INTO note_search (rowid, body)
    SELECT id, substr(new.text, 1, 250000)
    FROM search_ids WHERE item_type = 'note' AND item_id = new.note_id;
END;

CREATE TRIGGER notes_search_delete AFTER DELETE ON notes BEGIN
  DELETE FROM note_search
    WHERE rowid = (SELECT id FROM search_ids WHERE item_type = 'note' AND item_id = old.note_id);
  DELETE FROM search_ids WHERE item_type = 'note' AND item_id = old.note_id;
END;

-- The items already stored.
INSERT INTO search_ids (item_type, item_id) SELECT 'conversation', fs_id FROM conversations;
INSERT INTO search_ids (item_type, item_id) SELECT 'note', note_id FROM notes;
INSERT INTO conversation_search (rowid, body)
  SELECT s.id, substr(c.subject || ' ' || coalesce(
    (SELECT group_concat(json_extract(m.value, '$.text'), ' ') FROM json_each(c.messages) m), ''), 1, 250000)
  FROM conversations c JOIN search_ids s ON s.item_type = 'conversation' AND s.item_id = c.fs_id;
INSERT INTO note_search (rowid, body)
  SELECT s.id, substr(v.text, 1, 250000)
  FROM notes n
  JOIN note_versions v ON v.note_id = n.note_id AND v.version = n.latest_version
  JOIN search_ids s ON s.item_type = 'note' AND s.item_id = n.note_id;

-- Filters by source: an index for the rarer sources only (rule labels are the bulk of the
-- table, and every rule label write would pay for it); the common source is dense enough
-- to be found by walking items in time order.
CREATE INDEX label_assignments_source ON label_assignments (item_type, source, item_id)
  WHERE source <> 'rule';
