//! A group's profile (`/group/internal/info`: intro, name, avatar, intro pictures, tags) and its
//! announcements (`/group/internal/announcement`), over real HTTP: success, every error code,
//! who may do what (outsider, member, admin, creator), dismissed groups, and image validators.

mod common;

use common::paths::group;
use common::{encode, png, Server};
use serde_json::{json, Value};

/// A group with a creator, an admin, a plain member, and an outsider who is signed in.
struct Setup {
    server: Server,
    group: i64,
    creator: String,
    admin: String,
    member: String,
    outsider: String,
    admin_id: String,
    creator_id: String,
}

impl Setup {
    async fn new(prefix: &str) -> Setup {
        let server = Server::start().await;
        let creator = server.login(&format!("{prefix}-creator")).await;
        let admin = server.login(&format!("{prefix}-admin")).await;
        let member = server.login(&format!("{prefix}-member")).await;
        let outsider = server.login(&format!("{prefix}-outsider")).await;
        let group = create_group(&server, &creator, "学习小组").await;
        join(&server, &creator, &admin, group).await;
        join(&server, &creator, &member, group).await;
        let admin_id = server.user_id(&admin).await;
        let creator_id = server.user_id(&creator).await;
        let res = server
            .ok(
                "/group/internal/member/switchAdmin",
                &creator,
                json!({ "group_id": group, "user_id": admin_id }),
            )
            .await;
        assert_eq!(res["is_admin"], true);
        Setup {
            server,
            group,
            creator,
            admin,
            member,
            outsider,
            admin_id,
            creator_id,
        }
    }

    /// Those who may not write the profile or announcements: a member and an outsider.
    fn not_managers(&self) -> [&str; 2] {
        [&self.member, &self.outsider]
    }

    fn g(&self) -> String {
        self.group.to_string()
    }

    async fn dismiss(&self) {
        self.server
            .ok(
                "/group/internal/setting/dismiss",
                &self.creator,
                json!({ "group_id": self.group }),
            )
            .await;
    }
}

async fn create_group(server: &Server, token: &str, name: &str) -> i64 {
    let res = server
        .ok(
            "/group/external/group/create",
            token,
            json!({ "type": "学习", "name": name, "user_limit": 10 }),
        )
        .await;
    res["group_id"].as_i64().expect("group_id")
}

/// `user` asks to join and `owner` approves.
async fn join(server: &Server, owner: &str, user: &str, group: i64) {
    let req = server
        .ok(
            "/group/external/group/join",
            user,
            json!({ "group_id": group }),
        )
        .await;
    server
        .ok(
            "/group/external/joinRequest/process",
            owner,
            json!({ "request_id": req["request_id"], "action": true }),
        )
        .await;
}

/// The text fields of a multipart form.
type Fields<'a> = &'a [(&'a str, &'a str)];

/// An upload that must succeed; returns the answer.
async fn upload_ok(
    server: &Server,
    path: &str,
    token: &str,
    field: &str,
    bytes: Vec<u8>,
    fields: &[(&str, &str)],
) -> Value {
    let (status, value) = server.upload(path, Some(token), field, bytes, fields).await;
    assert_eq!(
        (status, &value["code"]),
        (200, &json!(0)),
        "{path}: {value}"
    );
    assert_eq!(value["msg"], "success", "{path}: {value}");
    value
}

/// An upload that must fail with `code` and `status`.
#[allow(clippy::too_many_arguments)]
async fn upload_fails(
    server: &Server,
    path: &str,
    token: Option<&str>,
    field: &str,
    bytes: Vec<u8>,
    fields: &[(&str, &str)],
    code: u16,
    status: u16,
) {
    let (got, value) = server.upload(path, token, field, bytes, fields).await;
    assert_eq!(
        (got, &value["code"]),
        (status, &json!(code)),
        "{path}: {value}"
    );
    assert!(
        value["errorMsg"].as_str().is_some_and(|m| !m.is_empty()),
        "{path}: {value}"
    );
}

/// A GET with an optional `If-None-Match`.
async fn fetch(
    server: &Server,
    path: &str,
    query: &[(&str, &str)],
    if_none_match: Option<&str>,
) -> reqwest::Response {
    let mut req = server.client.get(server.url(path)).query(query);
    if let Some(etag) = if_none_match {
        req = req.header("if-none-match", etag);
    }
    req.send().await.expect("get")
}

/// A GET that must fail with `code` and `status`.
async fn get_fails(server: &Server, path: &str, query: &[(&str, &str)], code: u16, status: u16) {
    let res = server.get(path, query).await;
    let got = res.status().as_u16();
    let text = res.text().await.unwrap();
    let value: Value =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path} answered non-JSON: {text}"));
    assert_eq!(
        (got, &value["code"]),
        (status, &json!(code)),
        "{path} {query:?}: {value}"
    );
}

/// A served image: its content type, ETag and decoded size; asserts the validator round trip
/// (the same ETag answers 304 with an empty body).
async fn image_of(
    server: &Server,
    path: &str,
    query: &[(&str, &str)],
) -> (String, String, (u32, u32)) {
    let res = fetch(server, path, query, None).await;
    assert_eq!(res.status(), 200, "{path} {query:?}");
    let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    assert!(!etag.is_empty());
    let bytes = res.bytes().await.unwrap();
    let img = image::load_from_memory(&bytes).expect("a decodable image");
    let res = fetch(server, path, query, Some(&etag)).await;
    assert_eq!(
        res.status(),
        304,
        "{path} {query:?} with If-None-Match {etag}"
    );
    assert_eq!(res.headers()["etag"].to_str().unwrap(), etag);
    assert!(res.bytes().await.unwrap().is_empty());
    (content_type, etag, (img.width(), img.height()))
}

fn assert_time(time: &Value) {
    let time = time.as_str().unwrap_or_else(|| panic!("time: {time}"));
    let b = time.as_bytes();
    assert!(
        time.len() == 19
            && b[4] == b'/'
            && b[7] == b'/'
            && b[10] == b' '
            && b[13] == b':'
            && b[16] == b':'
            && time
                .chars()
                .enumerate()
                .all(|(i, c)| [4, 7, 10, 13, 16].contains(&i) || c.is_ascii_digit()),
        "{time}"
    );
}

fn small_png() -> Vec<u8> {
    png(20, 20, 255)
}

fn truncated_png() -> Vec<u8> {
    let mut bytes = png(300, 300, 255);
    bytes.truncate(bytes.len() / 2);
    bytes
}

fn solid(format: image::ImageFormat) -> Vec<u8> {
    let img = image::DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(
        40,
        30,
        image::Rgba([1, 2, 3, 255]),
    ));
    encode(img, format)
}

async fn info(server: &Server, token: &str, group: i64) -> Value {
    server
        .ok(group::INFO_GET, token, json!({ "group_id": group }))
        .await
}

async fn tags(server: &Server, token: &str, group: i64) -> Value {
    server
        .ok(group::TAGS, token, json!({ "group_id": group }))
        .await["tags"]
        .clone()
}

async fn picture_ids(server: &Server, token: &str, group: i64) -> Vec<i64> {
    let res = server
        .ok(group::PICTURES, token, json!({ "group_id": group }))
        .await;
    res["pictures"]
        .as_array()
        .unwrap_or_else(|| panic!("{res}"))
        .iter()
        .map(|p| {
            assert_eq!(p.as_object().unwrap().len(), 1, "{p}");
            p["id"].as_i64().unwrap()
        })
        .collect()
}

async fn announcements(server: &Server, token: &str, group: i64) -> Value {
    server
        .ok(group::ANNOUNCEMENTS, token, json!({ "group_id": group }))
        .await["announcements"]
        .clone()
}

async fn add_announcement(server: &Server, token: &str, group: i64, title: &str) -> i64 {
    let res = server
        .ok(
            group::ANN_ADD,
            token,
            json!({ "group_id": group, "title": title, "text": format!("{title}的正文") }),
        )
        .await;
    res["announcement_id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{res}"))
}

// ---------------------------------------------------------------- intro text and name

