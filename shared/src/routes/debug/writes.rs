//! Writes to any row, through the API's own rules.

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::admin::{guard::Admin, writes};
use crate::app::App;
use crate::body::Response;
use crate::error::Code::*;
use crate::error::{Code, Result};
use crate::routes::doc::{Doc, Tag};
use crate::routes::table::{console, Call};
use crate::routes::{ok, Route};
use crate::time;

pub const ROUTES: &[Route] = &[
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
];

/// The doc of a console write.
const fn write_doc(id: &'static str, summary: &'static str) -> Doc {
    Doc::new(id, Tag::Debug, summary)
        .about(about!("Goes through the API's own rules, in one transaction with its audit entry; see the README's table of what each table allows (anything else is 101). Answers the audit log's name of the row (`target`)."))
        .takes::<WriteRow>()
        .gives::<Written>()
        .codes(WRITE_CODES)
}

/// What a console write answers: the API's rules for the row's table.
#[rustfmt::skip]
const WRITE_CODES: &[Code] = &[
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
