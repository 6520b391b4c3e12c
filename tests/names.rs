//! Names other people see and trust — groups, folders and files, however they arrive — refuse
//! Unicode's bidirectional controls with 101: `report\u{202E}fdp.exe` would show as
//! `reportexe.pdf`. Each refusal changes nothing.

mod common;

use common::{create_group, user, Options, Server, User};
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

const ADMIN: &str = "names-admin-token-0123456789";

/// U+202A..U+202E, U+2066..U+2069, U+200E, U+200F and U+061C.
const BIDI: [char; 12] = [
    '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}',
    '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}',
];

/// A multipart upload to `path` with text fields, then the part `file` named `part_name`.
async fn upload(
    server: &Server,
    who: &User,
    path: &str,
    fields: &[(&str, &str)],
    part_name: &str,
) -> (u16, Value) {
    let mut form = Form::new();
    for (name, value) in fields {
        form = form.text(name.to_string(), value.to_string());
    }
    let part = Part::bytes(b"%PDF-1.4 a report".to_vec()).file_name(part_name.to_owned());
    let res = server
        .client
        .post(server.url(path))
        .header("token", &who.token)
        .multipart(form.part("file", part))
        .send()
        .await
        .expect("upload");
    (res.status().as_u16(), res.json().await.expect("json"))
}

fn assert_101(what: &str, (status, res): (u16, Value)) {
    assert_eq!(
        (status, res["code"].as_u64()),
        (400, Some(101)),
        "{what}: {res}"
    );
    assert!(
        res["errorMsg"].as_str().unwrap().contains("name"),
        "{what} names the parameter: {res}"
    );
}

#[tokio::test]
async fn names_refuse_bidirectional_controls_everywhere() {
    let server = Server::with(Options::dev_login().env("ZUDUI_ADMIN_TOKEN", ADMIN)).await;
    let alice = user(&server, "names-alice").await;
    let group = create_group(&server, &alice, "报告组").await;
    let g = group.to_string();
    let (status, res) = upload(
        &server,
        &alice,
        "/group/internal/files/upload",
        &[("group_id", &g)],
        "a.pdf",
    )
    .await;
    assert_eq!((status, &res["code"]), (200, &json!(0)), "{res}");
    let file = res["file_id"].as_i64().unwrap();

    for control in BIDI {
        let name = format!("report{control}fdp.exe");
        let at = |what: &str| format!("{what} with U+{:04X}", u32::from(control));
        let t = alice.t();
        let post = |path: &'static str, body: Value| {
            let server = &server;
            async move { server.post(path, t, body).await }
        };
        // Groups: created, renamed, and both through the admin console.
        let create = json!({ "type": "学习", "name": name, "user_limit": 20 });
        assert_101(
            &at("group create"),
            post("/group/external/group/create", create).await,
        );
        let rename = json!({ "group_id": group, "name": name });
        assert_101(
            &at("group rename"),
            post("/group/internal/info/text/set_name", rename).await,
        );
        for (action, body) in [
            (
                "create",
                json!({ "table": "groups", "values": { "creator_id": alice.id, "type": "学习", "name": name, "user_limit": 20 } }),
            ),
            (
                "update",
                json!({ "table": "groups", "key": { "id": group }, "values": { "name": name } }),
            ),
        ] {
            let res = server
                .client
                .post(server.url(&format!("/debug/api/{action}")))
                .bearer_auth(ADMIN)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            assert_101(
                &at(&format!("console {action}")),
                (status, res.json().await.unwrap()),
            );
        }
        // Folders and files: made, renamed, uploaded (part name or field), begun resumably.
        let mk_dir = json!({ "group_id": group, "name": name });
        assert_101(
            &at("mk_dir"),
            post("/group/internal/files/mk_dir", mk_dir).await,
        );
        let edit = json!({ "group_id": group, "file_id": file, "name": name });
        assert_101(
            &at("edit_name"),
            post("/group/internal/files/edit_name", edit).await,
        );
        let begin = json!({ "group_id": group, "name": name, "size": 10 });
        assert_101(
            &at("upload/begin"),
            post("/group/internal/files/upload/begin", begin).await,
        );
        let path = "/group/internal/files/upload";
        let got = upload(&server, &alice, path, &[("group_id", &g)], &name).await;
        assert_101(&at("upload part name"), got);
        let fields = [("group_id", g.as_str()), ("file_name", name.as_str())];
        let got = upload(&server, &alice, path, &fields, "ok.pdf").await;
        assert_101(&at("upload file_name"), got);
        // Temporary chat files.
        let fields = [("type", "group"), ("room_id", g.as_str())];
        let got = upload(&server, &alice, "/chat/files/upload", &fields, &name).await;
        assert_101(&at("chat file"), got);
    }

    // Nothing changed: one group, its name, its one file.
    let info = server
        .ok(
            "/group/internal/info/text/get",
            &alice.token,
            json!({ "group_id": group }),
        )
        .await;
    assert_eq!(info["name"], "报告组", "{info}");
    let dir = server
        .ok(
            "/group/internal/files/get_dir",
            &alice.token,
            json!({ "group_id": group }),
        )
        .await;
    let names: Vec<&str> = dir["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a.pdf"]);
    let (_, mine) = server
        .post(
            "/group/external/search/my_group",
            alice.t(),
            json!({ "type": "" }),
        )
        .await;
    assert_eq!(mine["total"], 1, "{mine}");

    // Other format characters stay allowed: a zero-width joiner inside an emoji.
    create_group(&server, &alice, "程序员👩\u{200D}💻").await;
}
