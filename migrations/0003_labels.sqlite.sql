-- Taxonomy versions and label assignments.
CREATE TABLE taxonomy_versions (
  version    INTEGER PRIMARY KEY,
  taxonomy   TEXT NOT NULL,  -- JSON, the normalized input
  created_at INTEGER NOT NULL
);

-- An item's current labels. Conversations: item_id = fs_id. Notes: item_id = note_id;
-- the labels are those of the note's latest analyzed version (note_version).
CREATE TABLE label_assignments (
  item_type        TEXT NOT NULL CHECK (item_type IN ('conversation', 'note')),
  item_id          TEXT NOT NULL,
  label            TEXT NOT NULL,
  source           TEXT NOT NULL CHECK (source IN ('rule', 'model', 'llm', 'manual')),
  confidence       REAL NOT NULL,
  evidence         TEXT NOT NULL,  -- JSON array
  analyzer_version TEXT NOT NULL,
  taxonomy_version INTEGER,
  note_version     INTEGER,
  analyzed_at      INTEGER NOT NULL,
  PRIMARY KEY (item_type, item_id, label)
);
CREATE INDEX label_assignments_label ON label_assignments (label, item_type);

-- The latest analyzed version of each note (never moves backwards).
ALTER TABLE notes ADD COLUMN analyzed_version INTEGER;

-- What each run changed.
ALTER TABLE analysis_runs ADD COLUMN taxonomy_version INTEGER;
ALTER TABLE analysis_runs ADD COLUMN analyzer_version TEXT;
ALTER TABLE analysis_runs ADD COLUMN added TEXT NOT NULL DEFAULT '[]';
ALTER TABLE analysis_runs ADD COLUMN removed TEXT NOT NULL DEFAULT '[]';
ALTER TABLE analysis_runs ADD COLUMN applied INTEGER NOT NULL DEFAULT 1;  -- 0: a stale note version, labels left alone
