//! An S3-compatible server for the tests of object storage: `s3s-fs` (which `tests/run.sh`
//! installs), started on loopback for each test with its own bucket directory.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;

use super::{Options, Server};

const ACCESS_KEY: &str = "zudui-test-access";
const SECRET_KEY: &str = "zudui-test-secret-key-0123";
const BUCKET: &str = "zudui-files";

/// An `s3s-fs` server on a free loopback port, storing under a temporary directory.
pub struct S3 {
    pub endpoint: String,
    root: tempfile::TempDir,
    child: Child,
}

fn s3s_fs() -> PathBuf {
    let installed = Path::new(
        &std::env::var("CARGO_HOME")
            .unwrap_or_else(|_| format!("{}/.cargo", std::env::var("HOME").unwrap_or_default())),
    )
    .join("bin/s3s-fs");
    if installed.exists() {
        return installed;
    }
    PathBuf::from("s3s-fs")
}

impl S3 {
    pub async fn start() -> S3 {
        let root = tempfile::tempdir().expect("s3 root");
        std::fs::create_dir(root.path().join(BUCKET)).expect("bucket dir");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = Command::new(s3s_fs())
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
            .arg(root.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "s3s-fs is not installed: cargo install s3s-fs@0.14.1 --features binary --locked",
            );
        // Built first, so that its Drop stops the server whatever happens next.
        let s3 = S3 {
            endpoint: format!("http://127.0.0.1:{port}"),
            root,
            child,
        };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return s3;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("s3s-fs did not start");
    }

    /// The objects stored in the bucket, as keys.
    pub fn objects(&self) -> Vec<String> {
        fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, base, out);
                } else {
                    out.push(
                        path.strip_prefix(base)
                            .unwrap()
                            .to_string_lossy()
                            .into_owned(),
                    );
                }
            }
        }
        let mut out = Vec::new();
        let bucket = self.root.path().join(BUCKET);
        walk(&bucket, &bucket, &mut out);
        out.sort();
        out
    }

    /// A server's settings for this bucket, with the development login.
    pub fn options(&self) -> Options {
        self.onto(Options::dev_login())
    }

    /// `options` storing files in this bucket.
    pub fn onto(&self, options: Options) -> Options {
        options
            .env("ZUDUI_BLOB_STORE", "s3")
            .env("ZUDUI_S3_ENDPOINT", &self.endpoint)
            .env("ZUDUI_S3_BUCKET", BUCKET)
            .env("ZUDUI_S3_ACCESS_KEY", ACCESS_KEY)
            .env("ZUDUI_S3_SECRET_KEY", SECRET_KEY)
    }

    /// The content of object `key`.
    pub fn object(&self, key: &str) -> Option<Vec<u8>> {
        std::fs::read(self.root.path().join(BUCKET).join(key)).ok()
    }

    pub async fn server(&self, quota: Option<&str>) -> Server {
        let mut options = self.options().env("ZUDUI_S3_PREFIX", "app/");
        if let Some(quota) = quota {
            options = options.env("ZUDUI_GROUP_QUOTA_BYTES", quota);
        }
        Server::with(options).await
    }
}

impl Drop for S3 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A group created by `token`'s user, named `name`: its id.
pub async fn group(s: &Server, name: &str, token: &str) -> i64 {
    let created = s
        .ok(
            "/group/external/group/create",
            token,
            json!({ "type": "学习", "name": name, "user_limit": 10 }),
        )
        .await;
    created["group_id"].as_i64().unwrap()
}
