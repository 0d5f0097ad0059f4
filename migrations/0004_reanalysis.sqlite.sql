-- Bulk reanalysis jobs: a time range fanned out into analysis messages, with progress.
CREATE TABLE reanalysis_jobs (
  id           INTEGER PRIMARY KEY,
  status       TEXT NOT NULL CHECK (status IN ('fanning_out', 'running', 'done', 'cancelled')),
  type         TEXT NOT NULL CHECK (type IN ('both', 'conversations', 'notes')),
  from_ms      INTEGER NOT NULL,
  until_ms     INTEGER NOT NULL,
  dry_run      INTEGER NOT NULL DEFAULT 0,
  sample_limit INTEGER,           -- dry runs analyze at most this many items
  total        INTEGER NOT NULL DEFAULT 0,  -- items in range (exact once fan-out is done)
  enqueued     INTEGER NOT NULL DEFAULT 0,  -- new messages (the rest were already pending)
  done         INTEGER NOT NULL DEFAULT 0,
  failed       INTEGER NOT NULL DEFAULT 0,
  skipped      INTEGER NOT NULL DEFAULT 0,  -- nothing to analyze any more (item deleted) or cancelled by others
  items_changed INTEGER NOT NULL DEFAULT 0,
  -- fan-out position: which kind, and the last (timestamp, id) enqueued
  cursor_kind  TEXT,
  cursor_at    INTEGER,
  cursor_id    TEXT,
  created_at   INTEGER NOT NULL,
  fanned_out_at INTEGER,
  finished_at  INTEGER
);

-- Which jobs still wait on which message: a message may serve several jobs.
CREATE TABLE reanalysis_job_messages (
  job_id     INTEGER NOT NULL,
  message_id INTEGER NOT NULL,
  PRIMARY KEY (message_id, job_id)
);
CREATE INDEX reanalysis_job_messages_job ON reanalysis_job_messages (job_id);

-- What a job changed (or, for a dry run, would change), per label.
CREATE TABLE reanalysis_job_changes (
  job_id  INTEGER NOT NULL,
  label   TEXT NOT NULL,
  added   INTEGER NOT NULL DEFAULT 0,
  removed INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (job_id, label)
);

ALTER TABLE analysis_runs ADD COLUMN job_id INTEGER;
