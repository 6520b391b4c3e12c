//! The chat over real WebSockets against the native server: handshake refusals (header and query
//! token), history on connect and on request, live delivery to every member in one order, the
//! strict client messages and their error frames, dismissed groups, in-group nicknames, private
//! rooms and `/chat/getChat`, shared group files, pings, and who may still listen to a room.

#[path = "../common/mod.rs"]
mod common;
mod support;

mod handshake;
mod messages;
mod order;
mod private;
