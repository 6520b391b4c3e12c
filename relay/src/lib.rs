//! The chat's live side: WebSocket sessions, rooms that deliver every message in id order, and
//! Redis pub/sub between instances. The native server runs it in-process over the chat logic;
//! the standalone relay (`zudui-relay`) runs it in front of Spin over the `chat` component's
//! internal routes.

pub mod access;
pub mod backend;
mod bus;
pub mod component;
pub mod http;
pub mod hub;
pub mod listener;
pub mod logging;
pub mod metrics_http;
mod probes;
mod sequencer;
pub mod serve;
pub mod service;
pub mod session;
pub mod tls;

pub use backend::Backend;
pub use hub::Hub;
pub use session::Chat;
