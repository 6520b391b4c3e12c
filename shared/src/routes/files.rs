//! `/group/internal/files`: the group file space, and the resumable uploads we add beside it.

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};

use super::doc::{Doc, Gives, Tag};
use super::table::{typed, user, Call, Methods};
use super::uploads::{self, NewFile, UploadSize};
use super::{ok, Route};
use crate::app::App;
use crate::body::Response;
use crate::db::group_files;
use crate::error::Code::{self, *};
use crate::error::Result;
use crate::fields::{blank_is_none, Id, Time};
use crate::files::resumable::Via;
use crate::files::upload::Target;
use crate::files::{download, entry, folder_param, listed, share, tree, upload, FileName};
use crate::groups::Access;
use crate::ids::{FileId, GroupId, UserId};
use crate::limits::Action;
use crate::moderation;

#[rustfmt::skip]
pub const ROUTES: &[Route] = &[
    Route::post("/group/internal/files/get_dir", typed!(get_dir)).doc(&GET_DIR),
    Route::post("/group/internal/files/mk_dir", typed!(mk_dir)).doc(&MK_DIR),
    Route::get("/group/internal/files/download", user!(download)).doc(&DOWNLOAD),
    Route::post("/group/internal/files/upload", user!(upload))
        .raw_body()
        .limited(Action::Upload)
        .doc(&UPLOAD),
    Route::post("/group/internal/files/delete", typed!(delete)).doc(&DELETE),
    Route::post("/group/internal/files/edit_name", typed!(edit_name)).doc(&EDIT_NAME),
    Route::post("/group/internal/files/move", typed!(move_entry)).doc(&MOVE),
    Route::post("/group/internal/files/share", typed!(share_file)).doc(&SHARE),
    Route::post("/group/internal/files/report", typed!(report)).limited(Action::Report).doc(&REPORT),

    // Resumable uploads (parts through the API) and direct ones (a form posted to object storage).
    Route::post("/group/internal/files/upload/begin", user!(begin))
        .limited(Action::Upload)
        .doc(&BEGIN),
    Route::post("/group/internal/files/upload/direct", user!(direct))
        .limited(Action::Upload)
        .doc(&DIRECT),
    Route::post("/group/internal/files/upload/part", user!(uploads::part::<Target>))
        .methods(Methods::PutOrPost)
        .raw_body()
        .doc(&PART),
    Route::post("/group/internal/files/upload/status", user!(uploads::status::<Target>))
        .doc(&STATUS),
    Route::post("/group/internal/files/upload/complete", user!(uploads::complete::<Target>))
        .doc(&COMPLETE),
    Route::post("/group/internal/files/upload/abort", user!(uploads::abort::<Target>))
        .doc(&ABORT),
];

// A folder of the group (`parent_id`): absent, empty or 0 is the root.
#[derive(Deserialize, JsonSchema)]
pub struct Folder {
    /// a folder; absent or 0 is the root
    #[serde(default, deserialize_with = "blank_is_none")]
    #[schemars(with = "Id")]
    pub parent_id: Option<FileId>,
}

impl Folder {
    fn id(&self) -> Option<FileId> {
        folder_param(self.parent_id)
    }
}

const GET_DIR: Doc = Doc::new("filesGetDir", Tag::Files, "获取目录 List a folder")
    .about("Members. Folders first, then files by name; root entries have `parent_id` 0.")
    .takes::<ListFolder>()
    .gives::<Listing>()
    .checks(Access::READS)
    .codes(&[FolderNotFound]);

#[derive(Deserialize, JsonSchema)]
pub struct ListFolder {
    pub group_id: GroupId,
    #[serde(flatten)]
    pub folder: Folder,
}

#[derive(Serialize, JsonSchema)]
pub struct Listing {
    pub files: Vec<FileEntry>,
}

/// An entry of a group folder.
#[derive(Serialize, JsonSchema)]
pub struct FileEntry {
    pub id: FileId,
    /// 0 for the root
    pub parent_id: i64,
    pub name: String,
    /// `dir`, the lower-case extension with its dot, or empty
    #[serde(rename = "type")]
    pub kind: String,
    #[schemars(range(min = 0))]
    pub size: i64,
    pub time: Time,
    /// seconds, voice and video; else 0
    #[schemars(range(min = 0))]
    pub duration: f64,
    pub file_type: FileType,
}

