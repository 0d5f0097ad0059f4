-- The pub/sub: durable messages with dedup, leases, retries and dead letters.
CREATE TABLE messages (
  id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  topic            TEXT COLLATE "C" NOT NULL,
  key              TEXT COLLATE "C" NOT NULL,
  data             JSONB NOT NULL,
  state            TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed', 'cancelled')),
  priority         INTEGER NOT NULL DEFAULT 0,
  attempts         INTEGER NOT NULL DEFAULT 0,
  max_attempts     INTEGER NOT NULL,
  run_at           BIGINT NOT NULL,
  lease_token      TEXT,
  lease_expires_at BIGINT,
  last_error       TEXT,
  created_at       BIGINT NOT NULL,
  finished_at      BIGINT
);
CREATE UNIQUE INDEX messages_pending_key ON messages (topic, key) WHERE state = 'pending';
CREATE INDEX messages_due ON messages (topic, priority, run_at, id) WHERE state = 'pending';
CREATE INDEX messages_leases ON messages (lease_expires_at) WHERE state = 'running';
CREATE INDEX messages_failed ON messages (topic, id) WHERE state = 'failed';
CREATE INDEX messages_finished ON messages (finished_at) WHERE state IN ('done', 'cancelled');

CREATE TABLE analysis_runs (
  id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  item_type    TEXT NOT NULL CHECK (item_type IN ('conversation', 'note')),
  item_id      TEXT COLLATE "C" NOT NULL,
  note_version INTEGER,
  message_id   BIGINT,
  analyzed_at  BIGINT NOT NULL
);
CREATE INDEX analysis_runs_item ON analysis_runs (item_type, item_id, id);
