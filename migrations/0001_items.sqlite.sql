-- Conversations and versioned notes. Timestamps are epoch milliseconds.
CREATE TABLE conversations (
  fs_id      TEXT PRIMARY KEY,
  subject    TEXT NOT NULL DEFAULT '',
  messages   TEXT NOT NULL,  -- JSON array of {role, text, at}
  metadata   TEXT NOT NULL,  -- JSON object
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX conversations_updated ON conversations (updated_at, fs_id);

CREATE TABLE notes (
  note_id        TEXT PRIMARY KEY,
  latest_version INTEGER NOT NULL,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL  -- created_at of the latest version
);
CREATE INDEX notes_updated ON notes (updated_at, note_id);

CREATE TABLE note_versions (
  note_id    TEXT NOT NULL REFERENCES notes (note_id) ON DELETE CASCADE,
  version    INTEGER NOT NULL,
  text       TEXT NOT NULL,
  metadata   TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (note_id, version)
);
