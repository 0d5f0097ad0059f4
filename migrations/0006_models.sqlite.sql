-- Learned classifiers: every training makes a new version; at most one is active.
CREATE TABLE models (
  version    INTEGER PRIMARY KEY,
  created_at INTEGER NOT NULL,
  active     INTEGER NOT NULL DEFAULT 0,
  labels     TEXT NOT NULL,  -- JSON array of the label names it learned
  examples   INTEGER NOT NULL,
  sources    TEXT NOT NULL,  -- JSON: how many examples came from where
  train_ms   INTEGER NOT NULL,
  model      BLOB NOT NULL   -- TextClassifier.serialize()
);
CREATE UNIQUE INDEX models_one_active ON models (active) WHERE active = 1;

-- Which model version made a label, and which one a run used (NULL: rules only).
ALTER TABLE label_assignments ADD COLUMN model_version INTEGER;
ALTER TABLE analysis_runs ADD COLUMN model_version INTEGER;
