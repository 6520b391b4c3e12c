//! `/debug`: the admin console's API. Disabled (102 everywhere) without `admin_token`; every
//! route but the page and sign-in needs the admin credential (see `admin::guard`).

use http::{header, HeaderValue};
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::doc::{Doc, Gives, Tag};
use super::table::{console, open, Call};
use super::{ok, picture, success, Route};
use crate::admin::{self, guard, guard::Admin, tables, views, writes};
use crate::app::App;
use crate::body::{Body, Request, Response};
use crate::db::browse::Column;
use crate::db::groups::Group;
use crate::db::ratings::Rating;
use crate::error::Code::*;
use crate::error::{Code, Error, Result};
use crate::fields::{self, Id, StarRating, Time, UserRef};
use crate::groups::{profile, Role};
use crate::ids::{AnnouncementId, FileId, GroupId, MessageId, PictureId, RequestId, UserId};
use crate::limits;
use crate::profiles;
use crate::storage::Value as SqlValue;
use crate::time;

pub const ROUTES: &[Route] = &[
    Route::get("/debug", open!(console)).doc(&CONSOLE),
    Route::get("/debug/", open!(console)).doc(&CONSOLE_SLASH),
    Route::post("/debug/api/login", open!(login)).doc(&LOGIN),
    Route::get("/debug/api/session", console!(show_session)).doc(&SESSION),
    Route::post("/debug/api/logout", console!(logout))
        .raw_body()
        .doc(&LOGOUT),
    Route::get("/debug/api/stats", console!(stats)).doc(&STATS),
    Route::get("/debug/api/tables", console!(list_tables)).doc(&TABLES),
    Route::get("/debug/api/rows", console!(rows)).doc(&ROWS),
    Route::post(
        "/debug/api/create",
        console!(|app, admin, call| write(app, admin, "create", call)),
    )
    .doc(&CREATE),
    Route::post(
        "/debug/api/update",
        console!(|app, admin, call| write(app, admin, "update", call)),
    )
    .doc(&UPDATE),
    Route::post(
        "/debug/api/delete",
        console!(|app, admin, call| write(app, admin, "delete", call)),
    )
    .doc(&DELETE),
    Route::get("/debug/api/group", console!(group)).doc(&GROUP),
    Route::get("/debug/api/user", console!(user)).doc(&USER),
    Route::get("/debug/api/picture", console!(show_picture)).doc(&PICTURE),
    Route::get("/debug/api/audit", console!(audit)).doc(&AUDIT),
];

/// The description of a console route: what hides the console, what a route of its API needs
/// (unless it is `open`), and `$text`.
macro_rules! about {
    (open: $text:literal) => {
        concat!("Without `ZUDUI_ADMIN_TOKEN` every `/debug` path is 102. ", $text)
    };
    ($text:literal) => {
        concat!(
            "Without `ZUDUI_ADMIN_TOKEN` every `/debug` path is 102. ",
            "Needs `Authorization: Bearer <ZUDUI_ADMIN_TOKEN>` or the console's session cookie (113 without a credential, 112 for a wrong, expired or signed-out one; wrong tokens are limited per address: 105 with `retry_after` once they are used up, the right token included); writes by cookie also need `x-csrf-token` (303 without it). ",
            $text,
        )
    };
}

// The page.

const PAGE_ABOUT: &str = about!(open: "One self-contained HTML page (no CDN) over the JSON API under `/debug/api/`; it needs no credential itself.");

const CONSOLE: Doc = Doc::new("debugConsole", Tag::Debug, "Admin console page")
    .about(PAGE_ABOUT)
    .answers(Gives::Page);

const CONSOLE_SLASH: Doc = Doc::new(
    "debugConsoleSlash",
    Tag::Debug,
    "Admin console page (same as `/debug`)",
)
.about(PAGE_ABOUT)
.answers(Gives::Page);

