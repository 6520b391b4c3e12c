//! Zudui's shared core: the domain logic, errors, authentication, storage traits and the HTTP
//! handlers that both hosts (the Spin components and the native server) run unchanged.

// Shared stores sit in `Arc`s so that response streams can own them. A Spin component has one
// thread, so there they are neither `Send` nor `Sync`, and need not be.
#![cfg_attr(target_arch = "wasm32", allow(clippy::arc_with_non_send_sync))]

pub mod accounts;
pub mod admin;
pub mod app;
pub mod body;
pub mod chat;
pub mod config;
pub mod costly;
pub mod db;
pub mod error;
pub mod files;
pub mod groups;
pub mod ids;
pub mod imaging;
pub mod leftovers;
pub mod limits;
pub mod migrate;
pub mod multipart;
pub mod outbound;
pub mod outbound_hosts;
pub mod params;
pub mod pictures;
pub mod profiles;
pub mod routes;
pub mod search;
pub mod sendable;
pub mod storage;
pub mod time;
pub mod token;
pub mod transport;
pub mod untrusted;
pub mod wake;
pub mod wechat;

#[cfg(feature = "native")]
pub mod native;

pub use app::App;
pub use body::{Body, Request, Response};
pub use error::{Code, Error, Result};
