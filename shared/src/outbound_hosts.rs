//! The hosts the components call, as `allowed_outbound_hosts` literals (`scheme://host[:port]`):
//! hosted Spin (Fermyon Cloud) does not expand `{{ variables }}` there. Each host comes from the
//! URL the code itself builds for that call, so the list cannot disagree with the calls.

use crate::chat::live::RelayLink;
use crate::config::Settings;
use crate::storage::s3_bucket;
use crate::wechat;

/// The settings that decide the hosts. A manifest listing the hosts of some values must hand the
/// components those same values, or they call hosts that are not listed.
pub const HOST_SETTINGS: [&str; 6] = [
    "wechat_api_base",
    "relay_url",
    "blob_store",
    "s3_endpoint",
    "s3_bucket",
    "s3_path_style",
];

/// Every host the settings make the components call, each once: WeChat's API, the relay when
/// `relay_url` is set, and with `blob_store = s3` the host of the bucket's objects (the endpoint
/// in path style, `bucket.endpoint` in virtual-hosted style).
pub fn allowed_outbound_hosts(settings: &Settings) -> anyhow::Result<Vec<String>> {
    let mut hosts = vec![origin(
        "wechat_api_base",
        &wechat::session_url(&settings.wechat()?.wechat_api_base, ""),
    )?];
    if let Some(relay_url) = &settings.relay()?.relay_url {
        hosts.push(origin("relay_url", &RelayLink::publish_url(relay_url))?);
    }
    if let Some(s3) = settings.s3()? {
        let object = s3_bucket(s3)?.object_url("object");
        hosts.push(origin("s3_endpoint", object.as_str())?);
    }
    let mut seen = std::collections::HashSet::new();
    hosts.retain(|host| seen.insert(host.clone()));
    Ok(hosts)
}

/// `scheme://host[:port]` of an HTTP(S) URL (the port only when not the scheme's default).
fn origin(setting: &str, url: &str) -> anyhow::Result<String> {
    let url = url::Url::parse(url)
        .map_err(|e| anyhow::anyhow!("the {setting} setting does not make a valid URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        anyhow::bail!(
            "the {setting} setting must be an http:// or https:// URL with a host, not {}://",
            url.scheme()
        );
    }
    Ok(url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn hosts(pairs: &[(&'static str, &'static str)]) -> anyhow::Result<Vec<String>> {
        let mut map = HashMap::from([("jwt_secret", "0123456789abcdef0123")]);
        map.extend(pairs.iter().copied());
        allowed_outbound_hosts(&Settings::load(&map).unwrap())
    }

    const S3: [(&str, &str); 4] = [
        ("blob_store", "s3"),
        ("s3_bucket", "media"),
        ("s3_access_key", "ak"),
        ("s3_secret_key", "sk"),
    ];

    #[test]
    fn hosts_follow_the_urls_the_code_builds() {
        assert_eq!(hosts(&[]).unwrap(), ["https://api.weixin.qq.com"]);
        let custom = hosts(&[
            ("wechat_api_base", "https://wx.example.com:8443/base/"),
            ("relay_url", "http://relay.example.com:80/"),
        ]);
        assert_eq!(
            custom.unwrap(),
            ["https://wx.example.com:8443", "http://relay.example.com"]
        );
        let mut virtual_hosted = S3.to_vec();
        virtual_hosted.extend([
            ("s3_endpoint", "https://cos.ap-shanghai.myqcloud.com"),
            ("s3_path_style", "0"),
        ]);
        assert_eq!(
            hosts(&virtual_hosted).unwrap(),
            [
                "https://api.weixin.qq.com",
                "https://media.cos.ap-shanghai.myqcloud.com"
            ]
        );
        let mut path_style = S3.to_vec();
        path_style.push(("s3_endpoint", "http://127.0.0.1:9000"));
        assert_eq!(
            hosts(&path_style).unwrap(),
            ["https://api.weixin.qq.com", "http://127.0.0.1:9000"]
        );
    }

    #[test]
    fn settings_without_a_host_are_refused() {
        for (name, value) in [
            ("relay_url", "relay.example.com:8090"),
            ("relay_url", "not a url"),
            ("wechat_api_base", "ftp://wx.example.com"),
        ] {
            let err = hosts(&[(name, value)]).expect_err(value).to_string();
            assert!(err.contains(name), "{err}");
        }
        let mut ip_virtual_hosted = S3.to_vec();
        ip_virtual_hosted.extend([
            ("s3_endpoint", "http://127.0.0.1:9000"),
            ("s3_path_style", "0"),
        ]);
        assert!(hosts(&ip_virtual_hosted).is_err());
    }
}
