//! Thumbnails of image files and of the picture uploaded beside a video.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "job.rs"]
mod job;
use zudui_shared::imaging::thumbnail;

fuzz_target!(init: job::init(), |data: &[u8]| {
    if let Some(Ok(jpeg)) = job::run(|| thumbnail(data)) {
        assert!(jpeg.starts_with(&[0xff, 0xd8]));
    }
});
