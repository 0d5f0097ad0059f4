import type { ColumnType } from "kysely";

/**
 * The tables as Kysely sees them. Timestamps are epoch milliseconds (BIGINT);
 * JSON columns are TEXT on SQLite and JSONB on PostgreSQL, so they are written
 * as strings and read back through `readJson`.
 */
export type Json = ColumnType<unknown, string, string>;

export interface ConversationsTable {
  fs_id: string;
  subject: string;
  messages: Json;
  metadata: Json;
  created_at: number;
  updated_at: number;
}

export interface NotesTable {
  note_id: string;
  latest_version: number;
  created_at: number;
  /** created_at of the latest version: a note's "last activity", used for ranges. */
  updated_at: number;
}

export interface NoteVersionsTable {
  note_id: string;
  version: number;
  text: string;
  metadata: Json;
  created_at: number;
}

export interface MigrationsTable {
  id: number;
  name: string;
  applied_at: number;
}

export interface Schema {
  conversations: ConversationsTable;
  notes: NotesTable;
  note_versions: NoteVersionsTable;
  relabel_migrations: MigrationsTable;
}

export function readJson<T>(value: unknown): T {
  return (typeof value === "string" ? JSON.parse(value) : value) as T;
}
