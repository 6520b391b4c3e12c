//! `zudui backup` and `zudui restore` against the real server: a backup taken while users,
//! groups, file uploads and deletions and chat messages go on restores into a server that serves
//! it, with every row and every stored object the rows reference; and the refusals that keep an
//! operator's data safe.

mod common;

use std::path::Path;
use std::process::Output;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::paths::{files, user as user_paths};
use common::ws::{self, Socket};
use common::{create_group, png, splitmix64, user, Options, Server, User};
use rusqlite::types::Value as Sql;
use zudui_shared::native::DirKv;
use zudui_shared::storage::KeyValue;

/// A server keeping files in its key-value store, which the checks read.
async fn start(label: &str, data: Option<&Path>) -> Server {
    let mut options = Options::dev_login()
        .env("ZUDUI_BLOB_STORE", "kv")
        .label(label);
    if let Some(data) = data {
        options = options.data_dir(data);
    }
    Server::with(options).await
}

/// Runs `zudui ARGS` on data directory `data` (and `env`); returns what it did.
async fn zudui(data: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = std::process::Command::new(common::binary());
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("ZUDUI_DATA_DIR", data)
        .env("RUST_LOG", "info")
        .args(args);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("join")
        .expect("run zudui");
    eprintln!(
        "zudui {args:?}: {}\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// `len` pseudo-random bytes for `seed`: a stored file's name `f-<seed>-<len>.bin` says what it
/// must hold.
fn content(seed: u64, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 8);
    let mut i = 0;
    while out.len() < len {
        out.extend_from_slice(&splitmix64((seed << 32) ^ i).to_le_bytes());
        i += 1;
    }
    out.truncate(len);
    out
}

fn named(prefix: &str, seed: u64, len: usize) -> String {
    format!("{prefix}-{seed}-{len}.bin")
}

/// The content a file of that name must hold.
fn expected(name: &str) -> Option<Vec<u8>> {
    let mut parts = name.strip_suffix(".bin")?.split('-').skip(1);
    let seed = parts.next()?.parse().ok()?;
    let len = parts.next()?.parse().ok()?;
    Some(content(seed, len))
}

/// Sizes of the stored files: two chunks of the key-value store (1 MB each) and one.
const SIZES: [usize; 2] = [1_300_000, 200_000];

// ---------------------------------------------------------------------------------------------
// The load
// ---------------------------------------------------------------------------------------------

/// Writes of every kind, each task in a loop until `stop`: new users with profiles and avatars,
/// groups with members, group file uploads and deletions, chat texts and chat files.
struct Load {
    stop: Arc<AtomicBool>,
    done: Arc<AtomicUsize>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    fn start(server: &Arc<Server>, owner: &Arc<User>, group: i64, socket: Socket) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        let ctx = || (server.clone(), owner.clone(), stop.clone(), done.clone());

        let (server_, _, stop_, done_) = ctx();
        tasks.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop_.load(Ordering::Relaxed) {
                let who = user(&server_, &format!("load-user-{i}")).await;
                server_
                    .set_account_nickname(&who, &format!("负载{i}"))
                    .await;
                server_.edit_profile_text(&who, &format!("简介 {i}")).await;
                if i % 2 == 0 {
                    let side = 40 + (i % 30) as u32;
                    server_.set_user_avatar(&who, png(side, side, 255)).await;
                }
                done_.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
        }));

        let (server_, owner_, stop_, done_) = ctx();
        tasks.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop_.load(Ordering::Relaxed) {
                let group = create_group(&server_, &owner_, &format!("负载组{i}")).await;
                let member = user(&server_, &format!("load-member-{i}")).await;
                common::admit(&server_, &owner_, &member, group).await;
                done_.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
        }));

        // Two uploaders, each deleting every other file it uploaded: objects go while the
        // backup runs, which is what its consistency is about.
        for t in 0..2u64 {
            let (server_, owner_, stop_, done_) = ctx();
            tasks.push(tokio::spawn(async move {
                let mut i = 0;
                let mut uploaded = Vec::new();
                while !stop_.load(Ordering::Relaxed) {
                    let (seed, len) = (t * 1_000_000 + i, SIZES[i as usize % 2]);
                    let name = named("f", seed, len);
                    let id = server_
                        .upload_file_into(&owner_, group, None, &name, content(seed, len))
                        .await;
                    uploaded.push(id);
                    if i % 2 == 1 {
                        server_
                            .delete_file(&owner_, group, uploaded[uploaded.len() - 2])
                            .await;
                    }
                    done_.fetch_add(1, Ordering::Relaxed);
                    i += 1;
                }
            }));
        }

        let (server_, owner_, stop_, done_) = ctx();
        tasks.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop_.load(Ordering::Relaxed) {
                let (seed, len) = (9_000_000 + i, SIZES[1]);
                let name = named("c", seed, len);
                server_
                    .upload_chat_file(&owner_, "group", group, &name, content(seed, len))
                    .await;
                done_.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
        }));

        let (_, _, stop_, done_) = ctx();
        let mut socket = socket;
        tasks.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop_.load(Ordering::Relaxed) {
                ws::say_acked(&mut socket, &format!("消息 {i}"), Duration::from_secs(10)).await;
                done_.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
        }));
        Load { stop, done, tasks }
    }

    fn done(&self) -> usize {
        self.done.load(Ordering::Relaxed)
    }

    async fn finish(self) {
        self.stop.store(true, Ordering::Relaxed);
        for task in self.tasks {
            task.await.expect("a load task failed");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// What a data directory holds
// ---------------------------------------------------------------------------------------------

fn open(db: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open SQLite read-only")
}

fn tables(conn: &rusqlite::Connection) -> Vec<String> {
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .unwrap();
    let names = stmt.query_map([], |r| r.get(0)).unwrap();
    names.map(|n| n.unwrap()).collect()
}

/// Every row of `table`, each written out, sorted.
fn rows(conn: &rusqlite::Connection, table: &str) -> Vec<String> {
    let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
    let width = stmt.column_count();
    let rows = stmt
        .query_map([], |r| {
            let values: Vec<Sql> = (0..width).map(|i| r.get(i).unwrap()).collect();
            Ok(format!("{values:?}"))
        })
        .unwrap();
    let mut rows: Vec<String> = rows.map(|r| r.unwrap()).collect();
    rows.sort();
    rows
}

fn count(conn: &rusqlite::Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// The bytes of a stored blob: chunks `0..` of `chunk_size` until `size` bytes, each present.
fn blob(kv: &DirKv, blob: &str, size: u64, chunk_size: u64) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    for n in 0..size.div_ceil(chunk_size) {
        let key = format!("file/{blob}/{n}");
        out.extend(kv.get(&key).unwrap().ok_or(format!("{key} missing"))?);
    }
    Ok(out)
}

/// A stored picture: its chunks up to the first short one.
fn picture(kv: &DirKv, blob: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for n in 0.. {
        let Some(chunk) = kv.get(&format!("file/{blob}/{n}")).unwrap() else {
            break;
        };
        let full = chunk.len() == 1_000_000;
        out.extend(chunk);
        if !full {
            break;
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Every stored object the database in `data` references is in its `kv/` with the right bytes:
/// group and chat files (their names say what they hold) with their thumbnails, and every
/// avatar and picture decodes. Returns how many files were checked.
fn check_references(data: &Path) -> usize {
    let conn = open(&data.join("zudui.sqlite"));
    let kv = DirKv::observe(&data.join("kv"));
    let mut checked = 0;
    for table in ["group_files", "chat_files"] {
        let sql = format!(
            "SELECT name, blob, size, chunk_size, thumbnail FROM {table} WHERE blob IS NOT NULL"
        );
        let mut stmt = conn.prepare(&sql).unwrap();
        let files = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)? as u64,
                    r.get::<_, i64>(3)? as u64,
                    r.get::<_, i64>(4)?,
                ))
            })
            .unwrap();
        for file in files {
            let (name, id, size, chunk_size, thumbnail) = file.unwrap();
            let bytes =
                blob(&kv, &id, size, chunk_size).unwrap_or_else(|e| panic!("{table} {name}: {e}"));
            let want = expected(&name).unwrap_or_else(|| panic!("unexpected file {name}"));
            assert!(bytes == want, "{table} {name}: other bytes than uploaded");
            if thumbnail == 1 {
                assert!(kv.get(&format!("file/{id}.thumb")).unwrap().is_some());
            }
            checked += 1;
        }
    }
    let pictures = "SELECT avatar_blob FROM users WHERE avatar_blob IS NOT NULL
         UNION ALL SELECT avatar_blob FROM groups WHERE avatar_blob IS NOT NULL
         UNION ALL SELECT blob FROM group_pictures
         UNION ALL SELECT pic_blob FROM announcements WHERE pic_blob IS NOT NULL";
    let mut stmt = conn.prepare(pictures).unwrap();
    for id in stmt.query_map([], |r| r.get::<_, String>(0)).unwrap() {
        let id = id.unwrap();
        let bytes = picture(&kv, &id).unwrap_or_else(|| panic!("picture {id} missing"));
        image::load_from_memory(&bytes).unwrap_or_else(|e| panic!("picture {id}: {e}"));
        checked += 1;
    }
    checked
}

