//! Work that is trusted but may be costly, such as a search over many groups. The host decides
//! where it runs while its request waits: natively on a thread of lower priority, so that it
//! cannot delay the cheap requests of others; on Spin, where a request owns its instance, in place.

use crate::error::{Error, Result};
use crate::sendable::MaybeSend;

/// The work, as a host runs it.
#[cfg(not(target_arch = "wasm32"))]
pub type Work<'a> = dyn FnMut() + Send + 'a;
#[cfg(target_arch = "wasm32")]
pub type Work<'a> = dyn FnMut() + 'a;

pub trait Costly: MaybeSend {
    /// Runs `work` to its end before returning (a panic in it comes back as a panic); false,
    /// without running it, when too much work already waits.
    fn run(&self, work: &mut Work<'_>) -> bool;
}

/// Runs the work right where it is asked for.
pub struct InPlace;

impl Costly for InPlace {
    fn run(&self, work: &mut Work<'_>) -> bool {
        work();
        true
    }
}

/// Runs `f` on `host` and returns what it made; 105 (try again in a second) when the host has
/// too much such work waiting.
pub fn run<T: MaybeSend>(
    host: &dyn Costly,
    f: impl FnOnce() -> Result<T> + MaybeSend,
) -> Result<T> {
    let (mut f, mut out) = (Some(f), None);
    let ran = host.run(&mut || {
        if let Some(f) = f.take() {
            out = Some(f());
        }
    });
    match (ran, out) {
        (true, Some(out)) => out,
        _ => Err(Error::Limited { retry_after: 1 }),
    }
}
