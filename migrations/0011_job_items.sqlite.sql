-- The items a reanalysis job changed (GET /api/internal/labels/reanalysis/:id/items): its
-- runs that added or removed a label, by run id. Only those runs are indexed: live analysis
-- (no job) and runs that changed nothing never pay for it, and a page of a job's changes
-- costs the same whether a tenth or all of its items changed. Queries must repeat this
-- condition word for word for SQLite to use the index (src/reanalysis/jobs.ts, jobItems).
CREATE INDEX analysis_runs_job_changed ON analysis_runs (job_id, id)
  WHERE job_id IS NOT NULL AND (added <> '[]' OR removed <> '[]');