/// What a file holds, as its bytes say: `image`, `voice`, `video` or `file`.
#[derive(Serialize)]
#[serde(transparent)]
pub struct FileType(pub String);

impl JsonSchema for FileType {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "FileType".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "enum": ["image", "voice", "video", "file"] })
    }
}

async fn get_dir(
    app: &App,
    me: UserId,
    ListFolder { group_id, folder }: ListFolder,
) -> Result<Listing> {
    let entries = tree::list(app, &me, group_id, folder.id())?;
    let files = entries
        .iter()
        .map(|e| {
            let (d, parent) = listed(app, e);
            FileEntry {
                id: d.id,
                parent_id: parent.map_or(0, |p| p.0),
                name: d.name,
                kind: d.kind,
                size: d.size,
                time: Time(d.time),
                duration: d.duration.unwrap_or(0.0),
                file_type: FileType(d.file_type),
            }
        })
        .collect();
    Ok(Listing { files })
}

const MK_DIR: Doc = Doc::new("filesMakeDir", Tag::Files, "创建文件夹 Make a folder")
    .about("Members. Names: trimmed, 1 to 255 bytes, no `/`, `\\`, control characters (bidirectional controls such as U+202E included), `.` or `..` (101); unique per folder (343).")
    .takes::<MakeDir>()
    .checks(Access::WRITES).codes(&[FolderNotFound, FileExists])
    .judges_text();

#[derive(Deserialize, JsonSchema)]
pub struct MakeDir {
    pub group_id: GroupId,
    #[serde(flatten)]
    pub folder: Folder,
    #[schemars(length(min = 1))]
    pub name: String,
}

async fn mk_dir(app: &App, me: UserId, new: MakeDir) -> Result<()> {
    let name = FileName::parse(&new.name)?;
    tree::make_dir(app, &me, new.group_id, new.folder.id(), &name).await?;
    Ok(())
}

const DOWNLOAD: Doc = Doc::new("filesDownload", Tag::Files, "下载文件 Download a file")
    .about("Members (a dismissed group's files stay readable). A folder is 345. With a non-empty `thumbnail`: a JPEG thumbnail of an image, or the picture uploaded beside a video (341 for anything else).")
    .takes::<DownloadFile>()
    .answers(Gives::File)
    .checks(Access::READS).codes(&[FileNotFound, FolderDownload]);

#[derive(Deserialize, JsonSchema)]
pub struct DownloadFile {
    pub group_id: GroupId,
    pub file_id: FileId,
    /// any non-empty value asks for the thumbnail
    #[serde(default)]
    #[schemars(with = "String")]
    pub thumbnail: Option<String>,
}

async fn download(app: &App, me: UserId, call: Call) -> Result<Response> {
    let DownloadFile {
        group_id,
        file_id,
        thumbnail,
    } = call.fields()?;
    let (group_id, file_id) = (group_id, file_id);
    let wanted = app.db.run(|c| {
        Access::load(c, group_id, &me)?.read()?;
        entry(c, group_id, file_id)
    })?;
    let file = download::content_of(&wanted)?;
    match thumbnail.is_some_and(|t| !t.is_empty()) {
        true => {
            download::thumbnail(app, file, Code::FileNotFound, |c, state| {
                group_files::set_thumbnail(c, file_id, state)
            })
            .await
        }
        false => download::file(app, call.req.headers(), &wanted.name, file),
    }
}

const UPLOAD: Doc = Doc::new("filesUpload", Tag::Files, "上传文件 Upload a file")
    .about("Members. The fields must come before the `file` part (as `wx.uploadFile` sends them) or be given in the query string. Streams into storage; the group quota (344) stops it the moment it would pass. Answers the new `file_id`. A video may bring its thumbnail in the optional `thumbnail` part. Over `ZUDUI_UPLOAD_BODY_LIMIT_BYTES` (when set: a hosted platform's request limit) it is 104, declared or not: such a file goes in parts (`upload/begin`) or direct (`upload/direct`).")
    .form::<UploadForm>("file")
    .gives::<NewFile>()
    .checks(Access::WRITES).codes(&[BadPicture, FolderNotFound, FileExists, SpaceFull])
    .judges_text();