#[tokio::test]
async fn info_is_readable_by_anyone_signed_in_with_their_role() {
    let s = Setup::new("info-read").await;
    let server = &s.server;

    let seen = info(server, &s.outsider, s.group).await;
    assert_eq!(seen["id"], s.group);
    assert_eq!(seen["type"], "学习");
    assert_eq!(seen["name"], "学习小组");
    assert_eq!(seen["user_cnt"], 3);
    assert_eq!(seen["user_limit"], 10);
    assert_eq!(seen["info"], "");
    assert_eq!(seen["dismissed"], false);
    assert_eq!(seen["my_role"], Value::Null);
    assert!(seen.as_object().unwrap().contains_key("my_role"), "{seen}");
    assert_time(&seen["time"]);

    for (token, role) in [
        (&s.creator, "creator"),
        (&s.admin, "admin"),
        (&s.member, "member"),
    ] {
        let mine = info(server, token, s.group).await;
        assert_eq!(mine["my_role"], role, "{mine}");
        // Everything but the role is the same for everyone.
        let mut without_role = mine.clone();
        without_role["my_role"] = Value::Null;
        assert_eq!(without_role, seen);
    }
    // Ids may come as decimal strings.
    let by_string = server
        .ok(group::INFO_GET, &s.member, json!({ "group_id": s.g() }))
        .await;
    assert_eq!(by_string["id"], s.group);

    // A demoted admin is a plain member again.
    let res = server
        .ok(
            "/group/internal/member/switchAdmin",
            &s.creator,
            json!({ "group_id": s.group, "user_id": s.admin_id }),
        )
        .await;
    assert_eq!(res["is_admin"], false);
    assert_eq!(info(server, &s.admin, s.group).await["my_role"], "member");

    server
        .fails(
            group::INFO_GET,
            Some(&s.member),
            json!({ "group_id": 999_999 }),
            301,
            404,
        )
        .await;
    server
        .fails(group::INFO_GET, Some(&s.member), json!({}), 101, 400)
        .await;
    server
        .fails(
            group::INFO_GET,
            Some(&s.member),
            json!({ "group_id": "abc" }),
            101,
            400,
        )
        .await;
    server
        .fails(
            group::INFO_GET,
            None,
            json!({ "group_id": s.group }),
            113,
            401,
        )
        .await;
}

#[tokio::test]
async fn managers_edit_the_intro() {
    let s = Setup::new("info-edit").await;
    let server = &s.server;

    server
        .ok(
            group::INFO_EDIT,
            &s.creator,
            json!({ "group_id": s.group, "text": "  每周三晚上一起刷题  " }),
        )
        .await;
    assert_eq!(
        info(server, &s.outsider, s.group).await["info"],
        "每周三晚上一起刷题"
    );
    server
        .ok(
            group::INFO_EDIT,
            &s.admin,
            json!({ "group_id": s.g(), "text": "管理员写的简介" }),
        )
        .await;
    assert_eq!(
        info(server, &s.member, s.group).await["info"],
        "管理员写的简介"
    );

    // Exactly 1000 characters (after trimming) is fine; the intro may be cleared.
    let longest = "简".repeat(1000);
    server
        .ok(
            group::INFO_EDIT,
            &s.admin,
            json!({ "group_id": s.group, "text": format!(" {longest}\n") }),
        )
        .await;
    assert_eq!(
        info(server, &s.member, s.group).await["info"],
        longest.as_str()
    );
    server
        .ok(
            group::INFO_EDIT,
            &s.creator,
            json!({ "group_id": s.group, "text": "   " }),
        )
        .await;
    assert_eq!(info(server, &s.member, s.group).await["info"], "");
    server
        .ok(
            group::INFO_EDIT,
            &s.creator,
            json!({ "group_id": s.group, "text": "最终简介" }),
        )
        .await;

    // Errors: too long, missing or mistyped text, no right, no group, no token.
    let cases = [
        (
            json!({ "group_id": s.group, "text": "简".repeat(1001) }),
            101,
            400,
        ),
        (json!({ "group_id": s.group }), 101, 400),
        (json!({ "group_id": s.group, "text": 5 }), 101, 400),
        (json!({ "text": "x" }), 101, 400),
        (json!({ "group_id": 999_999, "text": "x" }), 301, 404),
    ];
    for (body, code, status) in cases {
        server
            .fails(group::INFO_EDIT, Some(&s.creator), body, code, status)
            .await;
    }
    for token in s.not_managers() {
        server
            .fails(
                group::INFO_EDIT,
                Some(token),
                json!({ "group_id": s.group, "text": "越权" }),
                303,
                403,
            )
            .await;
    }
    server
        .fails(
            group::INFO_EDIT,
            None,
            json!({ "group_id": s.group, "text": "x" }),
            113,
            401,
        )
        .await;
    assert_eq!(info(server, &s.outsider, s.group).await["info"], "最终简介");
}

#[tokio::test]
async fn only_the_creator_renames_the_group() {
    let s = Setup::new("set-name").await;
    let server = &s.server;

    server
        .ok(
            group::SET_NAME,
            &s.creator,
            json!({ "group_id": s.group, "name": "  考研冲刺  " }),
        )
        .await;
    assert_eq!(info(server, &s.outsider, s.group).await["name"], "考研冲刺");
    let longest = "名".repeat(30);
    server
        .ok(
            group::SET_NAME,
            &s.creator,
            json!({ "group_id": s.g(), "name": longest }),
        )
        .await;
    assert_eq!(
        info(server, &s.member, s.group).await["name"],
        longest.as_str()
    );

    for token in [&s.admin, &s.member, &s.outsider] {
        server
            .fails(
                group::SET_NAME,
                Some(token),
                json!({ "group_id": s.group, "name": "篡位" }),
                303,
                403,
            )
            .await;
    }
    let cases = [
        (
            json!({ "group_id": s.group, "name": "名".repeat(31) }),
            101,
            400,
        ),
        (json!({ "group_id": s.group, "name": "   " }), 101, 400),
        (json!({ "group_id": s.group, "name": "" }), 101, 400),
        (json!({ "group_id": s.group }), 101, 400),
        (json!({ "group_id": s.group, "name": 7 }), 101, 400),
        (json!({ "name": "x" }), 101, 400),
        (json!({ "group_id": 999_999, "name": "x" }), 301, 404),
    ];
    for (body, code, status) in cases {
        server
            .fails(group::SET_NAME, Some(&s.creator), body, code, status)
            .await;
    }
    server
        .fails(
            group::SET_NAME,
            None,
            json!({ "group_id": s.group, "name": "x" }),
            113,
            401,
        )
        .await;
    assert_eq!(
        info(server, &s.member, s.group).await["name"],
        longest.as_str()
    );
}

// ---------------------------------------------------------------- avatar

#[tokio::test]
async fn group_avatars_default_then_uploaded_with_etags() {
    let s = Setup::new("avatar").await;
    let server = &s.server;
    let g = s.g();
    let other = create_group(server, &s.outsider, "别的群")
        .await
        .to_string();

    // Without an upload: a generated PNG for anyone signed in, with a working validator.
    let (content_type, default_etag, _) = image_of(
        server,
        group::AVATAR_GET,
        &[("token", &s.outsider), ("group_id", &g)],
    )
    .await;
    assert_eq!(content_type, "image/png");
    let (_, member_etag, _) = image_of(
        server,
        group::AVATAR_GET,
        &[("token", &s.member), ("group_id", &g)],
    )
    .await;
    assert_eq!(member_etag, default_etag);
    let (_, other_default, _) = image_of(
        server,
        group::AVATAR_GET,
        &[("token", &s.member), ("group_id", &other)],
    )
    .await;
    assert_ne!(other_default, default_etag, "defaults differ per group");

    // The admin uploads a large opaque PNG: served as a JPEG of at most 512 px.
    let value = upload_ok(
        server,
        group::AVATAR_ADD,
        &s.admin,
        "avatar",
        png(1600, 800, 255),
        &[("group_id", &g)],
    )
    .await;
    assert_eq!(value, json!({ "code": 0, "msg": "success" }));
    let (content_type, jpeg_etag, size) = image_of(
        server,
        group::AVATAR_GET,
        &[("token", &s.outsider), ("group_id", &g)],
    )
    .await;
    assert_eq!(content_type, "image/jpeg");
    assert_eq!(size, (512, 256));
    assert_ne!(jpeg_etag, default_etag);
    // The old validator no longer matches.
    let res = fetch(
        server,
        group::AVATAR_GET,
        &[("token", &s.member), ("group_id", &g)],
        Some(&default_etag),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert!(!res.bytes().await.unwrap().is_empty());

    // The creator uploads a transparent one: it stays PNG, and the ETag changes again.
    upload_ok(
        server,
        group::AVATAR_ADD,
        &s.creator,
        "avatar",
        png(64, 48, 10),
        &[("group_id", &g)],
    )
    .await;
    let (content_type, png_etag, size) = image_of(
        server,
        group::AVATAR_GET,
        &[("token", &s.member), ("group_id", &g)],
    )
    .await;
    assert_eq!(content_type, "image/png");
    assert_eq!(size, (64, 48));
    assert_ne!(png_etag, jpeg_etag);
    assert_ne!(png_etag, default_etag);

    // WebP, GIF and JPEG are accepted too.
    for format in [
        image::ImageFormat::WebP,
        image::ImageFormat::Gif,
        image::ImageFormat::Jpeg,
    ] {
        let img = if format == image::ImageFormat::Jpeg {
            encode(
                image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
                    40,
                    30,
                    image::Rgb([9, 8, 7]),
                )),
                format,
            )
        } else {
            solid(format)
        };
        upload_ok(
            server,
            group::AVATAR_ADD,
            &s.admin,
            "avatar",
            img,
            &[("group_id", &g)],
        )
        .await;
        let (_, _, size) = image_of(
            server,
            group::AVATAR_GET,
            &[("token", &s.member), ("group_id", &g)],
        )
        .await;
        assert_eq!(size, (40, 30), "{format:?}");
    }

    // The other group's avatar did not change.
    let (content_type, etag, _) = image_of(
        server,
        group::AVATAR_GET,
        &[("token", &s.member), ("group_id", &other)],
    )
    .await;
    assert_eq!((content_type.as_str(), etag), ("image/png", other_default));
}

