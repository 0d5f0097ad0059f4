/** The answers of GET /api/overview, /api/internal/overview and /api/labels/trend, as the Overview reads them. */

import type { TopicCounts } from "./topics-table";

export interface ItemTotals {
  items: number;
  labeled: number;
  unlabeled: number;
}

export interface BySource {
  total: number;
  rule: number;
  model: number;
  llm: number;
  manual: number;
}

export interface LabelCounts {
  name: string;
  items: number;
  conversations: BySource;
  notes: BySource;
}

export interface RunningJob {
  id: number;
  status: "fanning_out" | "running" | "done" | "cancelled";
  type: "conversations" | "notes" | "both";
  from: string;
  until: string;
  dry_run: boolean;
  total: number;
  done: number;
  failed: number;
  skipped: number;
  rate_per_second: number | null;
  eta_seconds: number | null;
  created_at: string;
}

export interface Overview {
  generated_at: string;
  totals: { conversations: ItemTotals; notes: ItemTotals; all: ItemTotals };
  labels: LabelCounts[];
  /** Only in the admin answer. */
  queues?: TopicCounts[];
  jobs?: RunningJob[];
}

export interface Trend {
  from: string;
  until: string;
  bucket: "hour" | "day" | "week";
  buckets: string[];
  series: { label: string; counts: number[]; total: number }[];
}

export const SOURCES = ["rule", "model", "llm", "manual"] as const;
export type Source = (typeof SOURCES)[number];

/** A label's items from one source, conversations and notes together. */
export const fromSource = (label: LabelCounts, source: Source) =>
  label.conversations[source] + label.notes[source];
