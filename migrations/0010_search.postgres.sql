-- Full-text search over items (GET /api/items?q=…): a tsvector per item in a table of its
-- own (so reading an item never carries its tsvector along), kept in step with every
-- write by triggers in the same transaction — the service functions, the importer and
-- anything that writes the rows directly (bench/load-items.ts, test fixtures) — and
-- erased with its item by the foreign key. GIN indexes. The 'simple' configuration: no
-- stemming and no stop words, so words of any language and script are found as written
-- (lowercased).
-- What is indexed: a conversation's subject and its messages' text, a note's latest
-- version's text; the first 250,000 characters of each, which keeps every tsvector well
-- under PostgreSQL's 1 MB limit whatever the text.
CREATE FUNCTION relabel_conversation_text(subject text, messages jsonb) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN left(subject || ' ' || coalesce(
    (SELECT string_agg(m ->> 'text', ' ') FROM jsonb_array_elements(messages) AS m), ''), 250000);

CREATE TABLE conversation_search (
  fs_id  TEXT COLLATE "C" PRIMARY KEY REFERENCES conversations (fs_id) ON DELETE CASCADE,
  search tsvector NOT NULL
);
CREATE INDEX conversation_search_gin ON conversation_search USING gin (search);

CREATE TABLE note_search (
  note_id TEXT COLLATE "C" PRIMARY KEY REFERENCES notes (note_id) ON DELETE CASCADE,
  search  tsvector NOT NULL
);
CREATE INDEX note_search_gin ON note_search USING gin (search);

CREATE FUNCTION relabel_conversation_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO conversation_search (fs_id, search)
    VALUES (NEW.fs_id, to_tsvector('simple', relabel_conversation_text(NEW.subject, NEW.messages)))
    ON CONFLICT (fs_id) DO UPDATE SET search = EXCLUDED.search;
  RETURN NULL;
END $$;

CREATE TRIGGER conversations_search_insert AFTER INSERT ON conversations
  FOR EACH ROW EXECUTE FUNCTION relabel_conversation_search();
CREATE TRIGGER conversations_search_update AFTER UPDATE OF subject, messages ON conversations
  FOR EACH ROW WHEN (OLD.subject IS DISTINCT FROM NEW.subject OR OLD.messages IS DISTINCT FROM NEW.messages)
  EXECUTE FUNCTION relabel_conversation_search();

-- A note is found by its latest version only: a version becomes the indexed text when it
-- is (or, written after its note row, as bench/load-items.ts does, will be) the latest.
CREATE FUNCTION relabel_note_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.version = (SELECT latest_version FROM notes WHERE note_id = NEW.note_id) THEN
    INSERT INTO note_search (note_id, search)
      VALUES (NEW.note_id, to_tsvector('simple', left(NEW.text, 250000)))
      ON CONFLICT (note_id) DO UPDATE SET search = EXCLUDED.search;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER note_versions_search_insert AFTER INSERT ON note_versions
  FOR EACH ROW EXECUTE FUNCTION relabel_note_search();

-- The items already stored.
INSERT INTO conversation_search (fs_id, search)
  SELECT fs_id, to_tsvector('simple', relabel_conversation_text(subject, messages)) FROM conversations;
INSERT INTO note_search (note_id, search)
  SELECT n.note_id, to_tsvector('simple', left(v.text, 250000))
  FROM notes n JOIN note_versions v ON v.note_id = n.note_id AND v.version = n.latest_version;

-- Filters by source: an index for the rarer sources only (rule labels are the bulk of the
-- table, and every rule label write would pay for it); the common source is dense enough
-- to be found by walking items in time order.
CREATE INDEX label_assignments_source ON label_assignments (item_type, source, item_id)
  WHERE source <> 'rule';