#[tokio::test]
async fn group_avatar_errors() {
    let s = Setup::new("avatar-err").await;
    let server = &s.server;
    let g = s.g();
    let fields = [("group_id", g.as_str())];
    let (_, default_etag, _) = image_of(
        server,
        group::AVATAR_GET,
        &[("token", &s.creator), ("group_id", &g)],
    )
    .await;

    for token in s.not_managers() {
        upload_fails(
            server,
            group::AVATAR_ADD,
            Some(token),
            "avatar",
            small_png(),
            &fields,
            303,
            403,
        )
        .await;
    }
    let creator = Some(s.creator.as_str());
    for bad in [
        b"not an image".to_vec(),
        truncated_png(),
        vec![0u8; 5 * 1024 * 1024 + 1],
    ] {
        upload_fails(
            server,
            group::AVATAR_ADD,
            creator,
            "avatar",
            bad,
            &fields,
            333,
            400,
        )
        .await;
    }
    // A real image followed by junk past 5 MB is refused too: the size counts, not the pixels.
    let mut padded = png(64, 64, 255);
    padded.extend(std::iter::repeat_n(0u8, 5 * 1024 * 1024));
    upload_fails(
        server,
        group::AVATAR_ADD,
        creator,
        "avatar",
        padded,
        &fields,
        333,
        400,
    )
    .await;
    // The file part must be named `avatar`; group_id is required and must be an integer.
    upload_fails(
        server,
        group::AVATAR_ADD,
        creator,
        "pic",
        small_png(),
        &fields,
        101,
        400,
    )
    .await;
    upload_fails(
        server,
        group::AVATAR_ADD,
        creator,
        "avatar",
        small_png(),
        &[],
        101,
        400,
    )
    .await;
    upload_fails(
        server,
        group::AVATAR_ADD,
        creator,
        "avatar",
        small_png(),
        &[("group_id", "abc")],
        101,
        400,
    )
    .await;
    upload_fails(
        server,
        group::AVATAR_ADD,
        creator,
        "avatar",
        small_png(),
        &[("group_id", "999999")],
        301,
        404,
    )
    .await;
    upload_fails(
        server,
        group::AVATAR_ADD,
        None,
        "avatar",
        small_png(),
        &fields,
        113,
        401,
    )
    .await;
    // A JSON body is not an upload.
    server
        .fails(
            group::AVATAR_ADD,
            creator,
            json!({ "group_id": s.group, "avatar": "x" }),
            104,
            413,
        )
        .await;

    // Nothing was stored: the default avatar is still served.
    let (content_type, etag, _) = image_of(
        server,
        group::AVATAR_GET,
        &[("token", &s.member), ("group_id", &g)],
    )
    .await;
    assert_eq!((content_type.as_str(), etag), ("image/png", default_etag));

    get_fails(
        server,
        group::AVATAR_GET,
        &[("token", &s.member), ("group_id", "999999")],
        301,
        404,
    )
    .await;
    get_fails(server, group::AVATAR_GET, &[("token", &s.member)], 101, 400).await;
    get_fails(server, group::AVATAR_GET, &[("group_id", &g)], 113, 401).await;
}

// ---------------------------------------------------------------- intro pictures

#[tokio::test]
async fn intro_pictures_lifecycle() {
    let s = Setup::new("pictures").await;
    let server = &s.server;
    let g = s.g();
    let fields = [("group_id", g.as_str())];

    assert!(picture_ids(server, &s.outsider, s.group).await.is_empty());

    let first = upload_ok(
        server,
        group::PICTURE_ADD,
        &s.creator,
        "pic",
        png(1000, 500, 255),
        &fields,
    )
    .await;
    assert_eq!(first.as_object().unwrap().len(), 3, "{first}");
    let first = first["pic_id"].as_i64().expect("pic_id");
    let second = upload_ok(
        server,
        group::PICTURE_ADD,
        &s.admin,
        "pic",
        png(30, 60, 40),
        &fields,
    )
    .await["pic_id"]
        .as_i64()
        .expect("pic_id");
    assert_ne!(first, second);
    // Upload order, the same for members and outsiders.
    assert_eq!(
        picture_ids(server, &s.outsider, s.group).await,
        [first, second]
    );
    assert_eq!(
        picture_ids(server, &s.member, s.group).await,
        [first, second]
    );

    let first_s = first.to_string();
    let second_s = second.to_string();
    let (content_type, first_etag, size) = image_of(
        server,
        group::PICTURE_GET,
        &[
            ("token", &s.outsider),
            ("group_id", &g),
            ("pic_id", &first_s),
        ],
    )
    .await;
    assert_eq!((content_type.as_str(), size), ("image/jpeg", (512, 256)));
    let (content_type, second_etag, size) = image_of(
        server,
        group::PICTURE_GET,
        &[
            ("token", &s.member),
            ("group_id", &g),
            ("pic_id", &second_s),
        ],
    )
    .await;
    assert_eq!((content_type.as_str(), size), ("image/png", (30, 60)));
    assert_ne!(first_etag, second_etag);
    // One picture's validator does not revalidate another.
    let res = fetch(
        server,
        group::PICTURE_GET,
        &[
            ("token", &s.member),
            ("group_id", &g),
            ("pic_id", &second_s),
        ],
        Some(&first_etag),
    )
    .await;
    assert_eq!(res.status(), 200);

    // Managers delete; the picture is gone for everyone.
    server
        .ok(
            group::PICTURE_DEL,
            &s.admin,
            json!({ "group_id": s.group, "pic_id": first }),
        )
        .await;
    assert_eq!(picture_ids(server, &s.outsider, s.group).await, [second]);
    get_fails(
        server,
        group::PICTURE_GET,
        &[("token", &s.member), ("group_id", &g), ("pic_id", &first_s)],
        332,
        404,
    )
    .await;
    server
        .ok(
            group::PICTURE_DEL,
            &s.creator,
            json!({ "group_id": s.g(), "pic_id": second_s }),
        )
        .await;
    assert!(picture_ids(server, &s.member, s.group).await.is_empty());
}

#[tokio::test]
async fn intro_pictures_are_limited_to_nine() {
    let s = Setup::new("pictures-full").await;
    let server = &s.server;
    let g = s.g();
    let fields = [("group_id", g.as_str())];

    let mut ids = Vec::new();
    for i in 0..9 {
        let token = if i % 2 == 0 { &s.creator } else { &s.admin };
        let res = upload_ok(
            server,
            group::PICTURE_ADD,
            token,
            "pic",
            png(10 + i, 10, 255),
            &fields,
        )
        .await;
        ids.push(res["pic_id"].as_i64().unwrap());
    }
    assert_eq!(picture_ids(server, &s.member, s.group).await, ids);
    upload_fails(
        server,
        group::PICTURE_ADD,
        Some(&s.admin),
        "pic",
        small_png(),
        &fields,
        331,
        413,
    )
    .await;
    assert_eq!(picture_ids(server, &s.member, s.group).await, ids);

    // After a deletion there is room for one more, appended at the end.
    server
        .ok(
            group::PICTURE_DEL,
            &s.creator,
            json!({ "group_id": s.group, "pic_id": ids[3] }),
        )
        .await;
    let res = upload_ok(
        server,
        group::PICTURE_ADD,
        &s.admin,
        "pic",
        small_png(),
        &fields,
    )
    .await;
    ids.remove(3);
    ids.push(res["pic_id"].as_i64().unwrap());
    assert_eq!(picture_ids(server, &s.outsider, s.group).await, ids);
    upload_fails(
        server,
        group::PICTURE_ADD,
        Some(&s.creator),
        "pic",
        small_png(),
        &fields,
        331,
        413,
    )
    .await;
    assert_eq!(picture_ids(server, &s.outsider, s.group).await.len(), 9);
}

