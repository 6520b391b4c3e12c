//! Content security: what users write for others to read is checked with WeChat's content
//! security API before it is stored. Without WeChat's credentials (`wechat_appid`,
//! `wechat_secret`), or with `content_check = 0`, nothing is checked.

pub mod media;
pub mod text;
mod verdicts;

pub use text::{Checked, TextJudge};
pub use verdicts::{MemoryVerdicts, SqlVerdicts, Verdicts};
