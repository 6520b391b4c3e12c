//! Content security (version 2 of WeChat's API): `msgSecCheck` judges a text at once,
//! `mediaCheckAsync` takes a picture's or a voice's URL and pushes its verdict later.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::api::{Failure, ServerApi};

/// Where a text is published, as WeChat's `scene` (it weighs its rules by scene).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scene {
    /// A profile: nicknames, intros, personal tags.
    Profile = 1,
    /// A comment: chat messages.
    Comment = 2,
    /// A forum post: group names, intros, tags, announcements, file names.
    Forum = 3,
}

/// WeChat's suggestion, from harmless to refused.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Suggest {
    Pass,
    Review,
    Risky,
}

impl Suggest {
    pub fn as_str(self) -> &'static str {
        match self {
            Suggest::Pass => "pass",
            Suggest::Review => "review",
            Suggest::Risky => "risky",
        }
    }

    pub fn parse(text: &str) -> anyhow::Result<Suggest> {
        serde_json::from_value(json!(text))
            .map_err(|_| anyhow::anyhow!("not a suggestion: {text:?}"))
    }
}

/// A verdict: the suggestion and WeChat's label (100 normal, 10001 advertising, 20001 politics,
/// 20002 pornography, 20003 abuse, 20006 crime, 20008 fraud, 20012 vulgarity, 20013 copyright,
/// 21000 other).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Verdict {
    pub suggest: Suggest,
    pub label: i64,
}

impl Verdict {
    pub const PASS: Verdict = Verdict {
        suggest: Suggest::Pass,
        label: 100,
    };

    /// What a text stored unchecked (`content_check_fail_open`) is queued with: not WeChat's
    /// (label 0 is none of its labels).
    pub const UNCHECKED: Verdict = Verdict {
        suggest: Suggest::Review,
        label: 0,
    };

    /// The graver of two verdicts.
    pub fn worse(self, other: Verdict) -> Verdict {
        if other.suggest > self.suggest {
            other
        } else {
            self
        }
    }

    /// What the label means, for people (the console, logs).
    pub fn label_name(self) -> &'static str {
        match self.label {
            0 => "未经微信检查",
            100 => "正常",
            10001 => "广告",
            20001 => "时政",
            20002 => "色情",
            20003 => "辱骂",
            20006 => "违法犯罪",
            20008 => "欺诈",
            20012 => "低俗",
            20013 => "版权",
            _ => "其他",
        }
    }
}

/// The longest text one `msgSecCheck` takes, in characters.
pub const TEXT_MAX_CHARS: usize = 2500;

#[derive(Deserialize)]
struct TextAnswer {
    result: Verdict,
}

/// WeChat's verdict on `content` (at most [`TEXT_MAX_CHARS`]) written by `openid`.
pub async fn check_text(
    api: &ServerApi<'_>,
    openid: &str,
    scene: Scene,
    content: &str,
) -> Result<Verdict, Failure> {
    let body = json!({
        "content": content,
        "version": 2,
        "scene": scene as u8,
        "openid": openid,
    });
    let answer: TextAnswer = api.post("/wxa/msg_sec_check", &body).await?;
    Ok(answer.result)
}

/// What `mediaCheckAsync` checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    Audio = 1,
    Image = 2,
}

#[derive(Deserialize)]
struct MediaAnswer {
    trace_id: String,
}

/// Submits the media at `url` (which WeChat fetches) for checking; its verdict is pushed later,
/// naming the returned trace id.
pub async fn check_media(
    api: &ServerApi<'_>,
    openid: &str,
    scene: Scene,
    media: Media,
    url: &str,
) -> Result<String, Failure> {
    let body = json!({
        "media_url": url,
        "media_type": media as u8,
        "version": 2,
        "scene": scene as u8,
        "openid": openid,
    });
    let answer: MediaAnswer = api.post("/wxa/media_check_async", &body).await?;
    Ok(answer.trace_id)
}