// ---------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------

/// A backup taken while every kind of write goes on (deletions of stored files among them),
/// by hard links and by copies, restores row for row into a data directory where every object a
/// row references is there with its bytes, and a server started on it serves the users, groups,
/// files and avatars.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_under_load_restores_every_row_and_file() {
    let started = Instant::now();
    let server = Arc::new(start("server", None).await);
    let owner = Arc::new(user(&server, "backup-owner").await);
    server.set_user_avatar(&owner, png(64, 48, 255)).await;
    let group = create_group(&server, &owner, "备份组").await;
    // Chat texts go to a room of their own, where nothing else sends live frames.
    let talk = create_group(&server, &owner, "聊天组").await;
    let socket = ws::connect(
        &server.ws_base(),
        &owner,
        &ws::group_path(talk),
        Duration::from_secs(5),
    )
    .await;

    let load = Load::start(&server, &owner, group, socket);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let scratch = tempfile::tempdir().unwrap();
    let mut backups = Vec::new();
    for (way, flags) in [("hard links", &[][..]), ("copies", &["--copy"][..])] {
        let backup = scratch.path().join(way.replace(' ', "-"));
        let before = load.done();
        let args: Vec<&str> = ["backup"]
            .iter()
            .chain(flags)
            .copied()
            .chain([path(&backup)])
            .collect();
        let out = zudui(server.data_dir(), &args, &[]).await;
        let after = load.done();
        assert!(out.status.success(), "backup by {way} failed");
        let summary = String::from_utf8_lossy(&out.stdout);
        assert!(summary.starts_with("backed up "), "{summary}");
        assert!(summary.contains(&format!("({way})")), "{summary}");
        assert!(
            before > 20 && after > before,
            "the writes did not go on during the backup: {before}, then {after}"
        );
        backups.push(backup);
    }
    let before_end = load.done();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(load.done() > before_end, "the writes stopped");
    load.finish().await;

    // What the live server deleted after a backup is no longer in its kv/, but the backup's
    // rows may still reference it: those are the objects a careless copy loses.
    let restored_root = tempfile::tempdir().unwrap();
    for (i, backup) in backups.iter().enumerate() {
        let restored = restored_root.path().join(format!("data-{i}"));
        let out = zudui(&restored, &["restore", path(backup)], &[]).await;
        assert!(out.status.success(), "restore failed");
        let files = same_rows(backup, &restored);
        // Every object those rows reference, with its bytes (a deleted file's row is gone from
        // the backup, or its chunks are in it).
        let checked = check_references(&restored);
        eprintln!(
            "{}: {checked} stored files and pictures checked",
            backup.display()
        );
        serves(&restored, &owner, group, files).await;
    }
    eprintln!("in {:.1}s", started.elapsed().as_secs_f64());
}

