//! `Send` where the host has threads. The native server runs handlers on a multi-threaded tokio
//! runtime, so its storage and bodies must be `Send + Sync`; a Spin component is single-threaded and
//! its SDK types are not, so on wasm the bound disappears.

use std::future::Future;
use std::pin::Pin;

#[cfg(not(target_arch = "wasm32"))]
mod bound {
    pub trait MaybeSend: Send + Sync {}
    impl<T: Send + Sync + ?Sized> MaybeSend for T {}
}

#[cfg(target_arch = "wasm32")]
mod bound {
    pub trait MaybeSend {}
    impl<T: ?Sized> MaybeSend for T {}
}

pub use bound::MaybeSend;

/// A boxed future that is `Send` on native hosts.
#[cfg(not(target_arch = "wasm32"))]
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
#[cfg(target_arch = "wasm32")]
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;
