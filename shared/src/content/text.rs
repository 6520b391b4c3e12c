//! Texts: each write that others can read is judged by `msgSecCheck` before it is stored.
//! `risky` is refused (106), `review` is stored and queued for people, `pass` goes through. While
//! WeChat cannot be reached a text is refused (107), or stored unchecked with
//! `content_check_fail_open = 1`.

use sha2::{Digest, Sha256};

use super::verdicts::{SqlVerdicts, Verdicts};
use crate::app::App;
use crate::config::{ContentChecks, WeChat};
use crate::db::users;
use crate::error::{Code, Error, Result};
use crate::ids::UserId;
use crate::limits::{self, Action, Change, Rule};
use crate::moderation::{self, NewReview, Source, Target};
use crate::outbound::HttpClient;
use crate::storage::Sql;
use crate::time;
use crate::wechat::security::{self, Scene, Suggest, Verdict, TEXT_MAX_CHARS};
use crate::wechat::{Failure, KvTokens, ServerApi, TokenStore};

/// What judging a text may answer: 105 past the author's `text_check` allowance, 106 for a
/// risky text, 107 while WeChat cannot judge it.
pub const CODES: [Code; 3] = [
    Code::TooManyRequests,
    Code::ContentRisky,
    Code::ContentUnchecked,
];

/// A text that may be stored; one WeChat wants people to look at carries its verdict, to be
/// queued with the stored item.
#[must_use = "a text to review must be queued once it is stored"]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checked {
    review: Option<Verdict>,
}

impl Checked {
    pub const PASSED: Checked = Checked { review: None };

    /// A text judged elsewhere (the relay): `review` is WeChat's verdict when it wants people
    /// to look.
    pub fn judged(review: Option<Verdict>) -> Checked {
        Checked {
            review: review.filter(|v| v.suggest == Suggest::Review),
        }
    }

    /// WeChat's verdict when it wants people to look.
    pub fn review(self) -> Option<Verdict> {
        self.review
    }

    /// Queues the text for review as part of `target`, once stored (in the write's transaction).
    pub fn queue(self, conn: &dyn Sql, target: Target, excerpt: &str) -> anyhow::Result<()> {
        let Some(verdict) = self.review else {
            return Ok(());
        };
        moderation::enqueue(
            conn,
            &NewReview {
                source: Source::Wechat,
                target: &target,
                reason: verdict.label_name(),
                excerpt,
            },
        )
    }
}

/// What judges texts: WeChat's API (when configured) and the recent verdicts.
pub struct TextJudge<'a> {
    api: Option<ServerApi<'a>>,
    verdicts: &'a dyn Verdicts,
    settings: &'a ContentChecks,
}

impl<'a> TextJudge<'a> {
    pub fn new(
        wechat: &'a WeChat,
        settings: &'a ContentChecks,
        http: &'a dyn HttpClient,
        tokens: &'a dyn TokenStore,
        verdicts: &'a dyn Verdicts,
    ) -> TextJudge<'a> {
        let api = match settings.on(wechat) {
            true => ServerApi::new(wechat, http, tokens),
            false => None,
        };
        TextJudge {
            api,
            verdicts,
            settings,
        }
    }

    /// Whether texts are checked at all.
    pub fn is_on(&self) -> bool {
        self.api.is_some()
    }

    /// Judges `texts`, written by `openid`, as one. Before WeChat is asked (a recent verdict on
    /// the same text costs nothing), `admit` is given the number of calls it takes: an error
    /// refuses the text, `false` (the app's budget of calls is spent) leaves it unchecked.
    pub async fn judge(
        &self,
        openid: &str,
        scene: Scene,
        texts: &[&str],
        admit: impl FnOnce(u32) -> Result<bool>,
    ) -> Result<Checked> {
        let Some(api) = &self.api else {
            return Ok(Checked::PASSED);
        };
        let text = texts
            .iter()
            .map(|t| t.trim())
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        if text.is_empty() {
            return Ok(Checked::PASSED);
        }
        let digest = digest(scene, &text);
        let now = time::now();
        let outdated = now - self.settings.content_verdict_seconds;
        let verdict = match self.verdicts.recent(&digest, outdated)? {
            Some(kept) => kept,
            None => {
                let calls = text.chars().count().div_ceil(TEXT_MAX_CHARS) as u32;
                if !admit(calls)? {
                    return self
                        .unchecked(Failure::Unreachable("the app's budget is spent".into()));
                }
                match ask(api, openid, scene, &text).await {
                    Ok(verdict) => {
                        self.verdicts.put(&digest, verdict, now, outdated)?;
                        verdict
                    }
                    Err(failure) => return self.unchecked(failure),
                }
            }
        };
        match verdict.suggest {
            Suggest::Pass => Ok(Checked::PASSED),
            Suggest::Review => Ok(Checked {
                review: Some(verdict),
            }),
            Suggest::Risky => Err(Error::with_message(
                Code::ContentRisky,
                format!("内容含有违规信息({}),请修改后再试", verdict.label_name()),
            )),
        }
    }

    fn unchecked(&self, failure: Failure) -> Result<Checked> {
        unchecked(self.settings, &failure.to_string())
    }
}

