//! Spin's SQLite (`spin:sqlite@3.0.0`, which reads the change count without a statement) and
//! key-value store behind the shared storage traits. Their calls are synchronous.

use spin_sdk::key_value::Store;
use spin_sdk::sqlite3::{Connection, Value as SpinValue};
use zudui_shared::storage::{Database, KeyValue, Row, Sql, Value};

/// The `default` database; one connection serves the whole request.
pub struct SpinDb(Connection);

impl SpinDb {
    pub fn open() -> anyhow::Result<SpinDb> {
        Ok(SpinDb(Connection::open_default().map_err(|e| {
            anyhow::anyhow!("cannot open the default SQLite database: {e}")
        })?))
    }
}

impl Database for SpinDb {
    fn with_conn(&self, f: &mut dyn FnMut(&dyn Sql) -> anyhow::Result<()>) -> anyhow::Result<()> {
        f(self)
    }
}

impl Sql for SpinDb {
    fn execute(&self, sql: &str, params: &[Value]) -> anyhow::Result<u64> {
        self.run(sql, params)?;
        // SQLite's count for the connection, read by the host without running a statement.
        Ok(self.0.changes())
    }

    fn query(&self, sql: &str, params: &[Value]) -> anyhow::Result<Vec<Row>> {
        self.run(sql, params)
    }
}

impl SpinDb {
    fn run(&self, sql: &str, params: &[Value]) -> anyhow::Result<Vec<Row>> {
        let params: Vec<SpinValue> = params.iter().map(to_spin).collect();
        let result = self
            .0
            .execute(sql, &params)
            .map_err(|e| anyhow::anyhow!("sqlite: {e}"))?;
        Ok(result
            .rows
            .into_iter()
            .map(|row| Row(row.values.into_iter().map(from_spin).collect()))
            .collect())
    }
}

fn to_spin(value: &Value) -> SpinValue {
    match value {
        Value::Null => SpinValue::Null,
        Value::Integer(v) => SpinValue::Integer(*v),
        Value::Real(v) => SpinValue::Real(*v),
        Value::Text(v) => SpinValue::Text(v.clone()),
        Value::Blob(v) => SpinValue::Blob(v.clone()),
    }
}

fn from_spin(value: SpinValue) -> Value {
    match value {
        SpinValue::Null => Value::Null,
        SpinValue::Integer(v) => Value::Integer(v),
        SpinValue::Real(v) => Value::Real(v),
        SpinValue::Text(v) => Value::Text(v),
        SpinValue::Blob(v) => Value::Blob(v),
    }
}

/// The `default` key-value store, opened on first use: most requests never touch it, and each
/// request is a new instance, so opening it up front would cost every request a host call.
#[derive(Default)]
pub struct SpinKv(std::cell::OnceCell<Store>);

impl SpinKv {
    fn store(&self) -> anyhow::Result<&Store> {
        if let Some(store) = self.0.get() {
            return Ok(store);
        }
        let store = Store::open_default()
            .map_err(|e| anyhow::anyhow!("cannot open the default key-value store: {e}"))?;
        Ok(self.0.get_or_init(|| store))
    }
}

impl KeyValue for SpinKv {
    fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        self.store()?
            .get(key)
            .map_err(|e| anyhow::anyhow!("kv get: {e}"))
    }

    fn set(&self, key: &str, value: &[u8]) -> anyhow::Result<()> {
        self.store()?
            .set(key, value)
            .map_err(|e| anyhow::anyhow!("kv set: {e}"))
    }

    fn delete(&self, key: &str) -> anyhow::Result<()> {
        self.store()?
            .delete(key)
            .map_err(|e| anyhow::anyhow!("kv delete: {e}"))
    }
}
