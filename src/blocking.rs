//! Blocking work off the async workers. The shared handlers call SQLite and the directory
//! key-value store synchronously (Spin's APIs are synchronous); natively every such call runs
//! inside `block_in_place`, which hands this worker's queue to another thread for its duration,
//! so a slow query or a wait for SQLite's write lock never delays unrelated requests. Costly work
//! (searches) and untrusted parsers also run at a lower CPU priority, so that on a busy machine
//! the cheap requests of others come first.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::runtime::{Handle, RuntimeFlavor};
use zudui_shared::costly::{Costly, Work};
use zudui_shared::storage::{Database, KeyValue, Sql};

/// Nice value of threads doing costly or untrusted work (0 is normal, 19 the lowest): the
/// scheduler gives them about 1/70 of a core against one normal thread that wants it.
pub const NICENESS: i32 = 19;

/// A store whose every call leaves the async worker it was made on.
pub struct OffWorkers<S>(pub S);

/// Runs `f` where it may block: off the worker on the multi-threaded runtime, inline elsewhere
/// (outside a runtime, or on a current-thread runtime where there is no other worker to hand to).
pub fn blocking<R>(f: impl FnOnce() -> R) -> R {
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// Costly work on a pool of threads at the lowest priority ([`pool_threads`]) while the request
/// waits off the workers. The threads live as long as the server, so that no thread ever needs
/// its priority raised back (which an unprivileged process may not do) and none is started per
/// search. Work beyond the pool's threads waits its turn.
pub struct LowPriority {
    pool: rayon::ThreadPool,
    /// Work running or waiting, and how much may: past it a request is turned away (105) rather
    /// than holding a thread while it waits.
    queued: AtomicUsize,
    queue: usize,
}

/// Threads of each of the two background pools (costly work, untrusted parsers): together one per
/// core. More threads than cores, even at the lowest priority, cost the requests of others
/// (`benches/isolation.rs`: 4 on 2 cores put `getInfo` p99 at 4.6x its p99 alone, 2 at 1.2x)
/// and got the expensive work done no faster.
pub fn pool_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (cores / 2).max(1)
}

/// Work that may wait for each thread of the pool.
const QUEUE_PER_THREAD: usize = 32;

impl LowPriority {
    pub fn new() -> anyhow::Result<LowPriority> {
        LowPriority::with(pool_threads(), pool_threads() * QUEUE_PER_THREAD)
    }

    fn with(threads: usize, queue: usize) -> anyhow::Result<LowPriority> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("costly-{i}"))
            .start_handler(|_| lower_priority())
            .build()?;
        Ok(LowPriority {
            pool,
            queued: AtomicUsize::new(0),
            queue,
        })
    }
}

impl Costly for LowPriority {
    fn run(&self, work: &mut Work<'_>) -> bool {
        if self.queued.fetch_add(1, Ordering::AcqRel) >= self.queue {
            self.queued.fetch_sub(1, Ordering::AcqRel);
            return false;
        }
        // Counted out again even when the work panics.
        let _counted = Counted(&self.queued);
        blocking(|| self.pool.install(work));
        true
    }
}

struct Counted<'a>(&'a AtomicUsize);

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Lowers the calling thread's priority: on Linux each thread has its own. `SCHED_IDLE` first:
/// the scheduler then lets any normal thread that wakes up take the core at once (a nice value
/// alone still let a waking request wait for the slice of a search, milliseconds); the nice
/// value is the fallback where that policy is refused.
#[cfg(target_os = "linux")]
pub fn lower_priority() {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: plain system calls on the calling thread itself (0 and its own id).
    let failed = unsafe {
        let idle = libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) == 0;
        let tid = libc::gettid();
        let niced = libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, NICENESS) == 0;
        !idle && !niced
    };
    if failed {
        log::debug!(
            "could not lower a thread's priority: {}",
            std::io::Error::last_os_error()
        );
    }
}

/// Elsewhere the call would lower the whole process: the work runs at normal priority.
#[cfg(not(target_os = "linux"))]
pub fn lower_priority() {}

