//! The native server's runner of untrusted parsing jobs (see `zudui_shared::untrusted`): jobs run
//! on threads kept for them (never a tokio worker, none started per job) at the lowest CPU
//! priority, so that other requests keep their latency, and at most
//! [`crate::blocking::pool_threads`] jobs run at once. A caller waits at most the job's time, for
//! a slot and then for the result; a job still running then keeps its slot until it really ends,
//! so runaway jobs cannot multiply threads.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{oneshot, Semaphore};

use crate::blocking::lower_priority;
use tokio::time::{timeout_at, Instant};
use zudui_shared::sendable::BoxFuture;
use zudui_shared::untrusted::{Budget, Failure, Job, Outcome, Runner};

pub struct Threads {
    slots: Arc<Semaphore>,
    threads: rayon::ThreadPool,
}

impl Threads {
    /// A pool running at most `slots` jobs at once, on as many threads kept for the purpose.
    pub fn new(slots: usize) -> anyhow::Result<Threads> {
        let slots = slots.max(1);
        let threads = rayon::ThreadPoolBuilder::new()
            .num_threads(slots)
            .thread_name(|_| "untrusted".into())
            .start_handler(|_| lower_priority())
            .build()?;
        Ok(Threads {
            slots: Arc::new(Semaphore::new(slots)),
            threads,
        })
    }

    /// As many slots as [`crate::blocking::pool_threads`].
    pub fn sized() -> anyhow::Result<Threads> {
        Threads::new(crate::blocking::pool_threads())
    }
}

impl Runner for Threads {
    fn run(&self, time: Duration, job: Job) -> BoxFuture<'_, Outcome> {
        Box::pin(async move {
            let deadline = Instant::now() + time;
            let slot = timeout_at(deadline, self.slots.clone().acquire_owned())
                .await
                .map_err(|_| Failure::Busy)?
                .expect("the semaphore is never closed");
            let budget = Budget {
                deadline: deadline.into_std(),
            };
            let (done, result) = oneshot::channel();
            // A job starts only with a slot, and there are as many threads as slots: it never
            // waits behind a runaway job.
            self.threads.spawn(move || {
                let out = catch_unwind(AssertUnwindSafe(|| job(budget)));
                drop(slot);
                // The caller may have stopped waiting.
                let _ = done.send(out);
            });
            match timeout_at(deadline, result).await {
                Ok(Ok(Ok(out))) => Ok(out),
                Ok(_) => Err(Failure::Panicked),
                Err(_) => Err(Failure::TimedOut),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use zudui_shared::untrusted::run;

    const SECOND: Duration = Duration::from_secs(1);

    #[tokio::test]
    async fn jobs_run_on_their_own_threads_at_a_lower_priority() {
        let pool = Threads::new(1).unwrap();
        let (name, nice) = run(&pool, "where", SECOND, |_| {
            let name = std::thread::current().name().map(str::to_owned);
            // SAFETY: reads the calling thread's own nice value.
            let nice = unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as _) };
            (name, nice)
        })
        .await
        .unwrap();
        assert_eq!(name.as_deref(), Some("untrusted"));
        assert!(nice >= crate::blocking::NICENESS, "nice {nice}");
    }

    #[tokio::test]
    async fn a_panicking_job_is_a_failure_and_the_pool_keeps_working() {
        let pool = Threads::new(1).unwrap();
        let panicked = run(&pool, "panic", SECOND, |_| -> u8 {
            panic!("hostile input")
        })
        .await;
        assert_eq!(panicked, Err(Failure::Panicked));
        assert_eq!(run(&pool, "after", SECOND, |_| 7).await, Ok(7));
    }

    #[tokio::test]
    async fn a_runaway_job_times_out_and_keeps_its_slot_until_it_ends() {
        let pool = Threads::new(1).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let spinning = stop.clone();
        let started = Instant::now();
        let runaway = run(&pool, "runaway", Duration::from_millis(100), move |_| {
            while !spinning.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(5));
            }
        })
        .await;
        assert_eq!(runaway, Err(Failure::TimedOut));
        assert!(started.elapsed() < Duration::from_millis(500));
        // The only slot is still taken: the next caller gives up when its own time is spent.
        let next = run(&pool, "next", Duration::from_millis(100), |_| 1).await;
        assert_eq!(next, Err(Failure::Busy));
        stop.store(true, Ordering::Relaxed);
        assert_eq!(run(&pool, "freed", SECOND, |_| 2).await, Ok(2));
    }

    #[tokio::test]
    async fn jobs_see_their_deadline_and_at_most_one_per_slot_runs() {
        let pool = Arc::new(Threads::new(2).unwrap());
        let left = run(&*pool, "deadline", SECOND, |budget| {
            budget.deadline - std::time::Instant::now()
        });
        let left = left.await.unwrap();
        assert!(left > SECOND / 2 && left <= SECOND, "{left:?}");
        let running = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let most = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let jobs = (0..6).map(|_| {
            let (pool, running, most) = (pool.clone(), running.clone(), most.clone());
            tokio::spawn(async move {
                run(&*pool, "count", 5 * SECOND, move |_| {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(30));
                    running.fetch_sub(1, Ordering::SeqCst);
                })
                .await
            })
        });
        for job in jobs.collect::<Vec<_>>() {
            assert_eq!(job.await.unwrap(), Ok(()));
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }
}
