-- Decisions people made about an item's labels. They outlive re-analysis: a
-- manual add stays, a manual removal is not undone by a rule, until handed back.
CREATE TABLE manual_label_decisions (
  item_type  TEXT NOT NULL CHECK (item_type IN ('conversation', 'note')),
  item_id    TEXT NOT NULL,
  label      TEXT NOT NULL,
  decision   TEXT NOT NULL CHECK (decision IN ('add', 'remove')),
  decided_at INTEGER NOT NULL,
  PRIMARY KEY (item_type, item_id, label)
);

-- Every manual change, for an item's label history.
CREATE TABLE manual_label_events (
  id        INTEGER PRIMARY KEY,
  item_type TEXT NOT NULL,
  item_id   TEXT NOT NULL,
  label     TEXT NOT NULL,
  action    TEXT NOT NULL CHECK (action IN ('add', 'remove', 'override')),
  at        INTEGER NOT NULL
);
CREATE INDEX manual_label_events_item ON manual_label_events (item_type, item_id, id);

CREATE INDEX label_assignments_label_item ON label_assignments (label, item_type, item_id);
CREATE INDEX analysis_runs_message ON analysis_runs (message_id);
