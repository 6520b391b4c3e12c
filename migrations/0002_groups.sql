-- Groups: membership, join requests, profile (tags, pictures), announcements, ratings, and the
-- search index. Member counts are kept in groups.user_cnt, updated in the same transaction as
-- group_members, so that sorting by size and the user_limit check need no counting.

CREATE TABLE group_types (
    name TEXT PRIMARY KEY,
    position INTEGER NOT NULL
);
INSERT INTO group_types (name, position) VALUES
    ('学习', 1), ('运动', 2), ('游戏', 3), ('出行', 4), ('竞赛', 5), ('兴趣', 6), ('其他', 7);

CREATE TABLE groups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL,
    name TEXT NOT NULL,
    info TEXT NOT NULL DEFAULT '',
    user_limit INTEGER NOT NULL,
    user_cnt INTEGER NOT NULL DEFAULT 1,
    creator_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    dismissed_at INTEGER,             -- NULL while active
    avatar_blob TEXT,
    avatar_type TEXT,
    avatar_etag TEXT,
    -- The time-independent part of the COMPREHENSIVE sort (see shared/src/search/mod.rs): up to 2
    -- points for members, one point per 30 days of creation time, half a point while not full.
    -- Later groups start higher instead of older ones decaying, so the order needs no clock and
    -- can be indexed.
    hot REAL GENERATED ALWAYS AS (
        2.0 * user_cnt / (user_cnt + 10.0) + created_at / 2592000.0 + 0.5 * (user_cnt < user_limit)
    ) VIRTUAL
);
-- Searches walk one of these in order and stop once the page is known (dismissed groups sort
-- apart, under a non-NULL dismissed_at).
CREATE INDEX groups_by_time ON groups (type, dismissed_at, created_at);
CREATE INDEX groups_by_members ON groups (type, dismissed_at, user_cnt);
CREATE INDEX groups_by_hot ON groups (type, dismissed_at, hot);
-- Searches with few hits rank them by these few columns, without reading the wide rows.
CREATE INDEX groups_rank ON groups (id, created_at, user_cnt, hot);
-- Name hints scan this in popularity order and stop at the tenth match.
CREATE INDEX groups_active_by_size ON groups (type, user_cnt DESC, name) WHERE dismissed_at IS NULL;

CREATE TABLE group_members (
    group_id INTEGER NOT NULL,
    user_id TEXT NOT NULL,
    is_admin INTEGER NOT NULL DEFAULT 0,
    nickname TEXT,                    -- in-group nickname; NULL shows the account's nickname
    joined_at INTEGER NOT NULL,
    has_rated INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
CREATE INDEX group_members_by_user ON group_members (user_id, group_id);

CREATE TABLE join_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id INTEGER NOT NULL,
    user_id TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',   -- pending, approved, rejected, closed
    created_at INTEGER NOT NULL,
    processed_at INTEGER,
    processed_by TEXT
);
CREATE UNIQUE INDEX join_requests_one_pending ON join_requests (group_id, user_id) WHERE status = 'pending';
CREATE INDEX join_requests_pending_by_group ON join_requests (group_id) WHERE status = 'pending';

CREATE TABLE group_tags (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id INTEGER NOT NULL,
    tag_text TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (group_id, tag_text)
);
CREATE INDEX group_tags_by_text ON group_tags (tag_text, group_id);

-- How many active groups of a type carry a tag text: the popularity behind tag hints.
CREATE TABLE tag_stats (
    type TEXT NOT NULL,
    tag_text TEXT NOT NULL,
    uses INTEGER NOT NULL,
    PRIMARY KEY (type, tag_text)
) WITHOUT ROWID;
CREATE INDEX tag_stats_by_uses ON tag_stats (type, uses DESC, tag_text);

CREATE TABLE group_pictures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id INTEGER NOT NULL,
    blob TEXT NOT NULL,
    content_type TEXT NOT NULL,
    etag TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX group_pictures_by_group ON group_pictures (group_id, id);

CREATE TABLE announcements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id INTEGER NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    author_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    pic_blob TEXT,
    pic_type TEXT,
    pic_etag TEXT
);
CREATE INDEX announcements_by_group ON announcements (group_id, id);

CREATE TABLE ratings (
    group_id INTEGER NOT NULL,
    rater_id TEXT NOT NULL,
    target_id TEXT NOT NULL,
    stars REAL NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (group_id, rater_id, target_id)
) WITHOUT ROWID;

-- Full-text index of active groups (rowid = group id). Text is indexed one character per token,
-- and again one pair of neighbouring characters per token in the `_bi` columns, every token
-- prefixed by its group's type (see shared/src/search/text.rs): any substring, Chinese included,
-- is found from a single character up, and a search reads only its type's lists.
CREATE VIRTUAL TABLE group_search USING fts5 (
    name, intro, tags, name_bi, intro_bi, tags_bi, tokenize = 'unicode61'
);
