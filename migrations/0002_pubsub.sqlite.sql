-- The pub/sub: durable messages with dedup, leases, retries and dead letters.
CREATE TABLE messages (
  id               INTEGER PRIMARY KEY,
  topic            TEXT NOT NULL,
  key              TEXT NOT NULL,     -- canonical JSON of the normalized key (sorted fields)
  data             TEXT NOT NULL,     -- JSON object
  state            TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed', 'cancelled')),
  priority         INTEGER NOT NULL DEFAULT 0,  -- lower runs first: live work 0, bulk work higher
  attempts         INTEGER NOT NULL DEFAULT 0,
  max_attempts     INTEGER NOT NULL,
  run_at           INTEGER NOT NULL,  -- not claimed before this (backoff)
  lease_token      TEXT,
  lease_expires_at INTEGER,
  last_error       TEXT,
  created_at       INTEGER NOT NULL,
  finished_at      INTEGER
);
-- One pending message per key and topic: publishing it again returns that one.
CREATE UNIQUE INDEX messages_pending_key ON messages (topic, key) WHERE state = 'pending';
CREATE INDEX messages_due ON messages (topic, priority, run_at, id) WHERE state = 'pending';
CREATE INDEX messages_leases ON messages (lease_expires_at) WHERE state = 'running';
CREATE INDEX messages_failed ON messages (topic, id) WHERE state = 'failed';
CREATE INDEX messages_finished ON messages (finished_at) WHERE state IN ('done', 'cancelled');

-- What each analysis did, per item; the labeling issue adds the labels.
CREATE TABLE analysis_runs (
  id           INTEGER PRIMARY KEY,
  item_type    TEXT NOT NULL CHECK (item_type IN ('conversation', 'note')),
  item_id      TEXT NOT NULL,
  note_version INTEGER,
  message_id   INTEGER,
  analyzed_at  INTEGER NOT NULL
);
CREATE INDEX analysis_runs_item ON analysis_runs (item_type, item_id, id);
