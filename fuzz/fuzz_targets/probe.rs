//! The upload probe: what a file is (magic bytes) and its duration as video and as voice (mp4parse
//! on the `moov` box, symphonia), from the first and last megabyte as an upload keeps them.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "job.rs"]
mod job;
use zudui_shared::files::content::{Sample, SAMPLE};
use zudui_shared::files::probe::{classify, duration, Kind};
use zudui_shared::untrusted::{Budget, PROBE_TIME};

fuzz_target!(init: job::init(), |data: &[u8]| {
    let bytes = bytes::Bytes::copy_from_slice(data);
    let sample = Sample {
        head: bytes.slice(..data.len().min(SAMPLE)),
        tail: bytes.slice(data.len() - data.len().min(SAMPLE)..),
        len: data.len() as u64,
    };
    classify(data, "upload");
    for (file_type, name) in [("video", "v.mp4"), ("voice", "a.mp3"), ("voice", "a.ogg")] {
        let kind = Kind {
            file_type,
            content_type: String::new(),
        };
        if let Some(seconds) = job::run(|| duration(&kind, &sample, name, Budget::of(PROBE_TIME))) {
            assert!(seconds.is_finite() && seconds >= 0.0);
        }
    }
});
