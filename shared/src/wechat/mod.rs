//! WeChat's server API: signing in, the access token its other calls carry, and content security.

mod access_token;
mod api;
mod login;
pub mod push;
pub mod security;

pub use access_token::{KvTokens, MemoryTokens, TokenStore};
pub use api::{Failure, ServerApi};
pub use login::{openid_for_code, session_url};
