//! Frames a chat client sends, in a group room and in a private room.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zudui_shared::chat::client::parse;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse(text, true);
        let _ = parse(text, false);
    }
});
