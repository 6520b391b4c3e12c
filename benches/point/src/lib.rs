//! A component that runs one point query on the `default` database (the `users` row of the id in
//! the request's `token` header, which matches none: the lookup is the same) and answers 200.
//! `benches/spin.rs` runs it on a copy of a seeded Zudui database: what any request that reads
//! Zudui's database costs at least on Spin (a new SQLite connection per request, which reads the
//! whole schema before its first statement), beside the no-op component and Zudui's own reads.

use spin_sdk::http::{Request, Response};
use spin_sdk::sqlite3::{Connection, Value};

#[spin_sdk::http_component]
fn handle(req: Request) -> anyhow::Result<Response> {
    let id = req
        .header("token")
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    let db = Connection::open_default()?;
    let found = db.execute(
        "SELECT nickname, info, rating_sum, rating_count, created_at FROM users WHERE id = ?",
        &[Value::Text(id.to_owned())],
    )?;
    Ok(Response::builder()
        .status(200)
        .header("content-type", "application/json; charset=utf-8")
        .body(format!(
            r#"{{"code":0,"msg":"success","rows":{}}}"#,
            found.rows.len()
        ))
        .build())
}