/// A text WeChat did not judge (`why`): refused (107), or under `content_check_fail_open` stored
/// and queued for people to look at.
pub fn unchecked(settings: &ContentChecks, why: &str) -> Result<Checked> {
    log::warn!("content check: {why}");
    match settings.fail_open {
        true => Ok(Checked {
            review: Some(Verdict::UNCHECKED),
        }),
        false => Err(Error::new(Code::ContentUnchecked)),
    }
}

/// A chat text the relay says it did not judge (a relay without WeChat's settings): unchecked
/// when this app checks texts, else as it came.
pub fn unjudged_chat(app: &App) -> Result<Checked> {
    let (wechat, settings) = (app.settings.wechat()?, app.settings.content()?);
    match settings.on(wechat) {
        true => unchecked(settings, "the relay did not judge a chat text"),
        false => Ok(Checked::PASSED),
    }
}

/// Where an app keeps what judging texts needs: the token in its key-value store, the verdicts
/// in its database.
struct AppStores<'a> {
    app: &'a App,
    tokens: KvTokens<'a>,
    verdicts: SqlVerdicts<'a>,
}

impl<'a> AppStores<'a> {
    fn of(app: &'a App) -> AppStores<'a> {
        AppStores {
            app,
            tokens: KvTokens::new(&*app.kv, &*app.db),
            verdicts: SqlVerdicts(&*app.db),
        }
    }

    fn judge(&self) -> Result<TextJudge<'_>> {
        let (wechat, settings) = (self.app.settings.wechat()?, self.app.settings.content()?);
        let http = &*self.app.http;
        Ok(TextJudge::new(
            wechat,
            settings,
            http,
            &self.tokens,
            &self.verdicts,
        ))
    }
}

/// Checks what `author` writes for others before it is stored: [`TextJudge::judge`] over the
/// app's stores, each call to WeChat costing the author a `text_check` token (105 past it).
pub async fn check(app: &App, author: &UserId, scene: Scene, texts: &[&str]) -> Result<Checked> {
    let stores = AppStores::of(app);
    let judge = stores.judge()?;
    if !judge.is_on() {
        return Ok(Checked::PASSED);
    }
    let openid = app
        .db
        .run(|c| Ok(users::openid(c, author)?))?
        .ok_or_else(|| Error::new(Code::TokenInvalid))?;
    let admit = |calls| {
        for _ in 0..calls {
            limits::check(app, Action::TextCheck, Some(author), None)?;
        }
        within_budget(app, calls)
    };
    judge.judge(&openid, scene, texts, admit).await
}

/// Checks a chat text of `openid` in the native server, which judges its chat like the relay:
/// chat tokens already paid for the frame, and no hosted budget applies.
pub async fn check_chat(app: &App, openid: &str, content: &str) -> Result<Checked> {
    AppStores::of(app)
        .judge()?
        .judge(openid, Scene::Comment, &[content], |_| Ok(true))
        .await
}

/// Takes `calls` from the app's hourly budget of calls to WeChat (`wechat_calls_per_hour`, one
/// bucket for the whole app); false when it is spent. Unlimited when unset.
pub fn within_budget(app: &App, calls: u32) -> Result<bool> {
    let per_hour = app.settings.content()?.wechat_calls_per_hour;
    if per_hour == 0 {
        return Ok(true);
    }
    let rule = Rule {
        burst: per_hour,
        per_minute: per_hour.div_ceil(60),
    };
    let keys = [(BUDGET_KEY.to_owned(), rule)];
    for _ in 0..calls {
        if app
            .buckets
            .change(&keys, time::now_ms(), Change::Take)?
            .is_some()
        {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The bucket of the app's calls to WeChat's content security.
const BUDGET_KEY: &str = "rate/wechat_calls/app";

/// The verdict on `text`: the gravest over its pieces of at most [`TEXT_MAX_CHARS`].
async fn ask(
    api: &ServerApi<'_>,
    openid: &str,
    scene: Scene,
    text: &str,
) -> std::result::Result<Verdict, Failure> {
    let chars: Vec<char> = text.chars().collect();
    let mut verdict = Verdict::PASS;
    for piece in chars.chunks(TEXT_MAX_CHARS) {
        let piece: String = piece.iter().collect();
        verdict = verdict.worse(security::check_text(api, openid, scene, &piece).await?);
        if verdict.suggest == Suggest::Risky {
            break;
        }
    }
    Ok(verdict)
}

/// The key of a verdict: the scene and the text, hashed (no text is kept).
fn digest(scene: Scene, text: &str) -> String {
    let mut hash = Sha256::new();
    hash.update([scene as u8]);
    hash.update(text.as_bytes());
    hex::encode(hash.finalize())
}
