-- Uploads in progress go to a group's folder (group_id, parent_id) or to a chat room's temporary
-- files (room_kind, room_id), and are sent in parts through the API or, `direct`, by the client
-- straight to object storage as one object. SQLite cannot relax a NOT NULL in place: the table is
-- rebuilt, its ids and their sequence kept.
CREATE TABLE file_uploads_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id INTEGER,
    parent_id INTEGER,
    room_kind TEXT,
    room_id INTEGER,
    name TEXT NOT NULL,
    size INTEGER NOT NULL,
    part_size INTEGER NOT NULL,
    uploader_id TEXT NOT NULL,
    blob TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    direct INTEGER NOT NULL DEFAULT 0,
    CHECK (
        (group_id IS NOT NULL AND room_kind IS NULL AND room_id IS NULL)
        OR (group_id IS NULL AND parent_id IS NULL AND room_kind IN ('group', 'private')
            AND room_id IS NOT NULL)
    )
);
INSERT INTO file_uploads_new
    (id, group_id, parent_id, name, size, part_size, uploader_id, blob, created_at, expires_at)
SELECT id, group_id, parent_id, name, size, part_size, uploader_id, blob, created_at, expires_at
FROM file_uploads;
DELETE FROM sqlite_sequence WHERE name = 'file_uploads_new';
INSERT INTO sqlite_sequence (name, seq)
SELECT 'file_uploads_new', seq FROM sqlite_sequence WHERE name = 'file_uploads';
DROP TABLE file_uploads;
ALTER TABLE file_uploads_new RENAME TO file_uploads;
CREATE INDEX file_uploads_by_group ON file_uploads (group_id);
CREATE INDEX file_uploads_by_room ON file_uploads (room_kind, room_id);
CREATE INDEX file_uploads_to_rooms_by_uploader ON file_uploads (uploader_id)
    WHERE room_kind IS NOT NULL;