// The text fields of an upload (read by `upload::receive`), and the optional thumbnail part.
#[derive(JsonSchema)]
pub struct UploadForm {
    #[serde(flatten)]
    pub fields: upload::TargetFields,
    /// a picture for a video (`thumbTempFilePath`)
    #[serde(default)]
    pub thumbnail: Binary,
}

/// A form's file part.
#[derive(Default)]
pub struct Binary;

impl JsonSchema for Binary {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Binary".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "format": "binary" })
    }
}

async fn upload(app: &App, me: UserId, call: Call) -> Result<Response> {
    let id = upload::receive::<Target>(app, &me, call.req).await?;
    Ok(ok(NewFile { file_id: id }))
}

const DELETE: Doc = Doc::new("filesDelete", Tag::Files, "删除文件/文件夹 Delete")
    .about("A folder goes with everything inside. Members delete what they made (a folder only when all inside is theirs); managers anything.")
    .takes::<FileRef>()
    .checks(Access::WRITES).codes(&[FileNotFound]);

// A file or folder of a group.
#[derive(Deserialize, JsonSchema)]
pub struct FileRef {
    pub group_id: GroupId,
    pub file_id: FileId,
}

async fn delete(app: &App, me: UserId, FileRef { group_id, file_id }: FileRef) -> Result<()> {
    tree::delete(app, &me, group_id, file_id).await
}

const EDIT_NAME: Doc = Doc::new("filesRename", Tag::Files, "修改文件/文件夹名 Rename")
    .about("Name rules as `mk_dir`.")
    .takes::<Rename>()
    .checks(Access::WRITES)
    .codes(&[FileNotFound, FileExists])
    .judges_text();

#[derive(Deserialize, JsonSchema)]
pub struct Rename {
    pub group_id: GroupId,
    pub file_id: FileId,
    #[schemars(length(min = 1))]
    pub name: String,
}

async fn edit_name(app: &App, me: UserId, rename: Rename) -> Result<()> {
    let name = FileName::parse(&rename.name)?;
    tree::rename(app, &me, rename.group_id, rename.file_id, &name).await
}

const MOVE: Doc = Doc::new("filesMove", Tag::Files, "移动文件/文件夹 Move")
    .about("Into `parent_id` (absent or 0: the root); into itself or below is 346.")
    .takes::<Move>()
    .checks(Access::WRITES)
    .codes(&[FileNotFound, FolderNotFound, FileExists, MoveCycle]);

#[derive(Deserialize, JsonSchema)]
pub struct Move {
    pub group_id: GroupId,
    pub file_id: FileId,
    #[serde(flatten)]
    pub folder: Folder,
}

async fn move_entry(app: &App, me: UserId, to: Move) -> Result<()> {
    tree::move_to(app, &me, to.group_id, to.file_id, to.folder.id())
}

const SHARE: Doc = Doc::new(
    "filesShare",
    Tag::Files,
    "分享文件至群聊 Share into the group chat",
)
.about("Posts a file message into the group room; a folder is 345; a member muted in the group (console) is 413, saying when it ends.")
.takes::<FileRef>()
.checks(Access::WRITES)
.codes(&[FileNotFound, FolderDownload, Muted]);

const REPORT: Doc = Doc::new("filesReport", Tag::Files, "Report a file")
    .about("Our addition: members put a file of their group in the review queue of the console, with `reason` (trimmed, 1 to 200 characters; 101); a folder is 345 (report its files). A reporter counts once per open item: reporting again changes nothing. Limited (`report`, 105).")
    .takes::<ReportFile>()
    .checks(Access::READS)
    .codes(&[FileNotFound, FolderDownload]);

#[derive(Deserialize, JsonSchema)]
pub struct ReportFile {
    pub group_id: GroupId,
    pub file_id: FileId,
    #[schemars(length(min = 1, max = moderation::reports::REASON_MAX))]
    pub reason: String,
}

async fn report(app: &App, me: UserId, r: ReportFile) -> Result<()> {
    let reason = moderation::reports::Reason::parse(&r.reason)?;
    moderation::reports::group_file(app, &me, r.group_id, r.file_id, &reason)
}

async fn share_file(app: &App, me: UserId, FileRef { group_id, file_id }: FileRef) -> Result<()> {
    share::share(app, &me, group_id, file_id)?;
    Ok(())
}

