//! The `user` Spin component: a thin adapter that hands each request to the shared `user` router.

use spin_sdk::http::{IncomingRequest, ResponseOutparam};

#[spin_sdk::http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    zudui_spin::serve(req, out, |app, req| {
        Box::pin(zudui_spin::routes::user::route(app, req))
    })
    .await
}
