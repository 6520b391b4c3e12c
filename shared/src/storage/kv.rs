//! The key-value store of the host.

use crate::sendable::MaybeSend;

/// A flat key-value store. Values are at most about 1 MiB, so that hosted Spin KV can hold them.
pub trait KeyValue: MaybeSend {
    fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>>;
    fn set(&self, key: &str, value: &[u8]) -> anyhow::Result<()>;
    fn delete(&self, key: &str) -> anyhow::Result<()>;
}
