-- label_assignments_label (label, item_type) is a prefix of label_assignments_label_item
-- (label, item_type, item_id), which serves every query the first one did; each label
-- write paid for both.
DROP INDEX label_assignments_label;

-- Runs were looked up by message only to name their job afterwards; the job is now written
-- with the run, and every run insert paid for this index.
DROP INDEX analysis_runs_message;

-- The order a job walks the current kind of item in: 'time' (updated_at, id), or 'id' when
-- most items of that kind are in the job's range. Items taken in id order are neighbours in
-- every index keyed by item (labels, runs), so a batch's writes touch a few pages of each
-- instead of one page per item.
ALTER TABLE reanalysis_jobs ADD COLUMN cursor_walk TEXT NOT NULL DEFAULT 'time' CHECK (cursor_walk IN ('time', 'id'));
