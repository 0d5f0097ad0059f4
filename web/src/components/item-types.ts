/** The shapes the Item page reads, as the API documents them (src/items/*.ts, src/labels/*.ts). */

export type ItemKind = "conversation" | "note";

export interface Evidence {
  rule: string;
  pattern: string;
  field: "subject" | "message" | "note";
  message_index?: number;
  /** UTF-16 offsets into the field's text: text.slice(start, end) is the match. */
  start: number;
  end: number;
  excerpt: string;
}

export interface ItemLabel {
  name: string;
  source: "rule" | "model" | "llm" | "manual";
  confidence: number;
  evidence: Evidence[];
  taxonomy_version: number | null;
  model_version: number | null;
  analyzed_at: string;
  /** The current taxonomy no longer has this label: nothing adds it again; a person can remove it. */
  retired: boolean;
}

export interface Conversation {
  fs_id: string;
  subject: string;
  messages: { role: "customer" | "agent" | "system"; text: string; at: string | null }[];
  metadata: Record<string, unknown>;
  created_at: string;
  updated_at: string;
  labels: ItemLabel[];
}

export interface NoteVersion {
  note_id: string;
  version: number;
  text: string;
  metadata: Record<string, unknown>;
  created_at: string;
}

export interface Note extends NoteVersion {
  latest_version: number;
  first_created_at: string;
  labels: ItemLabel[];
}

export interface HistoryEntry {
  at: string;
  kind: "analysis" | "manual";
  added: string[];
  removed: string[];
  run_id?: number;
  message_id?: number | null;
  job_id?: number | null;
  taxonomy_version?: number | null;
  analyzer_version?: string | null;
  model_version?: number | null;
  note_version?: number | null;
  applied?: boolean;
  action?: "add" | "remove" | "override";
  /** manual: the label decided on. */
  label?: string;
}

/** The API's path for an item: /api/conversations/:fs_id or /api/notes/:note_id. */
export function itemPath(kind: ItemKind, id: string): string {
  return `/api/${kind === "conversation" ? "conversations" : "notes"}/${encodeURIComponent(id)}`;
}
