-- Private chat rooms: one per pair of users, `user_a` the smaller id, made on first contact.
-- Group rooms need no row: a group's room id is the group id.
CREATE TABLE private_rooms (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_a TEXT NOT NULL,
    user_b TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_message_at INTEGER,
    UNIQUE (user_a, user_b)
);
CREATE INDEX private_rooms_by_b ON private_rooms (user_b);
