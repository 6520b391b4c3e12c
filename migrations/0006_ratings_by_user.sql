-- A user's ratings, received and given: the admin console's user view, and recounting a
-- user's totals after the console deletes ratings.
CREATE INDEX ratings_by_target ON ratings (target_id);
CREATE INDEX ratings_by_rater ON ratings (rater_id);
