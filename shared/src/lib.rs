//! Zudui's shared core: the domain logic, errors, authentication, storage traits and the HTTP
//! handlers that both hosts (the Spin components and the native server) run unchanged.

// Shared stores sit in `Arc`s so that response streams can own them. A Spin component has one
// thread, so there they are neither `Send` nor `Sync`, and need not be.
#![cfg_attr(target_arch = "wasm32", allow(clippy::arc_with_non_send_sync))]

// The layers, top down (ARCHITECTURE.md): each calls only those below it.

// HTTP: the route table and the handlers, and what every host does around them.
pub mod routes;
pub mod transport;

// The domain: the rules of each area.
pub mod accounts;
pub mod admin;
pub mod chat;
pub mod content;
pub mod files;
pub mod groups;
pub mod moderation;
pub mod pictures;
pub mod profiles;
pub mod search;

// What the domain is built on: the app and its settings, errors, limits, parsers of what clients
// send, and outbound calls.
pub mod app;
pub mod body;
pub mod client_addr;
pub mod config;
pub mod costly;
pub mod error;
pub mod fields;
pub mod health;
pub mod ids;
pub mod imaging;
pub mod leftovers;
pub mod limits;
pub mod metrics;
pub mod multipart;
pub mod outbound;
pub mod outbound_hosts;
pub mod params;
pub mod secrets;
pub mod time;
pub mod token;
pub mod untrusted;
pub mod wechat;

// Storage: SQL by table, the storage traits, the schema's migrations.
pub mod db;
pub mod migrate;
pub mod storage;

// Portability between the hosts (threads natively, one thread on Spin).
pub mod sendable;
pub mod wake;

#[cfg(feature = "native")]
pub mod native;

pub use app::App;
pub use body::{Body, Request, Response};
pub use error::{Code, Error, Result};
