-- Rate-limit buckets where the instances share nothing but the database (Spin): a row for each
-- bucket that is not full, since a full bucket is the same as none. Rows whose bucket has
-- refilled (full_at_ms passed) are deleted a few at a time by later changes, so the table holds
-- about the users and addresses active within a refill time, and the key-value store none.
CREATE TABLE rate_buckets (
    key TEXT PRIMARY KEY,
    tokens REAL NOT NULL,
    at_ms INTEGER NOT NULL,
    full_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX rate_buckets_by_full_at ON rate_buckets (full_at_ms);
