//! The `auth` Spin component: a thin adapter that serves its areas' routes (`/auth` and
//! `/openapi.json`) from the shared route table (`zudui_shared::routes::AUTH`), and answers
//! every path no other component takes with 102.

use spin_sdk::http::{IncomingRequest, ResponseOutparam};

#[spin_sdk::http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    zudui_spin::serve(req, out, zudui_spin::routes::AUTH).await
}
