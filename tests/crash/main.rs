//! Crash safety: the real `zudui` binary is killed with SIGKILL in the middle of work (slow
//! multipart uploads, resumable uploads with parts put and parts in flight, chat traffic), then
//! started again on the same data directory, and the invariants are checked:
//!
//! 1. `PRAGMA integrity_check` of `zudui.sqlite` is `ok`;
//! 2. no partial file is visible: every listed file downloads whole, with the bytes uploaded, and
//!    every upload answered before the kill is listed;
//! 3. orphans are collected: every chunk under `kv/` belongs to a file row or a live resumable
//!    upload, `blob_pending` holds only live uploads' blobs, no temporary file of an interrupted
//!    write stays behind, and an upload in progress can be resumed (or aborted cleanly);
//! 4. every chat message acknowledged to its sender is in the history afterwards, in increasing id
//!    order, nothing duplicated;
//! 5. each group's used space equals the bytes of its files' chunks in `kv/`.
//!
//! The first two tests kill the server three times, at different moments, on one data directory.
//! The last three aim at one crash point each, which a kill at a random moment rarely hits: a kill
//! between the two transactions of a resumable `complete`, a restart with many leftovers (a long
//! startup sweep while new uploads arrive), and an upload abandoned at a crash that expires later.
//! Their state is made by killing the server and then writing to its database what the crash point
//! leaves (or what a day's passing changes), and starting it again.
//!
//! Every violation found after a restart is collected, and a test fails at the end listing them
//! all.

#[path = "../common/mod.rs"]
mod common;
mod support;
mod uploads;

mod chat;
mod files;
mod windows;