#[tokio::test]
async fn intro_picture_errors() {
    let s = Setup::new("pictures-err").await;
    let server = &s.server;
    let g = s.g();
    let fields = [("group_id", g.as_str())];
    let other = create_group(server, &s.outsider, "别的群").await;
    let other_s = other.to_string();

    let pic = upload_ok(
        server,
        group::PICTURE_ADD,
        &s.creator,
        "pic",
        small_png(),
        &fields,
    )
    .await["pic_id"]
        .as_i64()
        .unwrap();
    let pic_s = pic.to_string();
    let foreign = upload_ok(
        server,
        group::PICTURE_ADD,
        &s.outsider,
        "pic",
        small_png(),
        &[("group_id", &other_s)],
    )
    .await["pic_id"]
        .as_i64()
        .unwrap();
    let foreign_s = foreign.to_string();

    // Writes: members and outsiders may not add or delete.
    for token in s.not_managers() {
        upload_fails(
            server,
            group::PICTURE_ADD,
            Some(token),
            "pic",
            small_png(),
            &fields,
            303,
            403,
        )
        .await;
        server
            .fails(
                group::PICTURE_DEL,
                Some(token),
                json!({ "group_id": s.group, "pic_id": pic }),
                303,
                403,
            )
            .await;
    }
    // The creator of this group is an outsider of the other one.
    server
        .fails(
            group::PICTURE_DEL,
            Some(&s.creator),
            json!({ "group_id": other, "pic_id": foreign }),
            303,
            403,
        )
        .await;

    let creator = Some(s.creator.as_str());
    for bad in [
        b"GIF89a but not really".to_vec(),
        truncated_png(),
        vec![0u8; 5 * 1024 * 1024 + 1],
    ] {
        upload_fails(
            server,
            group::PICTURE_ADD,
            creator,
            "pic",
            bad,
            &fields,
            333,
            400,
        )
        .await;
    }
    upload_fails(
        server,
        group::PICTURE_ADD,
        creator,
        "avatar",
        small_png(),
        &fields,
        101,
        400,
    )
    .await;
    upload_fails(
        server,
        group::PICTURE_ADD,
        creator,
        "pic",
        small_png(),
        &[],
        101,
        400,
    )
    .await;
    upload_fails(
        server,
        group::PICTURE_ADD,
        creator,
        "pic",
        small_png(),
        &[("group_id", "999999")],
        301,
        404,
    )
    .await;
    upload_fails(
        server,
        group::PICTURE_ADD,
        None,
        "pic",
        small_png(),
        &fields,
        113,
        401,
    )
    .await;
    server
        .fails(
            group::PICTURE_ADD,
            creator,
            json!({ "group_id": s.group }),
            104,
            413,
        )
        .await;

    // Deleting: unknown ids and another group's picture are 332; bad parameters 101.
    let cases = [
        (json!({ "group_id": s.group, "pic_id": 999_999 }), 332, 404),
        (json!({ "group_id": s.group, "pic_id": foreign }), 332, 404),
        (json!({ "group_id": s.group }), 101, 400),
        (json!({ "group_id": s.group, "pic_id": "x" }), 101, 400),
        (json!({ "pic_id": pic }), 101, 400),
        (json!({ "group_id": 999_999, "pic_id": pic }), 301, 404),
    ];
    for (body, code, status) in cases {
        server
            .fails(group::PICTURE_DEL, creator, body, code, status)
            .await;
    }
    server
        .fails(
            group::PICTURE_DEL,
            None,
            json!({ "group_id": s.group, "pic_id": pic }),
            113,
            401,
        )
        .await;

    // Reading: unknown pictures and another group's are 332; unknown groups 301.
    for pic_id in ["999999", foreign_s.as_str()] {
        get_fails(
            server,
            group::PICTURE_GET,
            &[("token", &s.member), ("group_id", &g), ("pic_id", pic_id)],
            332,
            404,
        )
        .await;
    }
    get_fails(
        server,
        group::PICTURE_GET,
        &[
            ("token", &s.member),
            ("group_id", "999999"),
            ("pic_id", &pic_s),
        ],
        301,
        404,
    )
    .await;
    get_fails(
        server,
        group::PICTURE_GET,
        &[("token", &s.member), ("group_id", &g)],
        101,
        400,
    )
    .await;
    get_fails(
        server,
        group::PICTURE_GET,
        &[("group_id", &g), ("pic_id", &pic_s)],
        113,
        401,
    )
    .await;
    server
        .fails(
            group::PICTURES,
            Some(&s.member),
            json!({ "group_id": 999_999 }),
            301,
            404,
        )
        .await;
    server
        .fails(group::PICTURES, Some(&s.member), json!({}), 101, 400)
        .await;
    server
        .fails(
            group::PICTURES,
            None,
            json!({ "group_id": s.group }),
            113,
            401,
        )
        .await;

    // Nothing changed: one picture here, one in the other group.
    assert_eq!(picture_ids(server, &s.outsider, s.group).await, [pic]);
    assert_eq!(picture_ids(server, &s.member, other).await, [foreign]);
    let (_, _, size) = image_of(
        server,
        group::PICTURE_GET,
        &[("token", &s.member), ("group_id", &g), ("pic_id", &pic_s)],
    )
    .await;
    assert_eq!(size, (20, 20));
}

// ---------------------------------------------------------------- tags

#[tokio::test]
async fn group_tags_lifecycle() {
    let s = Setup::new("tags").await;
    let server = &s.server;

    assert_eq!(tags(server, &s.outsider, s.group).await, json!([]));
    server
        .ok(
            group::TAG_ADD,
            &s.creator,
            json!({ "group_id": s.group, "tag_text": "  考研  " }),
        )
        .await;
    server
        .ok(
            group::TAG_ADD,
            &s.admin,
            json!({ "group_id": s.g(), "tag_text": "数学" }),
        )
        .await;
    let list = tags(server, &s.outsider, s.group).await;
    let items = list.as_array().unwrap();
    assert_eq!(items.len(), 2, "{list}");
    assert_eq!(items[0]["tag_text"], "考研");
    assert_eq!(items[1]["tag_text"], "数学");
    let first = items[0]["id"].as_i64().expect("id");
    let second = items[1]["id"].as_i64().expect("id");
    assert_ne!(first, second);
    for item in items {
        assert_eq!(item.as_object().unwrap().len(), 2, "{item}");
    }
    assert_eq!(tags(server, &s.member, s.group).await, list);

    // Exactly 20 characters; edits keep the id; ids may be decimal strings.
    let longest = "标".repeat(20);
    server
        .ok(
            group::TAG_EDIT,
            &s.admin,
            json!({ "group_id": s.group, "tag_id": first.to_string(), "tag_text": format!(" {longest} ") }),
        )
        .await;
    server
        .ok(
            group::TAG_REMOVE,
            &s.creator,
            json!({ "group_id": s.group, "tag_id": second }),
        )
        .await;
    assert_eq!(
        tags(server, &s.member, s.group).await,
        json!([{ "id": first, "tag_text": longest }])
    );
    // A removed tag's text can be used again.
    server
        .ok(
            group::TAG_ADD,
            &s.admin,
            json!({ "group_id": s.group, "tag_text": "数学" }),
        )
        .await;
    let list = tags(server, &s.outsider, s.group).await;
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    assert_eq!(list[0]["id"], first);
    assert_eq!(list[1]["tag_text"], "数学");
    server
        .ok(
            group::TAG_REMOVE,
            &s.admin,
            json!({ "group_id": s.group, "tag_id": list[1]["id"] }),
        )
        .await;
    server
        .ok(
            group::TAG_REMOVE,
            &s.creator,
            json!({ "group_id": s.group, "tag_id": first }),
        )
        .await;
    assert_eq!(tags(server, &s.outsider, s.group).await, json!([]));
}

