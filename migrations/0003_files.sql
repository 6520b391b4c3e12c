-- Group file space: a folder tree per group whose file contents live in the blob store, in
-- numbered chunks of `chunk_size` bytes under the key `blob`. Quota is SUM(size) of a group's
-- rows (covered by group_files_size), checked inside the write transaction, so it cannot drift.

-- File ids come from one sequence for group files and temporary chat files, so that a file
-- message's `file_id` names one file whichever space it is in.
CREATE TABLE file_ids (id INTEGER PRIMARY KEY AUTOINCREMENT);

CREATE TABLE group_files (
    id INTEGER PRIMARY KEY,           -- from file_ids
    group_id INTEGER NOT NULL,
    parent_id INTEGER,                -- NULL: the root folder
    name TEXT NOT NULL,
    is_dir INTEGER NOT NULL,
    size INTEGER NOT NULL DEFAULT 0,
    file_type TEXT NOT NULL DEFAULT 'file',   -- image, voice, video or file
    content_type TEXT NOT NULL DEFAULT '',
    duration REAL NOT NULL DEFAULT 0,
    uploader_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    blob TEXT,                        -- NULL for folders
    chunk_size INTEGER NOT NULL DEFAULT 0,
    etag TEXT NOT NULL DEFAULT '',
    -- 0: none made yet (an image makes one on first request), 1: stored under `<blob>.thumb`,
    -- 2: none possible (an image that does not decode, or a video uploaded without one)
    thumbnail INTEGER NOT NULL DEFAULT 0
);
-- Names are unique per folder; the root is folder 0 here.
CREATE UNIQUE INDEX group_files_names ON group_files (group_id, ifnull(parent_id, 0), name);
CREATE INDEX group_files_children ON group_files (parent_id);
CREATE INDEX group_files_size ON group_files (group_id, size);

-- Blobs whose chunks may exist while no file row owns them: an upload in progress, or a file
-- deleted whose chunks are being removed. A crash leaves the row, and the sweep collects it.
CREATE TABLE blob_pending (
    blob TEXT PRIMARY KEY,
    since INTEGER NOT NULL
) WITHOUT ROWID;

-- Resumable uploads: parts of `part_size` bytes put in any order, then completed into a file.
CREATE TABLE file_uploads (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id INTEGER NOT NULL,
    parent_id INTEGER,
    name TEXT NOT NULL,
    size INTEGER NOT NULL,
    part_size INTEGER NOT NULL,
    uploader_id TEXT NOT NULL,
    blob TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX file_uploads_by_group ON file_uploads (group_id);

CREATE TABLE file_upload_parts (
    upload_id INTEGER NOT NULL,
    part INTEGER NOT NULL,
    size INTEGER NOT NULL,
    PRIMARY KEY (upload_id, part)
) WITHOUT ROWID;

-- Chat messages of every room. Group rooms have the group's id; private rooms get their own ids
-- (the chat's tables). `file_info` is the file's description when the message was sent.
CREATE TABLE chat_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    room_kind TEXT NOT NULL,          -- group or private
    room_id INTEGER NOT NULL,
    user_id TEXT NOT NULL,
    msg_type TEXT NOT NULL,           -- text, image, voice, video or file
    content TEXT,
    file_id INTEGER,
    file_info TEXT,
    at TEXT,                          -- JSON array of user ids, group rooms only
    created_at INTEGER NOT NULL
);
CREATE INDEX chat_messages_by_room ON chat_messages (room_kind, room_id, id);
