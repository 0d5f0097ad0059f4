-- The Overview's label distribution (src/overview/counts.ts) counts every label's items
-- per kind and source. With the source in the index it reads this index alone, in label
-- order, without a sort (SQLite, 1,000,000 items: GET /api/overview 3.3 s → 0.2–0.5 s on a
-- busy 2-core machine, bench/items-list.ts). It replaces
-- label_assignments_label_item (label, item_type, item_id), a prefix of it that serves every
-- query the old one did (a label's items by id; the Items list's label filters), so a label
-- write still pays for one index keyed by label.
CREATE INDEX label_assignments_label_item_source ON label_assignments (label, item_type, item_id, source);
DROP INDEX label_assignments_label_item;