impl<D: Database> Database for OffWorkers<D> {
    fn with_conn(&self, f: &mut dyn FnMut(&dyn Sql) -> anyhow::Result<()>) -> anyhow::Result<()> {
        blocking(|| self.0.with_conn(f))
    }
}

impl<K: KeyValue> KeyValue for OffWorkers<K> {
    fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        blocking(|| self.0.get(key))
    }

    fn set(&self, key: &str, value: &[u8]) -> anyhow::Result<()> {
        blocking(|| self.0.set(key, value))
    }

    fn delete(&self, key: &str) -> anyhow::Result<()> {
        blocking(|| self.0.delete(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};
    use zudui_shared::costly;

    /// A database whose every call takes `0` (a slow query, a wait for the write lock).
    struct Slow(Duration);

    impl Database for Slow {
        fn with_conn(
            &self,
            _: &mut dyn FnMut(&dyn Sql) -> anyhow::Result<()>,
        ) -> anyhow::Result<()> {
            std::thread::sleep(self.0);
            Ok(())
        }
    }

    /// Costly work runs to its end on the pool at a lower priority, hands back what it
    /// made, and a panic in it comes back to the caller.
    #[test]
    fn costly_work_runs_at_a_lower_priority_and_returns() {
        let pool = LowPriority::new().unwrap();
        let (name, nice) = costly::run(&pool, || {
            let name = std::thread::current().name().map(str::to_owned);
            // SAFETY: reads the calling thread's own nice value.
            let nice = unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as _) };
            Ok((name, nice))
        })
        .unwrap();
        assert!(name.is_some_and(|n| n.starts_with("costly-")));
        assert!(nice >= NICENESS, "nice {nice}");
        // SAFETY: reads the calling thread's own policy.
        let policy = costly::run(&pool, || Ok(unsafe { libc::sched_getscheduler(0) })).unwrap();
        assert_eq!(policy, libc::SCHED_IDLE);
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            costly::run(&pool, || -> zudui_shared::Result<u8> {
                panic!("a bug in a search")
            })
        }));
        assert!(panicked.is_err());
        assert_eq!(
            costly::run(&pool, || Ok(7)).unwrap(),
            7,
            "the pool outlives a panic"
        );
    }

    /// Past its queue, work is turned away with 105 at once instead of waiting.
    #[test]
    fn costly_work_past_the_queue_is_105() {
        let pool = std::sync::Arc::new(LowPriority::with(1, 1).unwrap());
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let release_rx = std::sync::Mutex::new(release_rx);
        let busy = std::thread::spawn({
            let pool = pool.clone();
            move || {
                costly::run(&*pool, || {
                    started_tx.send(()).unwrap();
                    release_rx.lock().unwrap().recv().unwrap();
                    Ok(1)
                })
            }
        });
        started_rx.recv().unwrap();
        let turned_away = costly::run(&*pool, || Ok(2)).unwrap_err();
        assert_eq!(turned_away.code(), zudui_shared::Code::TooManyRequests);
        release_tx.send(()).unwrap();
        assert_eq!(busy.join().unwrap().unwrap(), 1);
        assert_eq!(costly::run(&*pool, || Ok(3)).unwrap(), 3);
    }

    /// With a single worker, a slow call made through `OffWorkers` leaves the worker free: a
    /// timer that fires meanwhile is served on time. Without it, the timer waits for the call.
    #[test]
    fn a_slow_call_does_not_hold_the_worker() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_time()
            .build()
            .unwrap();
        let late = |db: Box<dyn Database>| {
            runtime.block_on(async move {
                let slow = tokio::spawn(async move { db.with_conn(&mut |_| Ok(())) });
                tokio::task::yield_now().await;
                let started = Instant::now();
                tokio::spawn(tokio::time::sleep(Duration::from_millis(10)))
                    .await
                    .unwrap();
                let waited = started.elapsed();
                slow.await.unwrap().unwrap();
                waited
            })
        };
        let slow = Duration::from_millis(500);
        assert!(late(Box::new(OffWorkers(Slow(slow)))) < Duration::from_millis(200));
        assert!(late(Box::new(Slow(slow))) >= Duration::from_millis(300));
    }
}
