-- Bulk reanalysis jobs: a time range fanned out into analysis messages, with progress.
CREATE TABLE reanalysis_jobs (
  id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  status       TEXT NOT NULL CHECK (status IN ('fanning_out', 'running', 'done', 'cancelled')),
  type         TEXT NOT NULL CHECK (type IN ('both', 'conversations', 'notes')),
  from_ms      BIGINT NOT NULL,
  until_ms     BIGINT NOT NULL,
  dry_run      INTEGER NOT NULL DEFAULT 0,
  sample_limit INTEGER,
  total        BIGINT NOT NULL DEFAULT 0,
  enqueued     BIGINT NOT NULL DEFAULT 0,
  done         BIGINT NOT NULL DEFAULT 0,
  failed       BIGINT NOT NULL DEFAULT 0,
  skipped      BIGINT NOT NULL DEFAULT 0,
  items_changed BIGINT NOT NULL DEFAULT 0,
  cursor_kind  TEXT,
  cursor_at    BIGINT,
  cursor_id    TEXT COLLATE "C",
  created_at   BIGINT NOT NULL,
  fanned_out_at BIGINT,
  finished_at  BIGINT
);

CREATE TABLE reanalysis_job_messages (
  job_id     BIGINT NOT NULL,
  message_id BIGINT NOT NULL,
  PRIMARY KEY (message_id, job_id)
);
CREATE INDEX reanalysis_job_messages_job ON reanalysis_job_messages (job_id);

CREATE TABLE reanalysis_job_changes (
  job_id  BIGINT NOT NULL,
  label   TEXT COLLATE "C" NOT NULL,
  added   BIGINT NOT NULL DEFAULT 0,
  removed BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (job_id, label)
);

ALTER TABLE analysis_runs ADD COLUMN job_id BIGINT;
