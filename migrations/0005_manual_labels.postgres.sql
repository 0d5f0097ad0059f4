CREATE TABLE manual_label_decisions (
  item_type  TEXT NOT NULL CHECK (item_type IN ('conversation', 'note')),
  item_id    TEXT COLLATE "C" NOT NULL,
  label      TEXT COLLATE "C" NOT NULL,
  decision   TEXT NOT NULL CHECK (decision IN ('add', 'remove')),
  decided_at BIGINT NOT NULL,
  PRIMARY KEY (item_type, item_id, label)
);

CREATE TABLE manual_label_events (
  id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  item_type TEXT NOT NULL,
  item_id   TEXT COLLATE "C" NOT NULL,
  label     TEXT COLLATE "C" NOT NULL,
  action    TEXT NOT NULL CHECK (action IN ('add', 'remove', 'override')),
  at        BIGINT NOT NULL
);
CREATE INDEX manual_label_events_item ON manual_label_events (item_type, item_id, id);

CREATE INDEX label_assignments_label_item ON label_assignments (label, item_type, item_id);
CREATE INDEX analysis_runs_message ON analysis_runs (message_id);
