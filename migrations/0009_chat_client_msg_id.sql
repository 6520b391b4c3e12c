-- Idempotent sends: the id a client gave its message (`client_msg_id`), unique per sender and
-- room. A repeat within a day returns the stored message; past a day the old message's id is
-- cleared when the sender uses it again.
ALTER TABLE chat_messages ADD COLUMN client_msg_id TEXT;
CREATE UNIQUE INDEX chat_messages_by_client_msg_id
    ON chat_messages (room_kind, room_id, user_id, client_msg_id)
    WHERE client_msg_id IS NOT NULL;
