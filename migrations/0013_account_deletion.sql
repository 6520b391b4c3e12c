-- Deleting an account (注销) and exporting a user's data (PIPL arts. 45 and 47) find every row
-- of one user: the messages they sent (the export reads the newest first), their join requests,
-- the group files they uploaded and the announcements they wrote.
CREATE INDEX chat_messages_by_user ON chat_messages (user_id, id);
CREATE INDEX join_requests_by_user ON join_requests (user_id);
CREATE INDEX group_files_by_uploader ON group_files (uploader_id);
CREATE INDEX announcements_by_author ON announcements (author_id);
