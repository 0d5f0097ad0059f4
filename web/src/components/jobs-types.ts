/** The answers of the reanalysis routes (/api/internal/labels/reanalysis…), as the Jobs pages read them. */

export type JobStatus = "fanning_out" | "running" | "done" | "cancelled";

export interface Job {
  id: number;
  status: JobStatus;
  type: "conversations" | "notes" | "both";
  from: string;
  until: string;
  dry_run: boolean;
  total: number;
  enqueued: number;
  done: number;
  failed: number;
  skipped: number;
  items_changed: number;
  changes: { label: string; added: number; removed: number }[];
  rate_per_second: number | null;
  eta_seconds: number | null;
  sample_limit: number | null;
  created_at: string;
  fanned_out_at: string | null;
  finished_at: string | null;
  url: string;
}

export interface JobItem {
  run_id: number;
  type: "conversation" | "note";
  id: string;
  note_version: number | null;
  added: string[];
  removed: string[];
  analyzed_at: string;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** A job still has work ahead: its page polls, and it can be cancelled. */
export const isActive = (job: Job) => job.status === "fanning_out" || job.status === "running";

/** Items the job has finished with, whichever way (done, failed, skipped). */
export const finishedOf = (job: Job) => job.done + job.failed + job.skipped;

export const statusText = (status: JobStatus) => (status === "fanning_out" ? "fanning out" : status);

export const jobPath = (id: number) => `/jobs/${id}`;

/** An item's page in the app; an id is data, so it is encoded as one path segment. */
export const itemPath = (type: string, id: string) =>
  `/items/${encodeURIComponent(type)}/${encodeURIComponent(id)}`;
