//! Storage on the local machine for the native server and the tests: rusqlite with its bundled
//! SQLite in WAL mode.

mod kv;
mod sqlite;

pub use kv::SqliteKv;
pub use sqlite::SqliteDb;
