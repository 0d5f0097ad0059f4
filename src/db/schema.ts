import type { ColumnType, Generated } from "kysely";

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
  /**
   * A digest of what analysis reads (subject, messages): the ack transaction
   * writes labels only if it still matches the content that was analyzed.
   */
  content_hash: string | null;
  /** Characters of text analysis reads: batches and list pages are bounded by it. */
  content_bytes: ColumnType<number, number | undefined, number>;
}

export interface NotesTable {
  note_id: string;
  latest_version: number;
  created_at: number;
  /** created_at of the latest version: a note's "last activity", used for ranges. */
  updated_at: number;
  /** The latest version analysis has labeled the note from; never moves backwards. */
  analyzed_version: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface NoteVersionsTable {
  note_id: string;
  version: number;
  text: string;
  metadata: Json;
  created_at: number;
  /** A digest of the version's text and metadata: re-imports of an identical version are no-ops. */
  content_hash: string | null;
  content_bytes: ColumnType<number, number | undefined, number>;
}

export type MessageState = "pending" | "running" | "done" | "failed" | "cancelled";

export interface MessagesTable {
  id: Generated<number>;
  topic: string;
  /** Canonical JSON of the normalized key: equal keys are equal strings (dedup). */
  key: string;
  data: Json;
  state: MessageState;
  priority: number;
  attempts: number;
  max_attempts: number;
  run_at: number;
  lease_token: string | null;
  lease_expires_at: number | null;
  last_error: string | null;
  created_at: number;
  finished_at: number | null;
  /** Runners that lost this message's lease (died, stalled): not attempts, but bounded too. */
  lease_expiries: ColumnType<number, number | undefined, number>;
}

export interface AnalysisRunsTable {
  id: Generated<number>;
  item_type: "conversation" | "note";
  item_id: string;
  note_version: number | null;
  message_id: number | null;
  analyzed_at: number;
  taxonomy_version: number | null;
  analyzer_version: string | null;
  job_id: ColumnType<number | null, number | null | undefined, number | null>;
  added: ColumnType<unknown, string | undefined, string>;
  removed: ColumnType<unknown, string | undefined, string>;
  /** 0 for a stale note version: analyzed, but the note's labels were left alone (PostgreSQL reads it as a boolean). */
  applied: ColumnType<boolean | number, number | undefined, number>;
  model_version: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface TaxonomyVersionsTable {
  version: number;
  taxonomy: Json;
  created_at: number;
}

export type LabelSource = "rule" | "model" | "llm" | "manual";

export interface LabelAssignmentsTable {
  item_type: "conversation" | "note";
  item_id: string;
  label: string;
  source: LabelSource;
  confidence: number;
  evidence: Json;
  analyzer_version: string;
  taxonomy_version: number | null;
  note_version: number | null;
  analyzed_at: number;
  model_version: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface ModelsTable {
  version: number;
  created_at: number;
  active: number;
  labels: Json;
  examples: number;
  sources: Json;
  train_ms: number;
  model: Uint8Array;
}

export type JobStatus = "fanning_out" | "running" | "done" | "cancelled";
export type JobType = "both" | "conversations" | "notes";

export interface ReanalysisJobsTable {
  id: Generated<number>;
  status: JobStatus;
  type: JobType;
  from_ms: number;
  until_ms: number;
  dry_run: number;
  sample_limit: number | null;
  total: Generated<number>;
  enqueued: Generated<number>;
  done: Generated<number>;
  failed: Generated<number>;
  skipped: Generated<number>;
  items_changed: Generated<number>;
  cursor_kind: "conversation" | "note" | null;
  cursor_at: number | null;
  cursor_id: string | null;
  /** The order the current kind is walked in: by (updated_at, id), or by id. */
  cursor_walk: Generated<"time" | "id">;
  created_at: number;
  fanned_out_at: number | null;
  finished_at: number | null;
}

export interface ReanalysisJobMessagesTable {
  job_id: number;
  message_id: number;
}

export interface ReanalysisJobChangesTable {
  job_id: number;
  label: string;
  added: number;
  removed: number;
}

export interface ManualLabelDecisionsTable {
  item_type: "conversation" | "note";
  item_id: string;
  label: string;
  decision: "add" | "remove";
  decided_at: number;
}

export interface ManualLabelEventsTable {
  id: Generated<number>;
  item_type: "conversation" | "note";
  item_id: string;
  label: string;
  action: "add" | "remove" | "override";
  at: number;
}

/** Browser sessions from /console: a hash of the cookie's random id, never the id itself. */
export interface SessionsTable {
  id_hash: string;
  /** The token that signed the session in (its id): the session has that token's scope while it is configured. */
  token_id: string;
  /** scheme://host[:port] the session was signed in on; it is refused anywhere else. */
  origin: string;
  created_at: number;
  expires_at: number;
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
  messages: MessagesTable;
  analysis_runs: AnalysisRunsTable;
  taxonomy_versions: TaxonomyVersionsTable;
  label_assignments: LabelAssignmentsTable;
  reanalysis_jobs: ReanalysisJobsTable;
  reanalysis_job_messages: ReanalysisJobMessagesTable;
  reanalysis_job_changes: ReanalysisJobChangesTable;
  manual_label_decisions: ManualLabelDecisionsTable;
  manual_label_events: ManualLabelEventsTable;
  relabel_migrations: MigrationsTable;
  models: ModelsTable;
  sessions: SessionsTable;
}

export function readJson<T>(value: unknown): T {
  return (typeof value === "string" ? JSON.parse(value) : value) as T;
}
