//! `/group` (except `/group/internal/files`), one module a sub-area, each with its routes:
//! groups and join requests, search, the public profile, members, and announcements.

pub mod announcements;
pub mod lifecycle;
pub mod members;
pub mod profile;
pub mod search;

use bytes::Bytes;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::body::Request;
use crate::error::{Code, Error, Result};
use crate::ids::GroupId;
use crate::{imaging, multipart};

// The fields of a route about one group.
#[derive(Deserialize, JsonSchema)]
pub struct InGroup {
    pub group_id: GroupId,
}

/// A `wx.uploadFile` picture upload: its form fields as a `T`, and the picture in `field`.
pub(super) async fn upload<T: DeserializeOwned>(req: Request, field: &str) -> Result<(T, Bytes)> {
    let form = multipart::read_small(req, field, imaging::MAX_UPLOAD, Code::BadPicture).await?;
    let file = form.file.ok_or_else(|| Error::param(field))?;
    Ok((form.fields.into_typed()?, file.data))
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::lifecycle::{Create, Process};
    use super::members::{MemberRef, Rate};
    use super::search::Search;
    use super::*;
    use crate::fields::{Flag, UserRef};
    use crate::ids::RequestId;
    use crate::params::Params;
    use crate::search;

    fn read<T: DeserializeOwned>(body: Value) -> Result<T> {
        Params::from_json(body.to_string().as_bytes())?.into_typed()
    }

    #[test]
    fn requests_take_what_the_params_took() {
        let search: Search =
            read(json!({"type": "学习", "page": "", "page_size": "5", "key": null}))
                .expect("a search");
        let filter = search::Filter::from(search.filter);
        assert_eq!(
            (filter.page, filter.page_size, filter.key),
            (None, Some(5), None)
        );
        let process: Process = read(json!({"request_id": "3", "action": "0"})).expect("process");
        assert_eq!(
            (process.request_id, process.action),
            (RequestId(3), Flag(false))
        );
        let rate: Rate =
            read(json!({"group_id": 1, "rates": [{"user_id": 7, "star_rating": " 8.5 "}]}))
                .expect("a rating");
        assert_eq!(
            (
                rate.rates[0].user_id.0.as_str(),
                rate.rates[0].star_rating.0
            ),
            ("7", 8.5)
        );
        for bad in [
            json!({"group_id": 1, "rates": [{"user_id": "u", "star_rating": "很好"}]}),
            json!({"group_id": 1, "rates": [{"user_id": "u", "star_rating": null}]}),
            json!({"group_id": 1, "rates": [{"user_id": "u", "star_rating": "inf"}]}),
            json!({"group_id": 1, "rates": {}}),
        ] {
            let err = read::<Rate>(bad.clone()).err().expect("refused");
            assert_eq!(err.code(), Code::BadParam, "{bad}");
        }
        let err = read::<Search>(json!({"type": "学习", "tags": [1]})).err();
        assert_eq!(err.map(|e| e.code()), Some(Code::BadParam));
        let err = read::<Create>(json!({"type": "学习", "name": 5, "user_limit": 3})).err();
        assert_eq!(err.map(|e| e.code()), Some(Code::BadParam));
    }

    #[test]
    fn an_empty_user_id_is_missing() {
        let member: MemberRef = read(json!({"group_id": 1, "user_id": " "})).expect("parsed");
        let err = member.user_id.required("user_id").unwrap_err();
        assert_eq!(err.code(), Code::BadParam);
        assert!(err.client_message().contains("user_id"));
        assert_eq!(UserRef("u".into()).required("user_id").unwrap(), "u");
    }
}
