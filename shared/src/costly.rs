//! Work that is trusted but may be costly, such as a search over many groups. The host decides
//! where it runs while its request waits: natively on a thread of lower priority, so that it
//! cannot delay the cheap requests of others; on Spin, where a request owns its instance, in place.

use crate::sendable::MaybeSend;

/// The work, as a host runs it.
#[cfg(not(target_arch = "wasm32"))]
pub type Work<'a> = dyn FnMut() + Send + 'a;
#[cfg(target_arch = "wasm32")]
pub type Work<'a> = dyn FnMut() + 'a;

pub trait Costly: MaybeSend {
    /// Runs `work` to its end before returning (a panic in it comes back as a panic).
    fn run(&self, work: &mut Work<'_>);
}

/// Runs the work right where it is asked for.
pub struct InPlace;

impl Costly for InPlace {
    fn run(&self, work: &mut Work<'_>) {
        work()
    }
}

/// Runs `f` on `host` and returns what it made.
pub fn run<T: MaybeSend>(host: &dyn Costly, f: impl FnOnce() -> T + MaybeSend) -> T {
    let (mut f, mut out) = (Some(f), None);
    host.run(&mut || {
        if let Some(f) = f.take() {
            out = Some(f());
        }
    });
    out.expect("costly work runs to its end")
}
