-- Browser sessions from /console, kept in the database so that every process sharing it
-- sees a sign-out (a deleted row) at once. The cookie carries a random id; only its SHA-256
-- is stored. A session is bound to the origin (scheme://host[:port]) it was signed in on.
-- Expired rows are deleted at each sign-in.
CREATE TABLE sessions (
  id_hash    TEXT COLLATE "C" PRIMARY KEY,
  token_id   TEXT NOT NULL,
  origin     TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);
