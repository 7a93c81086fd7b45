//! What a digest is in an artifact: the lowercase hex SHA-256 of exactly some bytes.
//!
//! Every digest a manifest or a signature records has this one form, so the form is part of
//! the format: the manifest's own digest is computed with it, and readers check with
//! [`is_sha256_hex`] that a recorded digest could be one. Streaming files through the hash,
//! in parallel, is the integrity layer's business (`integrity::hashing`).

use sha2::{Digest, Sha256};

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// True for a 64-character lowercase hex string, the form every digest in a
/// manifest takes.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vector() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn hex_check() {
        assert!(is_sha256_hex(&sha256_hex(b"")));
        assert!(!is_sha256_hex(&sha256_hex(b"").to_uppercase()));
        assert!(!is_sha256_hex("abc"));
    }
}
