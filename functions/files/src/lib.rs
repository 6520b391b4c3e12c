//! The `files` Spin component: a thin adapter that serves its areas' routes from the
//! shared route table (`zudui_shared::routes::FILES`).

use spin_sdk::http::{IncomingRequest, ResponseOutparam};

#[spin_sdk::http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    zudui_spin::serve(req, out, zudui_spin::routes::FILES).await
}
