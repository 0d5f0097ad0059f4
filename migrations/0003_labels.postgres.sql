-- Taxonomy versions and label assignments.
CREATE TABLE taxonomy_versions (
  version    INTEGER PRIMARY KEY,
  taxonomy   JSONB NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE TABLE label_assignments (
  item_type        TEXT NOT NULL CHECK (item_type IN ('conversation', 'note')),
  item_id          TEXT COLLATE "C" NOT NULL,
  label            TEXT COLLATE "C" NOT NULL,
  source           TEXT NOT NULL CHECK (source IN ('rule', 'model', 'llm', 'manual')),
  confidence       DOUBLE PRECISION NOT NULL,
  evidence         JSONB NOT NULL,
  analyzer_version TEXT NOT NULL,
  taxonomy_version INTEGER,
  note_version     INTEGER,
  analyzed_at      BIGINT NOT NULL,
  PRIMARY KEY (item_type, item_id, label)
);
CREATE INDEX label_assignments_label ON label_assignments (label, item_type);

ALTER TABLE notes ADD COLUMN analyzed_version INTEGER;

ALTER TABLE analysis_runs ADD COLUMN taxonomy_version INTEGER;
ALTER TABLE analysis_runs ADD COLUMN analyzer_version TEXT;
ALTER TABLE analysis_runs ADD COLUMN added JSONB NOT NULL DEFAULT '[]';
ALTER TABLE analysis_runs ADD COLUMN removed JSONB NOT NULL DEFAULT '[]';
ALTER TABLE analysis_runs ADD COLUMN applied BOOLEAN NOT NULL DEFAULT TRUE;