/// The console page: one self-contained HTML file (no CDN, works offline). Its data comes from
/// the API above, so the page itself needs no credential.
async fn console(_app: &App, _call: Call) -> Result<Response> {
    let mut res = Response::new(Body::from(bytes::Bytes::from_static(include_bytes!(
        "../admin/console.html"
    ))));
    let headers = res.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
             img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    Ok(res)
}

// Sessions.

const LOGIN: Doc = Doc::new("debugLogin", Tag::Debug, "Console sign-in")
    .about(about!(open: "`{token}` (the admin token) → a session cookie (`Set-Cookie: zudui_admin=...; Path=/debug; HttpOnly; SameSite=Strict`, 12 hours; `Secure` when the request came over TLS or with `ZUDUI_SECURE_COOKIE=1`) and its CSRF token; 112 for a wrong token. Wrong tokens are limited per client address (rule `admin`, default 10/10): once they are used up every token from that address is 105 with `retry_after`, the right one included; right tokens cost nothing."))
    .takes::<SignIn>()
    .gives::<NewSession>()
    .sets_cookie("Signed in", "the session cookie")
    .codes(&[BadParam, TooManyRequests, TokenInvalid]);

#[derive(Deserialize, JsonSchema)]
pub struct SignIn {
    pub token: String,
}

#[derive(Serialize, JsonSchema)]
pub struct NewSession {
    pub csrf: String,
}

/// `{token}` → a session cookie and its CSRF token; 112 for a wrong token, 105 after too many.
async fn login(app: &App, call: Call) -> Result<Response> {
    let SignIn { token } = call.fields()?;
    let now = time::now();
    let addr = limits::client_addr(app, &call.req)?;
    guard::token_matches(app, addr, &token)?;
    let (cookie, admin) = guard::new_session(app, now)?;
    app.db
        .tx(|c| admin::record(c, now, admin.actor(), "sign_in", "console", &Value::Null))?;
    let Admin::Console { csrf } = admin else {
        return Err(anyhow::anyhow!("a new session is a console's").into());
    };
    let answer = ok(NewSession { csrf });
    with_cookie(app, over_tls(&call.req), answer, Some(&cookie))
}

const SESSION: Doc = Doc::new("debugSession", Tag::Debug, "The current session")
    .about(about!(
        "`csrf` for a cookie session, nothing more for a bearer."
    ))
    .gives::<Session>()
    .codes(&[TooManyRequests]);

// What a page needs to write: its CSRF token (none for scripts).
#[derive(Serialize, JsonSchema)]
pub struct Session {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub csrf: Option<String>,
}

async fn show_session(_app: &App, admin: Admin, _call: Call) -> Result<Response> {
    let csrf = match admin {
        Admin::Console { csrf } => Some(csrf),
        Admin::Script => None,
    };
    Ok(ok(Session { csrf }))
}

const LOGOUT: Doc = Doc::new("debugLogout", Tag::Debug, "Console sign-out")
    .about(about!("Ends every console session (a new session epoch in the key-value store, so on every instance), whoever signs out, and clears the cookie (`Max-Age=0`)."))
    .sets_cookie("Signed out", "clears the cookie")
    .codes(&[TooManyRequests, NoPermission]);

/// Ends every console session (one admin, one console: signing out anywhere signs out
/// everywhere, a script's sign-out included) and clears this browser's cookie.
async fn logout(app: &App, admin: Admin, call: Call) -> Result<Response> {
    let now = time::now();
    guard::end_sessions(app)?;
    app.db
        .tx(|c| admin::record(c, now, admin.actor(), "sign_out", "console", &Value::Null))?;
    with_cookie(app, over_tls(&call.req), success(), None)
}

fn over_tls(req: &Request) -> bool {
    req.extensions().get::<guard::OverTls>().is_some()
}