#[tokio::test]
async fn group_tag_errors() {
    let s = Setup::new("tags-err").await;
    let server = &s.server;
    let creator = Some(s.creator.as_str());
    let other = create_group(server, &s.outsider, "别的群").await;
    server
        .ok(
            group::TAG_ADD,
            &s.outsider,
            json!({ "group_id": other, "tag_text": "别人的" }),
        )
        .await;
    let foreign = tags(server, &s.outsider, other).await[0]["id"].clone();

    // Adding: empty is 362, too long or a duplicate 101, missing text 101.
    server
        .ok(
            group::TAG_ADD,
            &s.creator,
            json!({ "group_id": s.group, "tag_text": "摄影" }),
        )
        .await;
    let cases = [
        (json!({ "group_id": s.group, "tag_text": "" }), 362, 400),
        (json!({ "group_id": s.group, "tag_text": "   " }), 362, 400),
        (
            json!({ "group_id": s.group, "tag_text": "标".repeat(21) }),
            101,
            400,
        ),
        (json!({ "group_id": s.group, "tag_text": "摄影" }), 101, 400),
        (
            json!({ "group_id": s.group, "tag_text": " 摄影 " }),
            101,
            400,
        ),
        (json!({ "group_id": s.group }), 101, 400),
        (json!({ "group_id": s.group, "tag_text": 1 }), 101, 400),
        (json!({ "tag_text": "x" }), 101, 400),
        (json!({ "group_id": 999_999, "tag_text": "x" }), 301, 404),
    ];
    for (body, code, status) in cases {
        server
            .fails(group::TAG_ADD, creator, body, code, status)
            .await;
    }
    for token in s.not_managers() {
        server
            .fails(
                group::TAG_ADD,
                Some(token),
                json!({ "group_id": s.group, "tag_text": "越权" }),
                303,
                403,
            )
            .await;
    }
    // The same text in another group is fine.
    server
        .ok(
            group::TAG_ADD,
            &s.outsider,
            json!({ "group_id": other, "tag_text": "摄影" }),
        )
        .await;

    // At most ten: the eleventh is 363.
    for i in 1..10 {
        let token = if i % 2 == 0 { &s.creator } else { &s.admin };
        server
            .ok(
                group::TAG_ADD,
                token,
                json!({ "group_id": s.group, "tag_text": format!("标签{i}") }),
            )
            .await;
    }
    server
        .fails(
            group::TAG_ADD,
            Some(&s.admin),
            json!({ "group_id": s.group, "tag_text": "第十一个" }),
            363,
            413,
        )
        .await;
    let before = tags(server, &s.member, s.group).await;
    assert_eq!(before.as_array().unwrap().len(), 10, "{before}");
    assert_eq!(before[0]["tag_text"], "摄影");
    let id = before[0]["id"].clone();

    // Editing.
    let cases = [
        (
            json!({ "group_id": s.group, "tag_id": 999_999, "tag_text": "x" }),
            361,
            404,
        ),
        (
            json!({ "group_id": s.group, "tag_id": foreign, "tag_text": "x" }),
            361,
            404,
        ),
        (
            json!({ "group_id": s.group, "tag_id": id, "tag_text": "" }),
            362,
            400,
        ),
        (
            json!({ "group_id": s.group, "tag_id": id, "tag_text": "  " }),
            362,
            400,
        ),
        (
            json!({ "group_id": s.group, "tag_id": id, "tag_text": "标签1" }),
            101,
            400,
        ),
        (
            json!({ "group_id": s.group, "tag_id": id, "tag_text": "标".repeat(21) }),
            101,
            400,
        ),
        (json!({ "group_id": s.group, "tag_id": id }), 101, 400),
        (json!({ "group_id": s.group, "tag_text": "x" }), 101, 400),
        (
            json!({ "group_id": s.group, "tag_id": "abc", "tag_text": "x" }),
            101,
            400,
        ),
        (
            json!({ "group_id": 999_999, "tag_id": id, "tag_text": "x" }),
            301,
            404,
        ),
    ];
    for (body, code, status) in cases {
        server
            .fails(group::TAG_EDIT, creator, body, code, status)
            .await;
    }
    // Removing.
    let cases = [
        (json!({ "group_id": s.group, "tag_id": 999_999 }), 361, 404),
        (json!({ "group_id": s.group, "tag_id": foreign }), 361, 404),
        (json!({ "group_id": s.group }), 101, 400),
        (json!({ "group_id": s.group, "tag_id": "abc" }), 101, 400),
        (json!({ "group_id": 999_999, "tag_id": id }), 301, 404),
    ];
    for (body, code, status) in cases {
        server
            .fails(group::TAG_REMOVE, creator, body, code, status)
            .await;
    }
    for token in s.not_managers() {
        server
            .fails(
                group::TAG_EDIT,
                Some(token),
                json!({ "group_id": s.group, "tag_id": id, "tag_text": "越权" }),
                303,
                403,
            )
            .await;
        server
            .fails(
                group::TAG_REMOVE,
                Some(token),
                json!({ "group_id": s.group, "tag_id": id }),
                303,
                403,
            )
            .await;
    }
    server
        .fails(
            group::TAGS,
            Some(&s.member),
            json!({ "group_id": 999_999 }),
            301,
            404,
        )
        .await;
    server
        .fails(group::TAGS, Some(&s.member), json!({}), 101, 400)
        .await;
    for path in [
        group::TAGS,
        group::TAG_ADD,
        group::TAG_EDIT,
        group::TAG_REMOVE,
    ] {
        server
            .fails(
                path,
                None,
                json!({ "group_id": s.group, "tag_id": id, "tag_text": "x" }),
                113,
                401,
            )
            .await;
    }

    // Nothing changed here, and the other group still has its two tags.
    assert_eq!(tags(server, &s.outsider, s.group).await, before);
    let theirs = tags(server, &s.member, other).await;
    assert_eq!(theirs.as_array().unwrap().len(), 2, "{theirs}");

    // A removed tag is 361 the second time; its slot is free again.
    server
        .ok(
            group::TAG_REMOVE,
            &s.admin,
            json!({ "group_id": s.group, "tag_id": id }),
        )
        .await;
    server
        .fails(
            group::TAG_REMOVE,
            Some(&s.admin),
            json!({ "group_id": s.group, "tag_id": id }),
            361,
            404,
        )
        .await;
    server
        .fails(
            group::TAG_EDIT,
            Some(&s.admin),
            json!({ "group_id": s.group, "tag_id": id, "tag_text": "复活" }),
            361,
            404,
        )
        .await;
    server
        .ok(
            group::TAG_ADD,
            &s.admin,
            json!({ "group_id": s.group, "tag_text": "第十一个" }),
        )
        .await;
    assert_eq!(
        tags(server, &s.member, s.group)
            .await
            .as_array()
            .unwrap()
            .len(),
        10
    );
}

// ---------------------------------------------------------------- announcements

#[tokio::test]
async fn announcements_lifecycle() {
    let s = Setup::new("ann").await;
    let server = &s.server;

    assert_eq!(announcements(server, &s.member, s.group).await, json!([]));

    let res = server
        .ok(
            group::ANN_ADD,
            &s.admin,
            json!({ "group_id": s.group, "title": "  周会通知  ", "text": "\n 周三 8 点开会 \n" }),
        )
        .await;
    assert_eq!(res.as_object().unwrap().len(), 3, "{res}");
    let first = res["announcement_id"].as_i64().expect("announcement_id");
    let second = add_announcement(server, &s.creator, s.group, "第二条").await;
    assert_ne!(first, second);

    // Newest first, for every member.
    let list = announcements(server, &s.member, s.group).await;
    let items = list.as_array().unwrap();
    assert_eq!(items.len(), 2, "{list}");
    assert_eq!(items[0]["id"], second);
    assert_eq!(items[0]["title"], "第二条");
    assert_eq!(items[1]["id"], first);
    assert_eq!(items[1]["title"], "周会通知");
    for item in items {
        assert_eq!(item["has_pic"], false);
        assert_time(&item["time"]);
        assert_eq!(item.as_object().unwrap().len(), 4, "{item}");
    }
    assert_eq!(announcements(server, &s.creator, s.group).await, list);

    let got = server
        .ok(
            group::ANNOUNCEMENT,
            &s.member,
            json!({ "group_id": s.group, "announcement_id": first }),
        )
        .await["announcement"]
        .clone();
    assert_eq!(got["id"], first);
    assert_eq!(got["title"], "周会通知");
    assert_eq!(got["text"], "周三 8 点开会");
    assert_eq!(got["author_id"], s.admin_id.as_str());
    assert_eq!(got["has_pic"], false);
    assert_eq!(got["time"], items[1]["time"]);
    assert_time(&got["edit_time"]);
    assert!(got["edit_time"].as_str() >= got["time"].as_str(), "{got}");
    assert_eq!(got.as_object().unwrap().len(), 7, "{got}");
    let by_creator = server
        .ok(
            group::ANNOUNCEMENT,
            &s.creator,
            json!({ "group_id": s.g(), "announcement_id": second.to_string() }),
        )
        .await["announcement"]
        .clone();
    assert_eq!(by_creator["author_id"], s.creator_id.as_str());
    assert_eq!(by_creator["text"], "第二条的正文");

    // The creator edits the admin's announcement: author and creation time stay.
    server
        .ok(
            group::ANN_EDIT,
            &s.creator,
            json!({ "group_id": s.group, "announcement_id": first, "title": " 改期 ", "text": " 改到周四 " }),
        )
        .await;
    let edited = server
        .ok(
            group::ANNOUNCEMENT,
            &s.admin,
            json!({ "group_id": s.group, "announcement_id": first }),
        )
        .await["announcement"]
        .clone();
    assert_eq!(edited["title"], "改期");
    assert_eq!(edited["text"], "改到周四");
    assert_eq!(edited["author_id"], s.admin_id.as_str());
    assert_eq!(edited["time"], got["time"]);
    assert!(edited["edit_time"].as_str() >= got["edit_time"].as_str());
    let list = announcements(server, &s.member, s.group).await;
    assert_eq!(list[1]["title"], "改期");

    // Limits: exactly 50 and 5000 characters after trimming.
    let title = "题".repeat(50);
    let text = "文".repeat(5000);
    server
        .ok(
            group::ANN_EDIT,
            &s.admin,
            json!({ "group_id": s.group, "announcement_id": second, "title": format!(" {title} "), "text": format!("{text}\n") }),
        )
        .await;
    let long = server
        .ok(
            group::ANNOUNCEMENT,
            &s.member,
            json!({ "group_id": s.group, "announcement_id": second }),
        )
        .await["announcement"]
        .clone();
    assert_eq!(long["title"], title.as_str());
    assert_eq!(long["text"], text.as_str());

    // Deleting.
    server
        .ok(
            group::ANN_DELETE,
            &s.admin,
            json!({ "group_id": s.group, "announcement_id": second }),
        )
        .await;
    let list = announcements(server, &s.member, s.group).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["id"], first);
    server
        .fails(
            group::ANNOUNCEMENT,
            Some(&s.member),
            json!({ "group_id": s.group, "announcement_id": second }),
            101,
            400,
        )
        .await;
    server
        .ok(
            group::ANN_DELETE,
            &s.creator,
            json!({ "group_id": s.g(), "announcement_id": first.to_string() }),
        )
        .await;
    assert_eq!(announcements(server, &s.member, s.group).await, json!([]));
}

