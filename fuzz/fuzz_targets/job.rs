//! Parsers run here as the server runs them: inside a job whose panic is a failure (the native
//! pool catches it and answers duration 0, no thumbnail or 333). What the fuzzer hunts is what a
//! job cannot absorb: aborts, stack overflows, hangs (`-timeout`) and runaway memory
//! (`-rss_limit_mb`). With `FUZZ_STRICT=1` a panic inside a job is a crash too, to find parser
//! panics worth reporting upstream. A panic outside a job always is.

use std::cell::Cell;
use std::panic::{catch_unwind, set_hook, take_hook, AssertUnwindSafe};

thread_local!(static IN_JOB: Cell<bool> = const { Cell::new(false) });

/// Replaces libfuzzer-sys's abort-on-panic hook with one that lets a job's panic unwind.
pub fn init() {
    if std::env::var_os("FUZZ_STRICT").is_some_and(|v| v == "1") {
        return;
    }
    let abort = take_hook();
    set_hook(Box::new(move |info| {
        if !IN_JOB.with(Cell::get) {
            abort(info);
        }
    }));
}

/// Runs `parse` as a job: `None` when it panicked.
pub fn run<T>(parse: impl FnOnce() -> T) -> Option<T> {
    IN_JOB.with(|j| j.set(true));
    let out = catch_unwind(AssertUnwindSafe(parse)).ok();
    IN_JOB.with(|j| j.set(false));
    out
}
