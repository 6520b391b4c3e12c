//! Asking to be polled again soon, on either host: a stream that returns `Pending` without
//! waiting for anything (to let its reader work on what it has) must make sure it is polled again.

use std::task::Context;

/// Has the task polled again soon. Natively the waker does it. Spin's executor (spin-executor
/// 5.2) ignores wakers: it polls the request's future again only when one of the WASI pollables
/// registered with it is ready (and panics when none is), so there the request registers a
/// clock pollable that is due at once.
pub fn soon(cx: &Context<'_>) {
    #[cfg(not(target_arch = "wasm32"))]
    cx.waker().wake_by_ref();
    #[cfg(target_arch = "wasm32")]
    spin_executor::push_waker(
        wasi::clocks::monotonic_clock::subscribe_duration(0),
        cx.waker().clone(),
    );
}
