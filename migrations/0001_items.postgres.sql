-- Conversations and versioned notes. Timestamps are epoch milliseconds.
-- Ids use the "C" collation so keyset order is byte order, as on SQLite.
CREATE TABLE conversations (
  fs_id      TEXT COLLATE "C" PRIMARY KEY,
  subject    TEXT NOT NULL DEFAULT '',
  messages   JSONB NOT NULL,
  metadata   JSONB NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX conversations_updated ON conversations (updated_at, fs_id);

CREATE TABLE notes (
  note_id        TEXT COLLATE "C" PRIMARY KEY,
  latest_version INTEGER NOT NULL,
  created_at     BIGINT NOT NULL,
  updated_at     BIGINT NOT NULL
);
CREATE INDEX notes_updated ON notes (updated_at, note_id);

CREATE TABLE note_versions (
  note_id    TEXT COLLATE "C" NOT NULL REFERENCES notes (note_id) ON DELETE CASCADE,
  version    INTEGER NOT NULL,
  text       TEXT NOT NULL,
  metadata   JSONB NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (note_id, version)
);
