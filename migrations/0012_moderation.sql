-- Moderation: the review queue (reports and WeChat's `review` verdicts), mutes in group chats,
-- bans, and chat messages whose content moderation withdrew.

-- One open item per target (`user:<id>`, `group:<id>`, `message:<room kind>:<room id>:<id>`,
-- `file:<id>`, `announcement:<group id>:<id>`): later reports and verdicts add to it. Resolved
-- items keep their verdict for 30 days, then are deleted a few at a time by later reports.
CREATE TABLE review_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    target TEXT NOT NULL,
    reports INTEGER NOT NULL DEFAULT 0,   -- distinct reporters
    wechat INTEGER NOT NULL DEFAULT 0,    -- WeChat verdicts
    wechat_label TEXT,                    -- WeChat's latest label
    excerpt TEXT NOT NULL DEFAULT '',     -- the text concerned, as last reported
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    resolved_at INTEGER,
    verdict TEXT                          -- dismissed, removed, muted or banned
);
CREATE UNIQUE INDEX review_items_open ON review_items (target) WHERE resolved_at IS NULL;
CREATE INDEX review_items_resolved ON review_items (resolved_at) WHERE resolved_at IS NOT NULL;

-- Who reported an item and why: one row per reporter and item.
CREATE TABLE review_reports (
    item_id INTEGER NOT NULL,
    reporter_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (item_id, reporter_id)
) WITHOUT ROWID;

-- A user who may not send in a group's room until `until`. Expired rows stop applying by
-- themselves and are deleted a few at a time by later mutes.
CREATE TABLE mutes (
    group_id INTEGER NOT NULL,
    user_id TEXT NOT NULL,
    until INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX mutes_by_until ON mutes (until);

-- A banned user's tokens stop working and they cannot sign in, until `banned_until` (NULL:
-- for good) or an unban.
ALTER TABLE users ADD COLUMN banned_at INTEGER;
ALTER TABLE users ADD COLUMN banned_until INTEGER;
ALTER TABLE users ADD COLUMN ban_reason TEXT;

-- A withdrawn message keeps its id, sender, type and time; its content and file are gone.
ALTER TABLE chat_messages ADD COLUMN withdrawn_at INTEGER;
