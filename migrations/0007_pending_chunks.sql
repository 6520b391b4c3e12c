-- How many chunks a pending blob may have, when its chunks can have gaps (a resumable upload's
-- parts arrive in any order): the sweep deletes them all instead of stopping at the first gap.
-- NULL: written in order, so the sweep counts them from chunk 0.
ALTER TABLE blob_pending ADD COLUMN chunks INTEGER;
