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

/// Makes a stream `Send` for APIs that ask for it (the multipart parser, response bodies). Native
/// streams must already be `Send`; a Spin component has one thread, so there the bound is moot.
#[cfg(not(target_arch = "wasm32"))]
pub fn send_stream<S: futures_util::Stream + Send + 'static>(
    stream: S,
) -> impl futures_util::Stream<Item = S::Item> + Send {
    stream
}

#[cfg(target_arch = "wasm32")]
pub fn send_stream<S: futures_util::Stream + 'static>(
    stream: S,
) -> impl futures_util::Stream<Item = S::Item> + Send {
    SingleThreaded(Box::pin(stream))
}

#[cfg(target_arch = "wasm32")]
struct SingleThreaded<S>(Pin<Box<S>>);

// SAFETY: wasm32-wasip2 components have exactly one thread; nothing can move the value to another.
#[cfg(target_arch = "wasm32")]
unsafe impl<S> Send for SingleThreaded<S> {}

#[cfg(target_arch = "wasm32")]
impl<S: futures_util::Stream> futures_util::Stream for SingleThreaded<S> {
    type Item = S::Item;

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.0.as_mut().poll_next(cx)
    }
}