const BEGIN: Doc = Doc::new("filesUploadBegin", Tag::FilesResumable, "Begin a resumable upload")
    .about("Our addition, for files over a platform's body limit. Checks what `upload` checks and reserves `size` in the group's quota until it completes (the reservation becomes the file), is aborted or expires: stored bytes plus the sizes of open uploads never exceed the quota (344). Expires after 24 hours.")
    .takes::<BeginUpload>()
    .gives::<uploads::UploadState>()
    .checks(Access::WRITES).codes(&[FolderNotFound, FileExists, SpaceFull])
    .judges_text();

const DIRECT: Doc = Doc::new("filesUploadDirect", Tag::FilesResumable, "Begin an upload straight to object storage")
    .about("Our addition, with object storage (`ZUDUI_BLOB_STORE=s3`, `ZUDUI_S3_DIRECT` on; 102 otherwise): the file's bytes never pass through the API, so neither a platform's body limit (Fermyon Cloud: 10 MB) nor its time limit applies. Checks and reserves like `begin`, then answers a signed POST form: send it with `wx.uploadFile({url, formData: fields, name: 'file', filePath})` straight to the bucket (its host must be among the mini-program's uploadFile domains). The form fixes the object's key and exact size (`size` from 1 byte, an empty file goes through `upload`, to 5×10^9: 104 beyond) and may start a post until `form_expires` (an hour); `status` hands out a fresh one. Then `complete` copies the object where no form writes and checks the copy (type, duration, quota) like any upload. Expires after 24 hours, its object with it.")
    .takes::<BeginUpload>()
    .gives::<uploads::DirectState>()
    .checks(Access::WRITES).codes(&[NoEndpoint, FolderNotFound, FileExists, SpaceFull])
    .judges_text();

// Where a resumable or direct upload goes, and its size.
#[derive(Deserialize, JsonSchema)]
pub struct BeginUpload {
    pub group_id: GroupId,
    #[serde(flatten)]
    pub folder: Folder,
    #[schemars(length(min = 1))]
    pub name: String,
    #[serde(flatten)]
    pub size: UploadSize,
}

/// `group_id`, optional `parent_id` and `name` (the size is read after them).
#[derive(Deserialize)]
struct UploadTarget {
    group_id: GroupId,
    #[serde(flatten)]
    folder: Folder,
    name: String,
}

async fn begin(app: &App, me: UserId, call: Call) -> Result<Response> {
    uploads::begin(app, me, call, target, Via::Parts).await
}

async fn direct(app: &App, me: UserId, call: Call) -> Result<Response> {
    uploads::begin(app, me, call, target, Via::Direct).await
}

/// Where a resumable or direct upload goes: `group_id`, optional `parent_id`, `name`.
fn target(call: &Call) -> Result<Target> {
    let UploadTarget {
        group_id,
        folder,
        name,
    } = call.fields()?;
    Ok(Target {
        group_id,
        parent: folder.id(),
        name: FileName::parse(&name)?,
    })
}

const PART: Doc = Doc::new("filesUploadPart", Tag::FilesResumable, "Send one part")
    .about("The raw body is exactly that part's bytes (each part is `part_size` but the last; a wrong size or index is 101). Parts may come in any order, again if needed. An upload of someone else, unknown or expired, is 341. PUT and POST are the same. A direct upload takes no parts (101).")
    .bytes::<uploads::Part>()
    .codes(&[FileNotFound]);

const STATUS: Doc = Doc::new("filesUploadStatus", Tag::FilesResumable, "Upload status")
    .about("The upload as `begin` describes it, with the parts received; a direct upload's with a fresh form.")
    .takes::<uploads::UploadRef>()
    .gives::<uploads::UploadState>()
    .codes(&[FileNotFound]);

const COMPLETE: Doc = Doc::new("filesUploadComplete", Tag::FilesResumable, "Complete an upload")
    .about("Makes the file (101 while parts are missing, or while a direct upload's object is not in the store or was posted again during the check); answers its `file_id`.")
    .takes::<uploads::UploadRef>()
    .gives::<NewFile>()
    .checks(Access::WRITES).codes(&[FileNotFound, FolderNotFound, FileExists, SpaceFull])
    .judges_text();

const ABORT: Doc = Doc::new("filesUploadAbort", Tag::FilesResumable, "Abort an upload")
    .about("Frees the parts.")
    .takes::<uploads::UploadRef>()
    .codes(&[FileNotFound]);
