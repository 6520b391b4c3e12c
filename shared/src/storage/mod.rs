//! Storage behind traits, so that the same domain code runs on Spin (SQLite and key-value of the
//! host) and natively (rusqlite and a local key-value file).

mod blob;
mod kv;
mod sql;

pub use blob::Blobs;
pub use kv::KeyValue;
pub use sql::{Database, Row, Sql, Value};