#[tokio::test]
async fn announcement_errors_and_permissions() {
    let s = Setup::new("ann-err").await;
    let server = &s.server;
    let creator = Some(s.creator.as_str());
    let id = add_announcement(server, &s.creator, s.group, "公告").await;
    let other = create_group(server, &s.outsider, "别的群").await;
    let foreign = add_announcement(server, &s.outsider, other, "别人的公告").await;

    // Outsiders read nothing, not even the list.
    server
        .fails(
            group::ANNOUNCEMENTS,
            Some(&s.outsider),
            json!({ "group_id": s.group }),
            303,
            403,
        )
        .await;
    server
        .fails(
            group::ANNOUNCEMENT,
            Some(&s.outsider),
            json!({ "group_id": s.group, "announcement_id": id }),
            303,
            403,
        )
        .await;
    // Members read but do not write; outsiders neither.
    for token in s.not_managers() {
        let cases = [
            (
                group::ANN_ADD,
                json!({ "group_id": s.group, "title": "t", "text": "x" }),
            ),
            (
                group::ANN_EDIT,
                json!({ "group_id": s.group, "announcement_id": id, "title": "t", "text": "x" }),
            ),
            (
                group::ANN_DELETE,
                json!({ "group_id": s.group, "announcement_id": id }),
            ),
        ];
        for (path, body) in cases {
            server.fails(path, Some(token), body, 303, 403).await;
        }
    }

    // Adding: title 1..=50, text 1..=5000 after trimming.
    let cases = [
        (
            json!({ "group_id": s.group, "title": "题".repeat(51), "text": "x" }),
            101,
            400,
        ),
        (
            json!({ "group_id": s.group, "title": "   ", "text": "x" }),
            101,
            400,
        ),
        (
            json!({ "group_id": s.group, "title": "", "text": "x" }),
            101,
            400,
        ),
        (
            json!({ "group_id": s.group, "title": "t", "text": "文".repeat(5001) }),
            101,
            400,
        ),
        (
            json!({ "group_id": s.group, "title": "t", "text": " \n " }),
            101,
            400,
        ),
        (
            json!({ "group_id": s.group, "title": "t", "text": "" }),
            101,
            400,
        ),
        (json!({ "group_id": s.group, "text": "x" }), 101, 400),
        (json!({ "group_id": s.group, "title": "t" }), 101, 400),
        (
            json!({ "group_id": s.group, "title": 1, "text": "x" }),
            101,
            400,
        ),
        (json!({ "title": "t", "text": "x" }), 101, 400),
        (
            json!({ "group_id": 999_999, "title": "t", "text": "x" }),
            301,
            404,
        ),
    ];
    for (body, code, status) in cases {
        server
            .fails(group::ANN_ADD, creator, body, code, status)
            .await;
    }
    // Editing.
    let cases = [
        (
            json!({ "group_id": s.group, "announcement_id": 999_999, "title": "t", "text": "x" }),
            101,
            400,
        ),
        (
            json!({ "group_id": s.group, "announcement_id": foreign, "title": "t", "text": "x" }),
            101,
            400,
        ),
        (
            json!({ "group_id": s.group, "announcement_id": id, "title": "题".repeat(51), "text": "x" }),
            101,
            400,
        ),
        (
            json!({ "group_id": s.group, "announcement_id": id, "title": "t", "text": "文".repeat(5001) }),
            101,
            400,
        ),
        (
            json!({ "group_id": s.group, "announcement_id": id, "title": "", "text": "x" }),
            101,
            400,
        ),
        (
            json!({ "group_id": s.group, "announcement_id": id, "title": "t", "text": "  " }),
            101,
            400,
        ),
        (
            json!({ "group_id": s.group, "announcement_id": id, "title": "t" }),
            101,
            400,
        ),
        (
            json!({ "group_id": s.group, "title": "t", "text": "x" }),
            101,
            400,
        ),
        (
            json!({ "group_id": 999_999, "announcement_id": id, "title": "t", "text": "x" }),
            301,
            404,
        ),
    ];
    for (body, code, status) in cases {
        server
            .fails(group::ANN_EDIT, creator, body, code, status)
            .await;
    }
    // Deleting and reading unknown ones.
    for path in [group::ANN_DELETE, group::ANNOUNCEMENT] {
        let cases = [
            (
                json!({ "group_id": s.group, "announcement_id": 999_999 }),
                101,
                400,
            ),
            (
                json!({ "group_id": s.group, "announcement_id": foreign }),
                101,
                400,
            ),
            (json!({ "group_id": s.group }), 101, 400),
            (
                json!({ "group_id": s.group, "announcement_id": "x" }),
                101,
                400,
            ),
            (
                json!({ "group_id": 999_999, "announcement_id": id }),
                301,
                404,
            ),
        ];
        for (body, code, status) in cases {
            server.fails(path, creator, body, code, status).await;
        }
    }
    server
        .fails(
            group::ANNOUNCEMENTS,
            creator,
            json!({ "group_id": 999_999 }),
            301,
            404,
        )
        .await;
    server
        .fails(group::ANNOUNCEMENTS, creator, json!({}), 101, 400)
        .await;
    for path in [
        group::ANNOUNCEMENTS,
        group::ANNOUNCEMENT,
        group::ANN_ADD,
        group::ANN_EDIT,
        group::ANN_DELETE,
        group::ANN_DEL_PIC,
    ] {
        server
            .fails(
                path,
                None,
                json!({ "group_id": s.group, "announcement_id": id, "title": "t", "text": "x" }),
                113,
                401,
            )
            .await;
    }

    // Nothing changed, here or in the other group.
    let list = announcements(server, &s.member, s.group).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["id"], id);
    assert_eq!(list[0]["title"], "公告");
    let got = server
        .ok(
            group::ANNOUNCEMENT,
            &s.admin,
            json!({ "group_id": s.group, "announcement_id": id }),
        )
        .await;
    assert_eq!(got["announcement"]["text"], "公告的正文");
    let theirs = announcements(server, &s.outsider, other).await;
    assert_eq!(theirs[0]["id"], foreign);

    // A demoted admin can no longer write.
    server
        .ok(
            "/group/internal/member/switchAdmin",
            &s.creator,
            json!({ "group_id": s.group, "user_id": s.admin_id }),
        )
        .await;
    server
        .fails(
            group::ANN_ADD,
            Some(&s.admin),
            json!({ "group_id": s.group, "title": "t", "text": "x" }),
            303,
            403,
        )
        .await;
    server
        .fails(
            group::TAG_ADD,
            Some(&s.admin),
            json!({ "group_id": s.group, "tag_text": "x" }),
            303,
            403,
        )
        .await;
}

