-- The items a reanalysis job changed (GET /api/internal/labels/reanalysis/:id/items): its
-- runs that added or removed a label, by run id. Only those runs are indexed: live analysis
-- (no job) and runs that changed nothing never pay for it, and a page of a job's changes
-- costs the same whether a tenth or all of its items changed.
CREATE INDEX analysis_runs_job_changed ON analysis_runs (job_id, id)
  WHERE job_id IS NOT NULL AND (added <> '[]'::jsonb OR removed <> '[]'::jsonb);
