//! Session tokens: HS256 JWTs whose subject is the user id.

use jwt_simple::prelude::*;
use jwt_simple::JWTError;

use crate::error::{Code, Error, Result};
use crate::ids::UserId;

const ISSUER: &str = "zudui";

pub struct Tokens {
    key: HS256Key,
    ttl: Duration,
}

impl Tokens {
    pub fn new(secret: &[u8], ttl_hours: u64) -> Self {
        Tokens {
            key: HS256Key::from_bytes(secret),
            ttl: Duration::from_hours(ttl_hours),
        }
    }

    /// A token for `user_id`, valid for the configured lifetime.
    pub fn issue(&self, user_id: &UserId) -> Result<String> {
        let claims = Claims::create(self.ttl)
            .with_issuer(ISSUER)
            .with_subject(user_id.as_str());
        Ok(self.key.authenticate(claims)?)
    }

    /// A token valid from `issued_at` to `expires_at` (Unix seconds); tests use it to make expired
    /// tokens without waiting.
    pub fn issue_between(
        &self,
        user_id: &UserId,
        issued_at: u64,
        expires_at: u64,
    ) -> Result<String> {
        let mut claims = Claims::create(self.ttl)
            .with_issuer(ISSUER)
            .with_subject(user_id.as_str());
        claims.issued_at = Some(UnixTimeStamp::from_secs(issued_at));
        claims.invalid_before = Some(UnixTimeStamp::from_secs(issued_at));
        claims.expires_at = Some(UnixTimeStamp::from_secs(expires_at));
        Ok(self.key.authenticate(claims)?)
    }

    /// The user id in a valid token; 111 when it expired, 112 when it is not ours, is broken or
    /// never expires (jwt-simple accepts a token without `exp`; ours always have one).
    pub fn verify(&self, token: &str) -> Result<UserId> {
        let options = VerificationOptions {
            allowed_issuers: Some(HashSet::from_strings(&[ISSUER])),
            time_tolerance: Some(Duration::from_secs(0)),
            max_token_length: Some(2048),
            ..Default::default()
        };
        match self
            .key
            .verify_token::<NoCustomClaims>(token, Some(options))
        {
            Ok(claims) => claims
                .subject
                .filter(|s| !s.is_empty() && claims.expires_at.is_some())
                .map(UserId::from)
                .ok_or_else(|| Error::new(Code::TokenInvalid)),
            Err(err) => match err.downcast_ref::<JWTError>() {
                Some(JWTError::TokenHasExpired) => Err(Error::new(Code::TokenExpired)),
                _ => Err(Error::new(Code::TokenInvalid)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> Tokens {
        Tokens::new(b"a test secret of enough length", 1)
    }

    #[test]
    fn round_trip() {
        let t = tokens();
        let token = t.issue(&"u1".into()).unwrap();
        assert_eq!(t.verify(&token).unwrap(), "u1");
    }

    #[test]
    fn expired_tampered_and_foreign_tokens_are_told_apart() {
        let t = tokens();
        let now = crate::time::now() as u64;
        let expired = t
            .issue_between(&"u1".into(), now - 7200, now - 3600)
            .unwrap();
        assert_eq!(t.verify(&expired).unwrap_err().code(), Code::TokenExpired);

        let good = t.issue(&"u1".into()).unwrap();
        let mut tampered = good.clone().into_bytes();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert_eq!(t.verify(&tampered).unwrap_err().code(), Code::TokenInvalid);

        let foreign = Tokens::new(b"another secret of enough length", 1)
            .issue(&"u1".into())
            .unwrap();
        assert_eq!(t.verify(&foreign).unwrap_err().code(), Code::TokenInvalid);
        assert_eq!(t.verify("garbage").unwrap_err().code(), Code::TokenInvalid);

        let mut endless = Claims::create(Duration::from_hours(1))
            .with_issuer(ISSUER)
            .with_subject("u1");
        endless.expires_at = None;
        let endless = t.key.authenticate(endless).unwrap();
        assert_eq!(t.verify(&endless).unwrap_err().code(), Code::TokenInvalid);
    }
}
