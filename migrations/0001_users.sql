-- Users and their personal tags.
-- Foreign keys are not enforced by Spin's SQLite, so deletes that span tables are done by the
-- domain code in one transaction rather than by ON DELETE CASCADE.

CREATE TABLE users (
    id TEXT PRIMARY KEY,              -- opaque, random; never the openid
    openid TEXT NOT NULL UNIQUE,
    nickname TEXT NOT NULL,
    info TEXT NOT NULL DEFAULT '',
    rating_sum REAL NOT NULL DEFAULT 0,
    rating_count INTEGER NOT NULL DEFAULT 0,
    avatar_blob TEXT,                 -- key of the avatar in the blob store; NULL: default image
    avatar_type TEXT,
    avatar_etag TEXT,
    created_at INTEGER NOT NULL
);

CREATE TABLE user_tags (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL,
    tag_text TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (user_id, tag_text)
);