fn with_cookie(
    app: &App,
    over_tls: bool,
    mut res: Response,
    session: Option<&str>,
) -> Result<Response> {
    let value = HeaderValue::from_str(&guard::set_cookie(app, over_tls, session)?)
        .map_err(|e| anyhow::anyhow!("cookie header: {e}"))?;
    res.headers_mut().insert(header::SET_COOKIE, value);
    Ok(res)
}

// The dashboard.

const STATS: Doc = Doc::new("debugStats", Tag::Debug, "Dashboard figures")
    .about(about!(
        "Messages today count from midnight in `ZUDUI_TZ_OFFSET_HOURS`."
    ))
    .gives::<Stats>()
    .codes(&[TooManyRequests]);

#[derive(Serialize, JsonSchema)]
pub struct Stats {
    pub users: i64,
    pub groups: GroupCounts,
    pub members: i64,
    pub join_requests_pending: i64,
    pub messages_today: i64,
    pub storage: Storage,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct GroupCounts {
    pub active: i64,
    pub dismissed: i64,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct Storage {
    pub total_bytes: i64,
    pub groups: Vec<GroupStorage>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct GroupStorage {
    pub group_id: GroupId,
    pub bytes: i64,
}

async fn stats(app: &App, _admin: Admin, _call: Call) -> Result<Response> {
    let d = admin::dashboard(app, time::now())?;
    let groups = d.storage_by_group.into_iter();
    Ok(ok(Stats {
        users: d.users,
        groups: GroupCounts {
            active: d.active_groups,
            dismissed: d.dismissed_groups,
        },
        members: d.members,
        join_requests_pending: d.join_requests_pending,
        messages_today: d.messages_today,
        storage: Storage {
            total_bytes: d.storage_bytes,
            groups: groups
                .map(|(group_id, bytes)| GroupStorage {
                    group_id: GroupId(group_id),
                    bytes,
                })
                .collect(),
        },
    }))
}

// The table browser.

const TABLES: Doc = Doc::new("debugTables", Tag::Debug, "Every table")
    .about(about!("Each table with its columns and row count."))
    .gives::<Tables>()
    .codes(&[TooManyRequests]);

#[derive(Serialize, JsonSchema)]
pub struct Tables {
    pub tables: Vec<TableSummary>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct TableSummary {
    pub name: String,
    pub columns: Vec<TableColumn>,
    pub rows: i64,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct TableColumn {
    pub name: String,
    /// declared SQLite type
    #[serde(rename = "type")]
    pub declared: String,
    /// position in the primary key, 0 if none
    #[schemars(range(min = 0))]
    pub key: i64,
}

impl TableColumn {
    fn of(column: Column) -> TableColumn {
        TableColumn {
            name: column.name,
            declared: column.declared,
            key: column.key,
        }
    }
}

fn columns(columns: Vec<Column>) -> Vec<TableColumn> {
    columns.into_iter().map(TableColumn::of).collect()
}

async fn list_tables(app: &App, _admin: Admin, _call: Call) -> Result<Response> {
    let tables = tables::list(app)?
        .into_iter()
        .map(|t| TableSummary {
            name: t.name.to_owned(),
            columns: columns(t.columns),
            rows: t.rows,
        })
        .collect();
    Ok(ok(Tables { tables }))
}

const ROWS: Doc = Doc::new("debugRows", Tag::Debug, "A page of rows")
    .about(about!("Sorted by any column (the primary key breaks ties), filtered by \"contains\" on any column. An unknown table or column is 101. Blobs show as `{blob_bytes}`."))
    .takes::<RowsQuery>()
    .gives::<RowsPage>()
    .codes(&[BadParam, TooManyRequests]);

#[derive(Deserialize, JsonSchema)]
pub struct RowsQuery {
    pub table: String,
    /// a column
    #[schemars(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub sort: Option<String>,
    #[schemars(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Direction")]
    pub dir: Option<Direction>,
    #[schemars(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub filter_column: Option<String>,
    #[schemars(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub filter: Option<String>,
    #[serde(default, deserialize_with = "fields::blank_is_none")]
    #[schemars(with = "i64", range(min = 0))]
    pub offset: Option<Id>,
    #[serde(default, deserialize_with = "fields::blank_is_none")]
    #[schemars(
        with = "i64",
        range(min = 1, max = tables::MAX_PAGE),
        extend("default" = tables::PAGE)
    )]
    pub limit: Option<Id>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(inline)]
pub enum Direction {
    Asc,
    Desc,
}

#[derive(Serialize, JsonSchema)]
pub struct RowsPage {
    pub table: String,
    pub columns: Vec<TableColumn>,
    pub total: i64,
    pub offset: i64,
    pub rows: Vec<Vec<Cell>>,
}

/// A stored value; blobs (pictures) by size, the console shows them through their public URLs.
#[derive(Serialize)]
#[serde(untagged)]
pub enum Cell {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob { blob_bytes: usize },
}

impl Cell {
    fn of(value: SqlValue) -> Cell {
        match value {
            SqlValue::Null => Cell::Null,
            SqlValue::Integer(v) => Cell::Integer(v),
            SqlValue::Real(v) => Cell::Real(v),
            SqlValue::Text(v) => Cell::Text(v),
            SqlValue::Blob(v) => Cell::Blob {
                blob_bytes: v.len(),
            },
        }
    }
}

impl JsonSchema for Cell {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Cell".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "description": "a cell: null, number, text or {blob_bytes}" })
    }
}

async fn rows(app: &App, _admin: Admin, call: Call) -> Result<Response> {
    let q: RowsQuery = call.fields()?;
    let page = tables::rows(
        app,
        &tables::Rows {
            table: &q.table,
            sort: q.sort.as_deref(),
            descending: matches!(q.dir, Some(Direction::Desc)),
            filter_column: q.filter_column.as_deref(),
            filter: q.filter.as_deref(),
            offset: q.offset.map(|id| id.0),
            limit: q.limit.map(|id| id.0),
        },
    )?;
    Ok(ok(RowsPage {
        table: page.table.to_owned(),
        columns: columns(page.columns),
        total: page.total,
        offset: page.offset,
        rows: page
            .rows
            .into_iter()
            .map(|row| row.into_iter().map(Cell::of).collect())
            .collect(),
    }))
}

// Writes.

/// The doc of a console write.
const fn write_doc(id: &'static str, summary: &'static str) -> Doc {
    Doc::new(id, Tag::Debug, summary)
        .about(about!("Goes through the API's own rules, in one transaction with its audit entry; see the README's table of what each table allows (anything else is 101). Answers the audit log's name of the row (`target`)."))
        .takes::<WriteRow>()
        .gives::<Written>()
        .codes(WRITE_CODES)
}

/// What a console write answers: the API's rules for the row's table, and the console's limit.
#[rustfmt::skip]
const WRITE_CODES: &[Code] = &[
    TooManyRequests,
    NicknameEmpty, UserNotFound, UserTagNotFound, UserTagEmpty, UserTagsFull,
    GroupNotFound, GroupUserNotFound, NoPermission, GroupDismissed, AlreadyMember,
    JoinRequestNotFound, GroupFull, BadRatingTarget, PictureNotFound, UnknownGroupType,
    GroupTagNotFound, GroupTagEmpty, GroupTagsFull,
    FileNotFound, FolderNotFound, TempFileNotFound,
];

const CREATE: Doc = write_doc("debugCreate", "Create a row");
const UPDATE: Doc = write_doc("debugUpdate", "Update a row");
const DELETE: Doc = write_doc("debugDelete", "Delete a row");

#[derive(Deserialize, JsonSchema)]
pub struct WriteRow {
    pub table: String,
    /// the row's primary key columns
    #[schemars(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "object")]
    pub key: Option<Map<String, Value>>,
    /// columns to write
    #[schemars(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "object")]
    pub values: Option<Map<String, Value>>,
}

/// Any JSON object.
fn object(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "object" })
}

