//! Identifiers that leave the server.

/// A new opaque user id: 16 random bytes, hex. It says nothing about the WeChat openid.
pub fn new_user_id() -> anyhow::Result<String> {
    Ok(hex::encode(random_bytes::<16>()?))
}

/// Cryptographically random bytes from the host.
pub fn random_bytes<const N: usize>() -> anyhow::Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    #[test]
    fn user_ids_are_random_hex() {
        let a = super::new_user_id().unwrap();
        let b = super::new_user_id().unwrap();
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
    }
}
