-- The per-user cap on temporary chat files sums a user's files that have not expired.
CREATE INDEX chat_files_by_uploader ON chat_files (uploader_id, expires_at);