#[derive(Serialize, JsonSchema)]
pub struct Written {
    pub target: String,
}

/// `{table, key, values}` → the write, through the domain's rules, recorded in the audit log.
async fn write(app: &App, admin: Admin, action: &str, call: Call) -> Result<Response> {
    let WriteRow { table, key, values } = call.fields()?;
    let asked = writes::Asked {
        table: &table,
        key: key.unwrap_or_default(),
        values: values.unwrap_or_default(),
    };
    let target = writes::apply(app, &admin, action, asked, time::now()).await?;
    Ok(ok(Written { target }))
}

// The views of a group and of a user.

const GROUP: Doc = Doc::new("debugGroup", Tag::Debug, "A group's view")
    .about(about!("Members with roles, pending requests, tags, intro pictures, announcements, files (up to 200) and the last 30 chat messages; 301 for an unknown group."))
    .takes::<GroupQuery>()
    .gives::<GroupView>()
    .codes(&[BadParam, TooManyRequests, GroupNotFound]);

#[derive(Deserialize, JsonSchema)]
pub struct GroupQuery {
    pub group_id: GroupId,
}

#[derive(Serialize, JsonSchema)]
pub struct GroupView {
    pub group: GroupRow,
    pub members: Vec<MemberRow>,
    pub requests: Vec<RequestRow>,
    pub tags: Vec<TagRow>,
    pub pictures: Vec<PictureId>,
    pub announcements: Vec<AnnouncementRow>,
    pub files: Files,
    pub chat: Vec<ChatRow>,
}

