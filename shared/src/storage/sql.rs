//! Parameterized SQL: the only way the domain code reaches the database.

use crate::error::{Error, Result};
use crate::sendable::MaybeSend;

/// A SQLite value, as both hosts' drivers know it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// One result row, read by column index.
#[derive(Debug, Clone)]
pub struct Row(pub Vec<Value>);

impl Row {
    fn at(&self, i: usize) -> anyhow::Result<&Value> {
        self.0
            .get(i)
            .ok_or_else(|| anyhow::anyhow!("row has no column {i}"))
    }

    pub fn int(&self, i: usize) -> anyhow::Result<i64> {
        match self.at(i)? {
            Value::Integer(v) => Ok(*v),
            other => anyhow::bail!("column {i}: expected integer, got {other:?}"),
        }
    }

    /// An integer id column as its id type (`GroupId`, `FileId`, …).
    pub fn id<T: From<i64>>(&self, i: usize) -> anyhow::Result<T> {
        self.int(i).map(T::from)
    }

    /// A user id column.
    pub fn user_id(&self, i: usize) -> anyhow::Result<crate::ids::UserId> {
        self.text(i).map(crate::ids::UserId::from)
    }

    pub fn real(&self, i: usize) -> anyhow::Result<f64> {
        match self.at(i)? {
            Value::Real(v) => Ok(*v),
            Value::Integer(v) => Ok(*v as f64),
            other => anyhow::bail!("column {i}: expected real, got {other:?}"),
        }
    }

    pub fn text(&self, i: usize) -> anyhow::Result<String> {
        match self.at(i)? {
            Value::Text(v) => Ok(v.clone()),
            other => anyhow::bail!("column {i}: expected text, got {other:?}"),
        }
    }

    pub fn opt_text(&self, i: usize) -> anyhow::Result<Option<String>> {
        match self.at(i)? {
            Value::Null => Ok(None),
            _ => self.text(i).map(Some),
        }
    }

    pub fn opt_int(&self, i: usize) -> anyhow::Result<Option<i64>> {
        match self.at(i)? {
            Value::Null => Ok(None),
            _ => self.int(i).map(Some),
        }
    }

    pub fn bool(&self, i: usize) -> anyhow::Result<bool> {
        Ok(self.int(i)? != 0)
    }
}

/// A connection: run one statement with positional `?` parameters.
pub trait Sql {
    /// Runs a statement and returns how many rows it changed.
    fn execute(&self, sql: &str, params: &[Value]) -> anyhow::Result<u64>;
    /// Runs a query and returns every row.
    fn query(&self, sql: &str, params: &[Value]) -> anyhow::Result<Vec<Row>>;
}

/// Where connections come from: a pool natively, the component's one connection on Spin.
pub trait Database: MaybeSend {
    fn with_conn(&self, f: &mut dyn FnMut(&dyn Sql) -> anyhow::Result<()>) -> anyhow::Result<()>;
}

impl dyn Database + '_ {
    /// Runs `f` on one connection.
    pub fn run<T>(&self, f: impl FnOnce(&dyn Sql) -> Result<T>) -> Result<T> {
        let mut f = Some(f);
        let mut out = None;
        self.with_conn(&mut |conn| {
            if let Some(f) = f.take() {
                out = Some(f(conn));
            }
            Ok(())
        })?;
        out.unwrap_or_else(|| Err(anyhow::anyhow!("database closure did not run").into()))
    }

    /// Runs `f` in one write transaction on one connection (see [`Sql::tx`]).
    pub fn tx<T>(&self, f: impl FnOnce(&dyn Sql) -> Result<T>) -> Result<T> {
        self.run(|conn| conn.tx(f))
    }
}

impl dyn Sql + '_ {
    /// Runs `f` in one write transaction: everything it did is kept if it succeeds, nothing if it
    /// fails. `BEGIN IMMEDIATE` takes the write lock first, so read-then-write checks inside hold.
    pub fn tx<T>(&self, f: impl FnOnce(&dyn Sql) -> Result<T>) -> Result<T> {
        self.execute("BEGIN IMMEDIATE", &[])?;
        let out = f(self);
        let end = if out.is_ok() { "COMMIT" } else { "ROLLBACK" };
        if let Err(err) = self.execute(end, &[]) {
            // A failed COMMIT leaves the transaction open; close it so the connection is clean.
            let _ = self.execute("ROLLBACK", &[]);
            return Err(Error::Internal(err));
        }
        out
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Integer(v)
    }
}

impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Value::Integer(v.into())
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Integer(v.into())
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Real(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}

impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Blob(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// `params![a, b, c]` builds a parameter slice from anything that converts into [`Value`].
#[macro_export]
macro_rules! params {
    () => { &[] as &[$crate::storage::Value] };
    ($($v:expr),+ $(,)?) => { &[$($crate::storage::Value::from($v)),+] as &[$crate::storage::Value] };
}
