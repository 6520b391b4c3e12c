//! Pictures uploaded as avatars, group and announcement pictures: decode (within the pixel and
//! memory limits), shrink, re-encode.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "job.rs"]
mod job;
use zudui_shared::imaging::{normalize, MAX_SIDE};

fuzz_target!(init: job::init(), |data: &[u8]| {
    if let Some(Ok(picture)) = job::run(|| normalize(data, MAX_SIDE)) {
        assert!(!picture.bytes.is_empty());
    }
});
