//! The chat under faults, over real processes on loopback (issue 14): Redis killed and started
//! again, a relay killed and started again, a relay stopped (SIGSTOP) and resumed, the server
//! killed and started again on its data, while clients send, reconnect and resend with
//! `client_msg_id`. Every acknowledged message is stored once, every member's history is the
//! same, every open socket hears up to the newest message, and an idle room costs no reads. Then
//! regression tests for the failures the issue found (a gap fill without end, or without a
//! bound on its tries; a greeting failure that left a room silent; a recheck that stopped after
//! one page), and the rules of `client_msg_id` on the native server and through the relays.
//!
//! Needs `redis-server` on the PATH (CI installs it); without it the relay tests fail.

#[path = "../common/mod.rs"]
mod common;
mod support;

mod client_ids;
mod fault;
mod regressions;
