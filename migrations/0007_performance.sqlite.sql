-- label_assignments_label (label, item_type) is a prefix of label_assignments_label_item
-- (label, item_type, item_id), which serves every query the first one did; each label
-- write paid for both.
DROP INDEX label_assignments_label;
