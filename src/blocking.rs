//! Blocking storage calls off the async workers. The shared handlers call SQLite and the
//! directory key-value store synchronously (Spin's APIs are synchronous); natively every such call
//! runs inside `block_in_place`, which hands this worker's queue to another thread for its
//! duration, so a slow query or a wait for SQLite's write lock never delays unrelated requests.

use tokio::runtime::{Handle, RuntimeFlavor};
use zudui_shared::storage::{Database, KeyValue, Sql};

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
