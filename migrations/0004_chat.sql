-- Private chat rooms: one per pair of users, `user_a` the smaller id, made on first contact.
-- Group rooms need no row: a group's room id is the group id.
CREATE TABLE private_rooms (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_a TEXT NOT NULL,
    user_b TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_message_id INTEGER,          -- orders /chat/getChat, newest conversation first
    last_message_at INTEGER,
    UNIQUE (user_a, user_b)
);
CREATE INDEX private_rooms_by_b ON private_rooms (user_b);

-- Temporary files of a room (`/chat/files/upload`), kept until `expires_at`, then swept with
-- their blobs. Their ids come from file_ids, like group files.
CREATE TABLE chat_files (
    id INTEGER PRIMARY KEY,
    room_kind TEXT NOT NULL,
    room_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    uploader_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    blob TEXT NOT NULL,
    chunk_size INTEGER NOT NULL,
    size INTEGER NOT NULL,
    file_type TEXT NOT NULL,
    content_type TEXT NOT NULL,
    duration REAL NOT NULL,
    etag TEXT NOT NULL,
    thumbnail INTEGER NOT NULL
);
CREATE INDEX chat_files_by_room ON chat_files (room_kind, room_id);
CREATE INDEX chat_files_by_expiry ON chat_files (expires_at);