#[tokio::test]
async fn announcement_pictures() {
    let s = Setup::new("ann-pic").await;
    let server = &s.server;
    let g = s.g();
    let id = add_announcement(server, &s.creator, s.group, "有图公告").await;
    let plain = add_announcement(server, &s.creator, s.group, "无图公告").await;
    let id_s = id.to_string();
    let plain_s = plain.to_string();
    let fields = [("group_id", g.as_str()), ("announcement_id", id_s.as_str())];

    // No picture yet.
    get_fails(
        server,
        group::ANN_GET_PIC,
        &[
            ("token", &s.member),
            ("group_id", &g),
            ("announcement_id", &id_s),
        ],
        332,
        404,
    )
    .await;

    // The admin sets one: has_pic everywhere, served with a validator.
    let value = upload_ok(
        server,
        group::ANN_SET_PIC,
        &s.admin,
        "pic",
        png(1200, 600, 255),
        &fields,
    )
    .await;
    assert_eq!(value, json!({ "code": 0, "msg": "success" }));
    let list = announcements(server, &s.member, s.group).await;
    assert_eq!(list[0]["id"], plain);
    assert_eq!(list[0]["has_pic"], false);
    assert_eq!(list[1]["id"], id);
    assert_eq!(list[1]["has_pic"], true);
    let got = server
        .ok(
            group::ANNOUNCEMENT,
            &s.member,
            json!({ "group_id": s.group, "announcement_id": id }),
        )
        .await;
    assert_eq!(got["announcement"]["has_pic"], true);
    let (content_type, first_etag, size) = image_of(
        server,
        group::ANN_GET_PIC,
        &[
            ("token", &s.member),
            ("group_id", &g),
            ("announcement_id", &id_s),
        ],
    )
    .await;
    assert_eq!((content_type.as_str(), size), ("image/jpeg", (512, 256)));

    // The creator replaces it: a new validator, the old one no longer matches.
    upload_ok(
        server,
        group::ANN_SET_PIC,
        &s.creator,
        "pic",
        png(50, 40, 7),
        &fields,
    )
    .await;
    let (content_type, second_etag, size) = image_of(
        server,
        group::ANN_GET_PIC,
        &[
            ("token", &s.admin),
            ("group_id", &g),
            ("announcement_id", &id_s),
        ],
    )
    .await;
    assert_eq!((content_type.as_str(), size), ("image/png", (50, 40)));
    assert_ne!(first_etag, second_etag);
    let res = fetch(
        server,
        group::ANN_GET_PIC,
        &[
            ("token", &s.member),
            ("group_id", &g),
            ("announcement_id", &id_s),
        ],
        Some(&first_etag),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert!(!res.bytes().await.unwrap().is_empty());

    // Removing it: 332 afterwards, and the second time.
    server
        .ok(
            group::ANN_DEL_PIC,
            &s.admin,
            json!({ "group_id": s.group, "announcement_id": id }),
        )
        .await;
    get_fails(
        server,
        group::ANN_GET_PIC,
        &[
            ("token", &s.member),
            ("group_id", &g),
            ("announcement_id", &id_s),
        ],
        332,
        404,
    )
    .await;
    server
        .fails(
            group::ANN_DEL_PIC,
            Some(&s.admin),
            json!({ "group_id": s.group, "announcement_id": id }),
            332,
            404,
        )
        .await;
    server
        .fails(
            group::ANN_DEL_PIC,
            Some(&s.creator),
            json!({ "group_id": s.group, "announcement_id": plain }),
            332,
            404,
        )
        .await;
    let list = announcements(server, &s.member, s.group).await;
    assert_eq!(list[1]["has_pic"], false);

    // Set again, then delete the announcement itself: the picture goes with it.
    upload_ok(
        server,
        group::ANN_SET_PIC,
        &s.creator,
        "pic",
        solid(image::ImageFormat::WebP),
        &fields,
    )
    .await;
    image_of(
        server,
        group::ANN_GET_PIC,
        &[
            ("token", &s.member),
            ("group_id", &g),
            ("announcement_id", &id_s),
        ],
    )
    .await;
    server
        .ok(
            group::ANN_DELETE,
            &s.creator,
            json!({ "group_id": s.group, "announcement_id": id }),
        )
        .await;
    // An unknown announcement is 101, as for announcement/get.
    get_fails(
        server,
        group::ANN_GET_PIC,
        &[
            ("token", &s.member),
            ("group_id", &g),
            ("announcement_id", &id_s),
        ],
        101,
        400,
    )
    .await;
    get_fails(
        server,
        group::ANN_GET_PIC,
        &[
            ("token", &s.member),
            ("group_id", &g),
            ("announcement_id", &plain_s),
        ],
        332,
        404,
    )
    .await;
}

#[tokio::test]
async fn announcement_picture_errors() {
    let s = Setup::new("ann-pic-err").await;
    let server = &s.server;
    let g = s.g();
    let id = add_announcement(server, &s.creator, s.group, "公告").await;
    let id_s = id.to_string();
    let fields = [("group_id", g.as_str()), ("announcement_id", id_s.as_str())];
    upload_ok(
        server,
        group::ANN_SET_PIC,
        &s.admin,
        "pic",
        small_png(),
        &fields,
    )
    .await;
    let (_, etag, _) = image_of(
        server,
        group::ANN_GET_PIC,
        &[
            ("token", &s.member),
            ("group_id", &g),
            ("announcement_id", &id_s),
        ],
    )
    .await;

    // Outsiders cannot even read the picture; members only read it.
    get_fails(
        server,
        group::ANN_GET_PIC,
        &[
            ("token", &s.outsider),
            ("group_id", &g),
            ("announcement_id", &id_s),
        ],
        303,
        403,
    )
    .await;
    for token in s.not_managers() {
        upload_fails(
            server,
            group::ANN_SET_PIC,
            Some(token),
            "pic",
            png(30, 30, 255),
            &fields,
            303,
            403,
        )
        .await;
        server
            .fails(
                group::ANN_DEL_PIC,
                Some(token),
                json!({ "group_id": s.group, "announcement_id": id }),
                303,
                403,
            )
            .await;
    }

    let creator = Some(s.creator.as_str());
    for bad in [
        b"not an image".to_vec(),
        truncated_png(),
        vec![0u8; 5 * 1024 * 1024 + 1],
    ] {
        upload_fails(
            server,
            group::ANN_SET_PIC,
            creator,
            "pic",
            bad,
            &fields,
            333,
            400,
        )
        .await;
    }
    upload_fails(
        server,
        group::ANN_SET_PIC,
        creator,
        "avatar",
        small_png(),
        &fields,
        101,
        400,
    )
    .await;
    upload_fails(
        server,
        group::ANN_SET_PIC,
        creator,
        "pic",
        small_png(),
        &[("group_id", &g)],
        101,
        400,
    )
    .await;
    upload_fails(
        server,
        group::ANN_SET_PIC,
        creator,
        "pic",
        small_png(),
        &[("announcement_id", &id_s)],
        101,
        400,
    )
    .await;
    upload_fails(
        server,
        group::ANN_SET_PIC,
        creator,
        "pic",
        small_png(),
        &[("group_id", &g), ("announcement_id", "999999")],
        101,
        400,
    )
    .await;
    upload_fails(
        server,
        group::ANN_SET_PIC,
        creator,
        "pic",
        small_png(),
        &[("group_id", "999999"), ("announcement_id", &id_s)],
        301,
        404,
    )
    .await;
    upload_fails(
        server,
        group::ANN_SET_PIC,
        None,
        "pic",
        small_png(),
        &fields,
        113,
        401,
    )
    .await;
    server
        .fails(
            group::ANN_SET_PIC,
            creator,
            json!({ "group_id": s.group, "announcement_id": id }),
            104,
            413,
        )
        .await;

    let cases = [
        (
            json!({ "group_id": s.group, "announcement_id": 999_999 }),
            101,
            400,
        ),
        (json!({ "group_id": s.group }), 101, 400),
        (
            json!({ "group_id": 999_999, "announcement_id": id }),
            301,
            404,
        ),
    ];
    for (body, code, status) in cases {
        server
            .fails(group::ANN_DEL_PIC, creator, body, code, status)
            .await;
    }
    get_fails(
        server,
        group::ANN_GET_PIC,
        &[
            ("token", &s.member),
            ("group_id", "999999"),
            ("announcement_id", &id_s),
        ],
        301,
        404,
    )
    .await;
    get_fails(
        server,
        group::ANN_GET_PIC,
        &[("token", &s.member), ("group_id", &g)],
        101,
        400,
    )
    .await;
    get_fails(
        server,
        group::ANN_GET_PIC,
        &[("group_id", &g), ("announcement_id", &id_s)],
        113,
        401,
    )
    .await;

    // The picture is unchanged.
    let (_, after, _) = image_of(
        server,
        group::ANN_GET_PIC,
        &[
            ("token", &s.creator),
            ("group_id", &g),
            ("announcement_id", &id_s),
        ],
    )
    .await;
    assert_eq!(after, etag);
}

// ---------------------------------------------------------------- dismissed groups

#[tokio::test]
async fn dismissed_groups_are_read_only() {
    let s = Setup::new("dismissed").await;
    let server = &s.server;
    let g = s.g();
    let fields = [("group_id", g.as_str())];

    // Fill the profile and an announcement with a picture before dismissing.
    server
        .ok(
            group::INFO_EDIT,
            &s.creator,
            json!({ "group_id": s.group, "text": "旧简介" }),
        )
        .await;
    upload_ok(
        server,
        group::AVATAR_ADD,
        &s.creator,
        "avatar",
        png(100, 100, 255),
        &fields,
    )
    .await;
    let pic = upload_ok(
        server,
        group::PICTURE_ADD,
        &s.admin,
        "pic",
        small_png(),
        &fields,
    )
    .await["pic_id"]
        .as_i64()
        .unwrap();
    server
        .ok(
            group::TAG_ADD,
            &s.admin,
            json!({ "group_id": s.group, "tag_text": "旧标签" }),
        )
        .await;
    let tag_list = tags(server, &s.member, s.group).await;
    let tag = tag_list[0]["id"].clone();
    let ann = add_announcement(server, &s.admin, s.group, "旧公告").await;
    let ann_s = ann.to_string();
    let ann_fields = [
        ("group_id", g.as_str()),
        ("announcement_id", ann_s.as_str()),
    ];
    upload_ok(
        server,
        group::ANN_SET_PIC,
        &s.admin,
        "pic",
        small_png(),
        &ann_fields,
    )
    .await;
    let ann_list = announcements(server, &s.member, s.group).await;
    let (_, avatar_etag, _) = image_of(
        server,
        group::AVATAR_GET,
        &[("token", &s.member), ("group_id", &g)],
    )
    .await;

    s.dismiss().await;

    // Every write by a member of any role is 304; outsiders are still 303.
    let writes = [
        (
            group::INFO_EDIT,
            json!({ "group_id": s.group, "text": "新简介" }),
        ),
        (
            group::SET_NAME,
            json!({ "group_id": s.group, "name": "新名字" }),
        ),
        (
            group::PICTURE_DEL,
            json!({ "group_id": s.group, "pic_id": pic }),
        ),
        (
            group::TAG_ADD,
            json!({ "group_id": s.group, "tag_text": "新标签" }),
        ),
        (
            group::TAG_EDIT,
            json!({ "group_id": s.group, "tag_id": tag, "tag_text": "新标签" }),
        ),
        (
            group::TAG_REMOVE,
            json!({ "group_id": s.group, "tag_id": tag }),
        ),
        (
            group::ANN_ADD,
            json!({ "group_id": s.group, "title": "新", "text": "新" }),
        ),
        (
            group::ANN_EDIT,
            json!({ "group_id": s.group, "announcement_id": ann, "title": "新", "text": "新" }),
        ),
        (
            group::ANN_DELETE,
            json!({ "group_id": s.group, "announcement_id": ann }),
        ),
        (
            group::ANN_DEL_PIC,
            json!({ "group_id": s.group, "announcement_id": ann }),
        ),
    ];
    for (path, body) in &writes {
        for token in [&s.creator, &s.admin, &s.member] {
            server
                .fails(path, Some(token), body.clone(), 304, 403)
                .await;
        }
        server
            .fails(path, Some(&s.outsider), body.clone(), 303, 403)
            .await;
    }
    let uploads: [(&str, &str, Fields); 3] = [
        (group::AVATAR_ADD, "avatar", &fields),
        (group::PICTURE_ADD, "pic", &fields),
        (group::ANN_SET_PIC, "pic", &ann_fields),
    ];
    for (path, field, form) in uploads {
        for token in [&s.creator, &s.admin, &s.member] {
            upload_fails(
                server,
                path,
                Some(token),
                field,
                png(30, 30, 255),
                form,
                304,
                403,
            )
            .await;
        }
        upload_fails(
            server,
            path,
            Some(&s.outsider),
            field,
            png(30, 30, 255),
            form,
            303,
            403,
        )
        .await;
    }

    // Reads keep working, and nothing changed.
    let seen = info(server, &s.outsider, s.group).await;
    assert_eq!(seen["dismissed"], true);
    assert_eq!(seen["info"], "旧简介");
    assert_eq!(seen["name"], "学习小组");
    assert_eq!(seen["my_role"], Value::Null);
    assert_eq!(
        info(server, &s.creator, s.group).await["my_role"],
        "creator"
    );
    assert_eq!(info(server, &s.admin, s.group).await["my_role"], "admin");
    assert_eq!(info(server, &s.member, s.group).await["my_role"], "member");
    let (_, etag, size) = image_of(
        server,
        group::AVATAR_GET,
        &[("token", &s.outsider), ("group_id", &g)],
    )
    .await;
    assert_eq!((etag, size), (avatar_etag, (100, 100)));
    assert_eq!(picture_ids(server, &s.outsider, s.group).await, [pic]);
    let pic_s = pic.to_string();
    image_of(
        server,
        group::PICTURE_GET,
        &[("token", &s.outsider), ("group_id", &g), ("pic_id", &pic_s)],
    )
    .await;
    assert_eq!(tags(server, &s.outsider, s.group).await, tag_list);
    assert_eq!(announcements(server, &s.member, s.group).await, ann_list);
    let got = server
        .ok(
            group::ANNOUNCEMENT,
            &s.member,
            json!({ "group_id": s.group, "announcement_id": ann }),
        )
        .await;
    assert_eq!(got["announcement"]["title"], "旧公告");
    assert_eq!(got["announcement"]["has_pic"], true);
    image_of(
        server,
        group::ANN_GET_PIC,
        &[
            ("token", &s.member),
            ("group_id", &g),
            ("announcement_id", &ann_s),
        ],
    )
    .await;
    // Announcements stay closed to outsiders.
    server
        .fails(
            group::ANNOUNCEMENTS,
            Some(&s.outsider),
            json!({ "group_id": s.group }),
            303,
            403,
        )
        .await;
    get_fails(
        server,
        group::ANN_GET_PIC,
        &[
            ("token", &s.outsider),
            ("group_id", &g),
            ("announcement_id", &ann_s),
        ],
        303,
        403,
    )
    .await;
}

/// The stored chunks of pictures under `prefix` (`file/<kind>/<owner>/<etag>/<n>`), by etag.
fn stored_pictures(server: &Server, prefix: &str) -> Vec<String> {
    let mut etags: Vec<String> = server
        .stored_files()
        .iter()
        .filter_map(|k| k.strip_prefix(&format!("file/{prefix}/")))
        .filter_map(|rest| rest.split('/').next().map(str::to_owned))
        .collect();
    etags.dedup();
    etags
}

/// A picture replaced or deleted leaves no bytes behind; one still shown keeps its own.
#[tokio::test]
async fn pictures_that_go_leave_no_bytes_behind() {
    let server = Server::start().await;
    let owner = server.login("pictures-owner").await;
    let group = create_group(&server, &owner, "图片清理").await;
    let g = group.to_string();
    let fields = [("group_id", g.as_str())];
    let avatars = format!("avatar/group/{group}");
    for side in [40, 50] {
        upload_ok(
            &server,
            group::AVATAR_ADD,
            &owner,
            "avatar",
            png(side, side, 255),
            &fields,
        )
        .await;
        assert_eq!(
            stored_pictures(&server, &avatars).len(),
            1,
            "only the avatar shown"
        );
    }

    let intro = format!("picture/group/{group}");
    let first = upload_ok(
        &server,
        group::PICTURE_ADD,
        &owner,
        "pic",
        png(30, 20, 255),
        &fields,
    )
    .await;
    upload_ok(
        &server,
        group::PICTURE_ADD,
        &owner,
        "pic",
        png(20, 30, 255),
        &fields,
    )
    .await;
    assert_eq!(stored_pictures(&server, &intro).len(), 2);
    let pic_id = first["pic_id"].as_i64().unwrap();
    server
        .ok(
            group::PICTURE_DEL,
            &owner,
            json!({ "group_id": group, "pic_id": pic_id }),
        )
        .await;
    assert_eq!(stored_pictures(&server, &intro).len(), 1);

    let id = add_announcement(&server, &owner, group, "通知").await;
    let id_s = id.to_string();
    let ann_fields = [("group_id", g.as_str()), ("announcement_id", id_s.as_str())];
    upload_ok(
        &server,
        group::ANN_SET_PIC,
        &owner,
        "pic",
        png(25, 25, 255),
        &ann_fields,
    )
    .await;
    let announced = format!("picture/announcement/{id}");
    assert_eq!(stored_pictures(&server, &announced).len(), 1);
    server
        .ok(
            group::ANN_DELETE,
            &owner,
            json!({ "group_id": group, "announcement_id": id }),
        )
        .await;
    assert!(stored_pictures(&server, &announced).is_empty());
}
