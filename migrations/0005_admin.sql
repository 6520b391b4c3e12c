-- Every write made through the admin console (/debug), newest last: who (`bearer` for scripts,
-- `console` for the signed-in page), what, on which row, and the change as JSON.
CREATE TABLE admin_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,             -- create, update, delete, sign_in, sign_out
    target TEXT NOT NULL,             -- table:key, or `console`
    detail TEXT                       -- JSON
);