/// Every table of the backup's database and the restored one holds the same rows, and there are
/// users, files and messages among them; returns the number of group files.
fn same_rows(backup: &Path, restored: &Path) -> i64 {
    let (copy, back) = (
        open(&backup.join("zudui.sqlite")),
        open(&restored.join("zudui.sqlite")),
    );
    let names = tables(&copy);
    assert_eq!(names, tables(&back));
    assert!(names.len() > 20, "{names:?}");
    for table in &names {
        assert!(rows(&copy, table) == rows(&back, table), "{table} differs");
    }
    let users = count(
        &back,
        "SELECT COUNT(*) FROM users WHERE openid LIKE 'load-user-%'",
    );
    let files = count(
        &back,
        "SELECT COUNT(*) FROM group_files WHERE blob IS NOT NULL",
    );
    let messages = count(&back, "SELECT COUNT(*) FROM chat_messages");
    assert!(
        users > 2 && files > 2 && messages > 2,
        "{users} {files} {messages}"
    );
    let integrity: String = back
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    files
}

/// A server on the restored data serves it: the same accounts (the same signing key, so the same
/// tokens), profiles, groups, `files` files with their bytes, and avatars.
async fn serves(restored: &Path, owner: &User, group: i64, files: i64) {
    let again = start("restored", Some(restored)).await;
    let me = user(&again, "backup-owner").await;
    assert_eq!(me.id, owner.id);
    let profile = again.own_profile(owner).await;
    assert_eq!(profile["id"], owner.id.as_str());
    let loaded = user(&again, "load-user-0").await;
    assert_eq!(again.own_profile(&loaded).await["nickname"], "负载0");
    let info = again.group_profile(owner, group).await;
    assert!(info.to_string().contains("备份组"), "{info}");
    let avatar = again
        .get(user_paths::AVATAR_GET, &[("token", &owner.token)])
        .await;
    assert_eq!(avatar.status(), 200);
    let avatar = image::load_from_memory(&avatar.bytes().await.unwrap()).unwrap();
    assert_eq!((avatar.width(), avatar.height()), (64, 48));
    let listed = again.list_folder(owner, group, None).await;
    assert!(
        listed.len() as i64 == files,
        "{} listed, {files} rows",
        listed.len()
    );
    for entry in listed.iter().take(6) {
        let name = entry["name"].as_str().unwrap();
        let res = again
            .get(
                files::DOWNLOAD,
                &[
                    ("token", owner.token.as_str()),
                    ("group_id", &group.to_string()),
                    ("file_id", &entry["id"].to_string()),
                ],
            )
            .await;
        assert_eq!(res.status(), 200, "{name}");
        let body = res.bytes().await.unwrap();
        assert!(Some(body.to_vec()) == expected(name), "{name}: other bytes");
    }
}

