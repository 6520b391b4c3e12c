-- WeChat content security (src: shared/src/content/).
--
-- Leases: one caller at a time refreshes a shared secret such as WeChat's access token; a row
-- names what is being refreshed and until when the caller that took it may hold it.
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    until_ms INTEGER NOT NULL
) WITHOUT ROWID;

-- Verdicts of WeChat's msgSecCheck, reused for the same text for a short time (the hosted
-- outbound budget). Keyed by a digest of scene and text, never the text; rows older than the
-- reuse time are deleted a few at a time by later inserts, so the table holds about one reuse
-- time's worth of checks.
CREATE TABLE text_verdicts (
    digest TEXT PRIMARY KEY,
    suggest TEXT NOT NULL,            -- pass, review or risky
    label INTEGER NOT NULL,
    checked_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX text_verdicts_by_time ON text_verdicts (checked_at);

-- Pictures and voice submitted to mediaCheckAsync, until WeChat's verdict arrives (or they are
-- given up: after a day, or five refused submissions). `target` names what to take down, pinned
-- to the bytes checked (`content::media::Media::key`): `avatar:<user>:<blob>`,
-- `group_avatar:<group>:<blob>`, `group_picture:<group>:<picture>`,
-- `announcement_picture:<group>:<id>:<blob>`, `chat_file:<file id>`. `trace_id` is NULL while
-- WeChat has not taken it (queued for a later submission).
CREATE TABLE media_checks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    trace_id TEXT UNIQUE,
    target TEXT NOT NULL,
    user_id TEXT NOT NULL,
    media_type INTEGER NOT NULL,      -- WeChat's: 1 audio, 2 image
    created_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX media_checks_by_time ON media_checks (created_at);