// A group's row.
#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct GroupRow {
    pub id: GroupId,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub creator_id: UserId,
    pub created: Time,
    pub dismissed: Option<Time>,
    pub user_cnt: i64,
    pub user_limit: i64,
    pub info: String,
}

impl GroupRow {
    fn of(app: &App, g: Group) -> GroupRow {
        GroupRow {
            id: g.id,
            name: g.name,
            kind: g.kind,
            creator_id: g.creator_id,
            created: Time(app.format_time(g.created_at)),
            dismissed: g.dismissed_at.map(|t| Time(app.format_time(t))),
            user_cnt: g.user_cnt,
            user_limit: g.user_limit,
            info: g.info,
        }
    }
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct MemberRow {
    pub user_id: UserId,
    pub nickname: String,
    pub role: Role,
    pub joined: Time,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct RequestRow {
    pub id: RequestId,
    pub user_id: UserId,
    pub time: Time,
}

// A group's or a user's tag (`TagId` or `UserTagId`: one shape for both).
#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct TagRow {
    pub id: i64,
    pub tag_text: String,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct AnnouncementRow {
    pub id: AnnouncementId,
    pub title: String,
    pub text: String,
    pub author_id: UserId,
    pub has_pic: bool,
    pub time: Time,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct Files {
    pub used_bytes: i64,
    pub entries: Vec<FileRow>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct FileRow {
    pub id: FileId,
    pub parent_id: Option<FileId>,
    pub name: String,
    pub is_dir: bool,
    pub size: i64,
    pub file_type: Option<String>,
    pub uploader_id: UserId,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct ChatRow {
    pub id: MessageId,
    pub user_id: UserId,
    pub nickname: String,
    pub msg_type: String,
    pub content: Option<String>,
    pub time: Time,
}

async fn group(app: &App, _admin: Admin, call: Call) -> Result<Response> {
    let GroupQuery { group_id } = call.fields()?;
    let view = views::group(app, group_id)?;
    let time = |t: i64| Time(app.format_time(t));
    Ok(ok(GroupView {
        group: GroupRow::of(app, view.group),
        members: view
            .members
            .into_iter()
            .map(|(m, role)| MemberRow {
                user_id: m.user_id,
                nickname: m.nickname,
                role,
                joined: time(m.joined_at),
            })
            .collect(),
        requests: view
            .requests
            .into_iter()
            .map(|r| RequestRow {
                id: r.id,
                user_id: r.user_id,
                time: time(r.created_at),
            })
            .collect(),
        tags: view
            .tags
            .into_iter()
            .map(|t| TagRow {
                id: t.id.0,
                tag_text: t.tag_text,
            })
            .collect(),
        pictures: view.pictures,
        announcements: view
            .announcements
            .into_iter()
            .map(|a| AnnouncementRow {
                id: a.id,
                title: a.title,
                text: a.text,
                author_id: a.author_id,
                has_pic: a.has_pic,
                time: time(a.updated_at),
            })
            .collect(),
        files: Files {
            used_bytes: i64::try_from(view.used_bytes).unwrap_or(i64::MAX),
            entries: view
                .files
                .into_iter()
                .map(|e| FileRow {
                    is_dir: e.is_dir(),
                    size: e.content.as_ref().map_or(0, |f| f.size),
                    file_type: e.content.map(|f| f.file_type),
                    id: e.id,
                    parent_id: e.parent_id,
                    name: e.name,
                    uploader_id: e.uploader_id,
                })
                .collect(),
        },
        chat: view
            .chat
            .into_iter()
            .map(|m| ChatRow {
                id: m.id,
                user_id: m.user_id,
                nickname: m.nickname,
                msg_type: m.msg_type,
                content: m.content,
                time: time(m.created_at),
            })
            .collect(),
    }))
}

const USER: Doc = Doc::new("debugUser", Tag::Debug, "A user's view")
    .about(about!("Tags, groups with the user's role, ratings received and given (up to 100 each); 202 for an unknown user."))
    .takes::<UserQuery>()
    .gives::<UserView>()
    .codes(&[BadParam, TooManyRequests, UserNotFound]);

#[derive(Deserialize, JsonSchema)]
pub struct UserQuery {
    // Required, and not empty (101).
    #[serde(deserialize_with = "fields::blank_is_none")]
    #[schemars(with = "String")]
    pub user_id: Option<UserRef>,
}

#[derive(Serialize, JsonSchema)]
pub struct UserView {
    pub user: UserRow,
    pub tags: Vec<TagRow>,
    pub groups: Vec<MemberGroup>,
    pub ratings: Ratings,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct UserRow {
    pub id: UserId,
    pub nickname: String,
    pub info: String,
    pub star_rating: StarRating,
    pub rating_count: i64,
    pub created: Time,
}

// A group of the user's, with their role in it.
#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct MemberGroup {
    #[serde(flatten)]
    pub group: GroupRow,
    pub role: Option<Role>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct Ratings {
    pub received: Vec<RatingRow>,
    pub given: Vec<RatingRow>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct RatingRow {
    pub group_id: GroupId,
    pub rater_id: UserId,
    pub target_id: UserId,
    pub stars: f64,
    pub time: Time,
}

async fn user(app: &App, _admin: Admin, call: Call) -> Result<Response> {
    let UserQuery { user_id } = call.fields()?;
    let user_id = user_id.ok_or_else(|| Error::param("user_id"))?;
    let view = views::user(app, &user_id.0)?;
    let ratings = |rows: Vec<Rating>| -> Vec<RatingRow> {
        rows.into_iter()
            .map(|r| RatingRow {
                group_id: r.group_id,
                rater_id: r.rater_id,
                target_id: r.target_id,
                stars: r.stars,
                time: Time(app.format_time(r.created_at)),
            })
            .collect()
    };
    let u = view.user;
    Ok(ok(UserView {
        user: UserRow {
            star_rating: StarRating(u.star_rating()),
            created: Time(app.format_time(u.created_at)),
            id: u.id,
            nickname: u.nickname,
            info: u.info,
            rating_count: u.rating_count,
        },
        tags: view
            .tags
            .into_iter()
            .map(|t| TagRow {
                id: t.id.0,
                tag_text: t.tag_text,
            })
            .collect(),
        groups: view
            .groups
            .into_iter()
            .map(|(g, role)| MemberGroup {
                group: GroupRow::of(app, g),
                role,
            })
            .collect(),
        ratings: Ratings {
            received: ratings(view.received),
            given: ratings(view.given),
        },
    }))
}

// Pictures and the audit log.

const PICTURE: Doc = Doc::new("debugPicture", Tag::Debug, "A stored picture")
    .about(about!("`kind` `user` or `group` (avatars; `id` a user or group id), `group_picture` or `announcement` (`id` the row's id); 332 when there is none."))
    .takes::<PictureQuery>()
    .answers(Gives::Picture)
    .codes(&[
        BadParam,
        TooManyRequests,
        UserNotFound,
        GroupNotFound,
        PictureNotFound,
    ]);

#[derive(Deserialize, JsonSchema)]
pub struct PictureQuery {
    pub kind: PictureKind,
    pub id: String,
}

// Whose picture: a user's or a group's avatar, an intro picture, an announcement's picture.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(inline)]
pub enum PictureKind {
    User,
    Group,
    GroupPicture,
    Announcement,
}

/// `kind` and the row's `id` → the picture, with its validator.
async fn show_picture(app: &App, _admin: Admin, call: Call) -> Result<Response> {
    let PictureQuery { kind, id } = call.fields()?;
    let id = id.trim();
    if id.is_empty() {
        return Err(Error::param("id"));
    }
    let number =
        || -> Result<i64> { id.parse().map_err(|_| Error::param_why("id", "应为整数")) };
    let req = &call.req;
    match kind {
        PictureKind::User => {
            let id = UserId::from(id);
            let source = profiles::avatar_source(app, &id)?;
            let etag = source.etag.clone();
            picture(req, &etag, profiles::load_avatar(app, &id, source)).await
        }
        PictureKind::Group => {
            let id = number()?;
            let (etag, stored) = profile::avatar(app, GroupId(id))?;
            let load = profile::load_avatar(app, GroupId(id), stored, etag.clone());
            picture(req, &etag, load).await
        }
        PictureKind::GroupPicture | PictureKind::Announcement => {
            let kind = match kind {
                PictureKind::GroupPicture => "group_picture",
                _ => "announcement",
            };
            let stored = views::stored_picture(app, kind, number()?)?;
            picture(req, &stored.etag, profile::load_picture(app, &stored)).await
        }
    }
}

const AUDIT: Doc = Doc::new("debugAudit", Tag::Debug, "The audit log")
    .about(about!("Every sign-in, sign-out and write, newest first, 50 per page; `before` an entry id pages back."))
    .takes::<AuditQuery>()
    .gives::<AuditPage>()
    .codes(&[BadParam, TooManyRequests]);

#[derive(Deserialize, JsonSchema)]
pub struct AuditQuery {
    #[serde(default, deserialize_with = "fields::blank_is_none")]
    #[schemars(with = "Id")]
    pub before: Option<Id>,
}

#[derive(Serialize, JsonSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct AuditEntry {
    pub id: i64,
    pub time: Time,
    pub actor: String,
    pub action: String,
    pub target: String,
    /// the write's key and values, or null
    pub detail: Value,
}

async fn audit(app: &App, _admin: Admin, call: Call) -> Result<Response> {
    let AuditQuery { before } = call.fields()?;
    let entries = admin::audit(app, before.map(|id| id.0))?
        .into_iter()
        .map(|e| AuditEntry {
            id: e.id,
            time: Time(app.format_time(e.at)),
            actor: e.actor,
            action: e.action,
            target: e.target,
            detail: e
                .detail
                .and_then(|d| serde_json::from_str(&d).ok())
                .unwrap_or(Value::Null),
        })
        .collect();
    Ok(ok(AuditPage { entries }))
}