/// Copies a tree byte for byte (a backup made of hard links shares its files with the live
/// data: a test that damages one damages a copy).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Whatever is wrong, nothing is overwritten: a backup into a non-empty directory, a restore
/// over data without `--force`, and a restore of a damaged, truncated or incomplete backup (or
/// one whose manifest points outside it) are refused before anything is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_backups_and_occupied_directories_are_refused() {
    let server = start("server", None).await;
    let owner = user(&server, "refusal-owner").await;
    let group = create_group(&server, &owner, "拒绝组").await;
    let name = named("f", 7, SIZES[0]);
    server
        .upload_file_into(&owner, group, None, &name, content(7, SIZES[0]))
        .await;
    let data = server.data_dir();
    let scratch = tempfile::tempdir().unwrap();
    let root = scratch.path();

    let usage = zudui(data, &["backup"], &[]).await;
    assert_eq!(usage.status.code(), Some(2));

    let occupied = root.join("occupied");
    std::fs::create_dir(&occupied).unwrap();
    std::fs::write(occupied.join("notes.txt"), "mine").unwrap();
    let out = zudui(data, &["backup", path(&occupied)], &[]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not empty"), "{}", stderr(&out));
    let left: Vec<_> = std::fs::read_dir(&occupied).unwrap().collect();
    assert_eq!(left.len(), 1, "the directory was written to");

    let inside = data.join("backups");
    let out = zudui(data, &["backup", path(&inside)], &[]).await;
    assert_eq!(out.status.code(), Some(1), "a backup inside the data");
    assert!(
        !inside.exists(),
        "a directory was left in the data directory"
    );

    // With files in object storage, the operator is told the bucket is not in the backup.
    let good = root.join("good");
    let s3 = [
        ("ZUDUI_BLOB_STORE", "s3"),
        ("ZUDUI_S3_BUCKET", "team-files"),
    ];
    let out = zudui(data, &["backup", path(&good)], &s3).await;
    assert!(out.status.success());
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("\"team-files\"") && said.contains("not include"),
        "{said}"
    );

    // A restore over data is refused; with --force the data is moved aside, not lost.
    let target = root.join("target");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("zudui.sqlite"), "older data").unwrap();
    let out = zudui(&target, &["restore", path(&good)], &[]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("already holds data"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read(target.join("zudui.sqlite")).unwrap(),
        b"older data"
    );
    let out = zudui(&target, &["restore", "--force", path(&good)], &[]).await;
    assert!(out.status.success());
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("\"team-files\""),
        "the bucket not named: {said}"
    );
    let aside: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("target.replaced-"))
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert_eq!(
        std::fs::read(aside[0].join("zudui.sqlite")).unwrap(),
        b"older data"
    );
    assert_eq!(check_references(&target), 1);

    // Damaged copies of the good backup, each found out by the check and refused by a restore
    // with nothing written; the good one passes the check.
    let out = zudui(&target, &["restore", "--check", path(&good)], &[]).await;
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("is whole"));
    let chunk = {
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(good.join("backup.json")).unwrap()).unwrap();
        let files = manifest["files"].as_array().unwrap();
        let kv = files
            .iter()
            .map(|f| f["path"].as_str().unwrap().to_owned())
            .find(|p| p.starts_with("kv/"))
            .expect("a key-value file in the manifest");
        kv
    };
    type Damage = Box<dyn Fn(&Path)>;
    let chunk_ = chunk.clone();
    let damages: Vec<(&str, Damage)> = vec![
        (
            "a byte flipped",
            Box::new(move |dir: &Path| {
                let file = dir.join(&chunk_);
                let mut bytes = std::fs::read(&file).unwrap();
                bytes[1000] ^= 1;
                std::fs::write(file, bytes).unwrap();
            }),
        ),
        (
            "the database truncated",
            Box::new(|dir: &Path| {
                let file = std::fs::OpenOptions::new()
                    .write(true)
                    .open(dir.join("zudui.sqlite"))
                    .unwrap();
                file.set_len(4096).unwrap();
            }),
        ),
        (
            "no manifest",
            Box::new(|dir: &Path| std::fs::remove_file(dir.join("backup.json")).unwrap()),
        ),
        (
            "a path out of the backup",
            Box::new(|dir: &Path| {
                let file = dir.join("backup.json");
                let text = std::fs::read_to_string(&file).unwrap();
                std::fs::write(file, text.replacen("\"path\": \"kv/", "\"path\": \"../", 1))
                    .unwrap();
            }),
        ),
    ];
    // A restore cut short earlier left its directory beside the target: the next one says so.
    let earlier = root.join("restore-0/.data.restoring-0123456789ab");
    std::fs::create_dir_all(&earlier).unwrap();
    for (i, (what, damage)) in damages.iter().enumerate() {
        let copy = root.join(format!("damaged-{i}"));
        copy_tree(&good, &copy);
        damage(&copy);
        let parent = root.join(format!("restore-{i}"));
        std::fs::create_dir_all(&parent).unwrap();
        let target = parent.join("nested/data");
        let out = zudui(&target, &["restore", "--check", path(&copy)], &[]).await;
        assert_eq!(out.status.code(), Some(1), "{what}: the check passed");
        let out = zudui(&target, &["restore", path(&copy)], &[]).await;
        assert_eq!(out.status.code(), Some(1), "{what}: not refused");
        let written: Vec<_> = std::fs::read_dir(&parent)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| *p != earlier)
            .collect();
        assert!(written.is_empty(), "{what}: {written:?} written");
    }
    // The live data was never touched by any of it.
    assert_eq!(check_references(data), 1);

    // The good backup restored where the cut one lay: the leftover is named.
    let out = zudui(&root.join("restore-0/data"), &["restore", path(&good)], &[]).await;
    assert!(out.status.success());
    let said = stderr(&out);
    assert!(
        said.contains(".data.restoring-0123456789ab") && said.contains("did not finish"),
        "{said}"
    );
}

