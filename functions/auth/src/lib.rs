//! The `auth` Spin component: a thin adapter that hands each request to the shared `auth` router,
//! and `/openapi.json` to the document's.

use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use zudui_spin::routes;

#[spin_sdk::http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    zudui_spin::serve(req, out, |app, req| match req.uri().path() {
        "/openapi.json" => Box::pin(routes::docs::route(app, req)),
        _ => Box::pin(routes::auth::route(app, req)),
    })
    .await
}
