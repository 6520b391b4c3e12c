//! Storage on the local machine for the native server and the tests: rusqlite with its bundled
//! SQLite in WAL mode, and a directory of files as the key-value store.

mod kv;
mod sqlite;

pub use kv::DirKv;
pub use sqlite::SqliteDb;
