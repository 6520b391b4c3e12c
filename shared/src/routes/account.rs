//! `/user/account`: deleting one's account (注销) and exporting one's data (PIPL arts. 47, 45).

use super::doc::{Doc, Tag};
use super::table::user;
use super::{ok, success, Call, Route};
use crate::accounts::{deletion, export};
use crate::app::App;
use crate::body::Response;
use crate::error::{Code, Error, Result};
use crate::ids::UserId;
use crate::limits::Action;

pub const ROUTES: &[Route] = &[
    Route::post("/user/account/delete", user!(delete))
        .limited(Action::Account)
        .doc(&DELETE),
    Route::post("/user/account/export", user!(export))
        .limited(Action::Account)
        .doc(&EXPORT),
];

const DELETE: Doc = Doc::new("userAccountDelete", Tag::User, "注销账号 Delete my account")
    .about("Confirmed by the token; takes no fields. In one transaction: groups the caller created go to their longest-standing admin, else their longest-standing member (a group where the caller is alone is deleted with everything in it); they leave every other group; their avatar, tags, join requests, ratings given (the rated users' totals recounted) and received, temporary chat files and private rooms (with their messages and files) are deleted. Their group chat messages, announcements and group files stay with their groups, the messages' sender shown as `已注销用户`. The token is 112 from then on (a second call too), and the same WeChat account signing in again starts a new account.");

async fn delete(app: &App, me: UserId, _call: Call) -> Result<Response> {
    match deletion::delete(app, &me).await? {
        Some(_) => Ok(success()),
        // Deleted meanwhile, by a concurrent call or the console: the token names nobody.
        None => Err(Error::new(Code::TokenInvalid)),
    }
}

const EXPORT: Doc = Doc::new("userAccountExport", Tag::User, "导出个人信息 Export my data")
    .about("Everything stored about the caller, takes no fields: profile (with the openid), tags, groups with role and join time, join requests, ratings given and received (without the raters), announcements written, group files and folders made, temporary chat files, private rooms, and the messages sent (the newest 1000). Files come as links to the usual download endpoints, opened with the caller's token while they may read them. Each list holds at most 1000 rows; `truncated` names those that were cut.")
    .gives::<export::Export>();

async fn export(app: &App, me: UserId, _call: Call) -> Result<Response> {
    match export::export(app, &me) {
        Err(e) if e.code() == Code::UserNotFound => Err(Error::new(Code::TokenInvalid)),
        other => Ok(ok(other?)),
    }
}