/// A server killed mid-work (its last writes still in SQLite's write-ahead log) is backed up
/// with those writes, and the backup restores whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_is_backed_up_with_its_last_writes() {
    let mut server = start("server", None).await;
    let owner = user(&server, "killed-owner").await;
    let group = create_group(&server, &owner, "停机组").await;
    let name = named("f", 11, SIZES[1]);
    server
        .upload_file_into(&owner, group, None, &name, content(11, SIZES[1]))
        .await;
    server.kill();
    let wal = server.data_dir().join("zudui.sqlite-wal");
    assert!(
        wal.metadata().is_ok_and(|m| m.len() > 0),
        "no write-ahead log"
    );

    let scratch = tempfile::tempdir().unwrap();
    let backup = scratch.path().join("backup");
    let out = zudui(server.data_dir(), &["backup", path(&backup)], &[]).await;
    assert!(out.status.success());
    let restored = scratch.path().join("data");
    let out = zudui(&restored, &["restore", path(&backup)], &[]).await;
    assert!(out.status.success());
    let db = open(&restored.join("zudui.sqlite"));
    let sql = "SELECT COUNT(*) FROM users WHERE openid = 'killed-owner'";
    assert_eq!(count(&db, sql), 1);
    assert_eq!(check_references(&restored), 1);
}
