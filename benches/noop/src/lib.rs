//! A component that answers every request with 200 and a small JSON body and does nothing else:
//! no stores, no variables. What it costs is what Spin costs per request, the floor that
//! `benches/spin.rs` compares Zudui's components with. It is built like them (same SDK, same
//! release profile), so the ratio is Zudui's own work.

use spin_sdk::http::{Request, Response};

#[spin_sdk::http_component]
fn handle(_req: Request) -> Response {
    Response::builder()
        .status(200)
        .header("content-type", "application/json; charset=utf-8")
        .body(r#"{"code":0,"msg":"success"}"#)
        .build()
}
