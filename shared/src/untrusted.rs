//! Parsers of uploaded bytes (video and audio containers, image decoders) are third-party code
//! facing hostile input: each call runs as a job under a time budget, and whatever goes wrong in
//! it (an error, a panic, a timeout, a budget overrun) comes back as a [`Failure`] that the caller
//! turns into a harmless result (duration 0, no thumbnail, 333), never a dead or stuck process.
//!
//! The host decides where jobs run: [`Inline`] runs them in the request itself (a Spin component,
//! where one request owns one instance), the native server on a small pool of its own threads.

use std::any::Any;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use crate::sendable::{BoxFuture, MaybeSend};

/// Time given to recognising a voice or video file (type and duration).
pub const PROBE_TIME: Duration = Duration::from_secs(5);
/// Time given to decoding and re-encoding one picture (a 40-megapixel PNG takes about a second).
pub const PICTURE_TIME: Duration = Duration::from_secs(15);
/// Bytes a parser may read from a file's 2 MiB sample: the sample a few times over, so that a
/// parser going round the same boxes fails early.
pub const PROBE_READ_BYTES: u64 = 16 << 20;

/// What a job may spend: it ends by `deadline`. Parsers that read through our own readers check
/// it on every read, so a looping parser fails soon after, while the host's timeout answers the
/// caller on time whatever the job does.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub deadline: Instant,
}

impl Budget {
    pub fn of(time: Duration) -> Budget {
        Budget {
            deadline: Instant::now() + time,
        }
    }

    pub fn expired(&self) -> bool {
        Instant::now() >= self.deadline
    }
}

/// Why a job gave no result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// It panicked.
    Panicked,
    /// It did not end within its time.
    TimedOut,
    /// No worker was free within its time.
    Busy,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Failure::Panicked => "panicked",
            Failure::TimedOut => "ran out of time",
            Failure::Busy => "found no free worker in time",
        })
    }
}

/// A job with its result type erased, so that runners can be trait objects.
pub type Job = Box<dyn FnOnce(Budget) -> Box<dyn Any + Send> + Send>;
pub type Outcome = std::result::Result<Box<dyn Any + Send>, Failure>;

/// Runs untrusted parsing jobs.
pub trait Runner: MaybeSend {
    /// Runs `job` within `time`, panics caught.
    fn run(&self, time: Duration, job: Job) -> BoxFuture<'_, Outcome>;
}

/// Runs each job in the caller, panics caught: for hosts where one request owns its instance
/// (a Spin component), so a runaway job can only stall its own request, which the platform ends.
pub struct Inline;

impl Runner for Inline {
    fn run(&self, time: Duration, job: Job) -> BoxFuture<'_, Outcome> {
        let budget = Budget::of(time);
        let out = catch_unwind(AssertUnwindSafe(|| job(budget))).map_err(|_| Failure::Panicked);
        Box::pin(std::future::ready(out))
    }
}

/// Runs `job` on `runner` within `time`; a failure is logged with `what` and returned.
pub async fn run<T: Send + 'static>(
    runner: &dyn Runner,
    what: &str,
    time: Duration,
    job: impl FnOnce(Budget) -> T + Send + 'static,
) -> std::result::Result<T, Failure> {
    let job: Job = Box::new(move |budget| Box::new(job(budget)) as Box<dyn Any + Send>);
    match runner.run(time, job).await {
        Ok(out) => Ok(*out
            .downcast::<T>()
            .expect("a runner returns what its job made")),
        Err(failure) => {
            log::warn!("{what} {failure}");
            Err(failure)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn inline_jobs_return_their_result_and_a_panic_is_a_failure() {
        assert_eq!(run(&Inline, "sum", PROBE_TIME, |_| 2 + 2).await, Ok(4));
        let panicked = run(&Inline, "panic", PROBE_TIME, |_| -> u8 {
            panic!("hostile")
        })
        .await;
        assert_eq!(panicked, Err(Failure::Panicked));
        let expired = run(&Inline, "budget", Duration::ZERO, |b| b.expired()).await;
        assert_eq!(expired, Ok(true));
    }
}
