//! Object storage that the mini-program reaches without the function: a presigned POST form for
//! an upload (the form `wx.uploadFile` sends) and a presigned link for a download. File bytes then
//! never pass through a hosted function, and so escape its limits (Fermyon Cloud: 10 MB bodies,
//! 30 s, 500 outbound requests an hour).

use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::json;

use super::ChunkKey;
use crate::sendable::BoxFuture;

/// A form that stores one object: POST `fields`, then the file as the part named `file`.
#[derive(Debug, Clone)]
pub struct UploadForm {
    pub url: String,
    pub fields: Vec<(String, String)>,
}

/// What [`Direct::adopt`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adopted {
    /// Copied.
    Copied,
    /// Nothing was posted.
    Missing,
    /// The object holds this many bytes, not the size expected.
    Size(u64),
    /// It changed while it was being copied (posted again): nothing was copied.
    Changed,
}

/// What object storage lets clients do themselves.
pub trait Direct {
    /// Copies the object a client posted at `posted` to `to` (where no form writes) when it holds
    /// `size` bytes: what the server then checks and serves cannot be posted over.
    fn adopt(
        &self,
        posted: ChunkKey<'_>,
        to: ChunkKey<'_>,
        size: u64,
    ) -> BoxFuture<'static, anyhow::Result<Adopted>>;
    /// A form that stores exactly `size` bytes at `key` until `lifetime` has passed.
    fn upload_form(&self, key: ChunkKey<'_>, size: u64, lifetime: Duration) -> UploadForm;
    /// A link to `key`, answered with these headers, valid for `lifetime`.
    fn download_link(
        &self,
        key: ChunkKey<'_>,
        content_type: &str,
        disposition: &str,
        lifetime: Duration,
    ) -> String;
}

/// The type every object is stored with: the server decides what a file is from its bytes, and
/// names it in each download link.
pub const STORED_TYPE: &str = "application/octet-stream";

/// What a POST policy is signed for.
pub struct Policy<'a> {
    pub url: &'a str,
    pub bucket: &'a str,
    pub region: &'a str,
    pub access_key: &'a str,
    pub secret_key: &'a str,
    pub key: &'a str,
    pub size: u64,
    pub now: DateTime<Utc>,
    pub lifetime: Duration,
}

impl Policy<'_> {
    /// The signed form (AWS Signature Version 4 for POST): the policy fixes the bucket, the
    /// exact key, the size (a range of one value) and the stored type, and expires.
    pub fn form(&self) -> UploadForm {
        let date = self.now.format("%Y%m%d").to_string();
        let amz_date = self.now.format("%Y%m%dT%H%M%SZ").to_string();
        let credential = format!("{}/{date}/{}/s3/aws4_request", self.access_key, self.region);
        let expiration = self.now + self.lifetime;
        let policy = json!({
            "expiration": expiration.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            "conditions": [
                { "bucket": self.bucket },
                { "key": self.key },
                { "Content-Type": STORED_TYPE },
                ["content-length-range", self.size, self.size],
                { "x-amz-algorithm": "AWS4-HMAC-SHA256" },
                { "x-amz-credential": credential },
                { "x-amz-date": amz_date },
            ],
        });
        let policy = base64::engine::general_purpose::STANDARD.encode(policy.to_string());
        let key = signing_key(self.secret_key, &date, self.region, "s3");
        let signature = hex::encode(hmac(&key, policy.as_bytes()));
        let fields = [
            ("key", self.key.to_owned()),
            ("Content-Type", STORED_TYPE.to_owned()),
            ("x-amz-algorithm", "AWS4-HMAC-SHA256".to_owned()),
            ("x-amz-credential", credential),
            ("x-amz-date", amz_date),
            ("policy", policy),
            ("x-amz-signature", signature),
        ];
        UploadForm {
            url: self.url.to_owned(),
            fields: fields.map(|(k, v)| (k.to_owned(), v)).to_vec(),
        }
    }
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    hmac_sha256::HMAC::mac(data, key)
}

/// Signature Version 4's key for one day, region and service.
fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k = hmac(&k, region.as_bytes());
    let k = hmac(&k, service.as_bytes());
    hmac(&k, b"aws4_request")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signing_key_matches_the_aws_example() {
        // docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
        let key = signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20150830",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex::encode(key),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
    }

    #[test]
    fn a_policy_fixes_key_size_type_and_expiry() {
        let now = DateTime::parse_from_rfc3339("2026-12-05T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let form = Policy {
            url: "https://b.example.com/",
            bucket: "b",
            region: "ap-shanghai",
            access_key: "AK",
            secret_key: "never-sent",
            key: "zd/file/abc/0",
            size: 12345,
            now,
            lifetime: Duration::from_secs(900),
        }
        .form();
        let field = |name: &str| {
            let found = form.fields.iter().find(|(k, _)| k == name);
            found.map(|(_, v)| v.clone()).unwrap()
        };
        let policy = base64::engine::general_purpose::STANDARD
            .decode(field("policy"))
            .unwrap();
        let policy: serde_json::Value = serde_json::from_slice(&policy).unwrap();
        assert_eq!(policy["expiration"], "2026-12-05T10:15:00.000Z");
        let conditions = policy["conditions"].as_array().unwrap();
        assert!(conditions.contains(&json!({ "key": "zd/file/abc/0" })));
        assert!(conditions.contains(&json!(["content-length-range", 12345, 12345])));
        assert_eq!(
            field("x-amz-credential"),
            "AK/20261205/ap-shanghai/s3/aws4_request"
        );
        assert_eq!(field("x-amz-date"), "20261205T100000Z");
        assert_eq!(field("x-amz-signature").len(), 64);
        // The secret never leaves.
        assert!(!form.fields.iter().any(|(_, v)| v.contains("never-sent")));
    }
}
