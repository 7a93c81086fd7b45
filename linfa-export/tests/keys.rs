//! What a trust policy is given: key files as model_signing and openssl write them and as
//! `keygen` writes them, and pinned digests as people copy them.

use std::os::unix::fs::PermissionsExt;

use linfa_export::{Curve, PrivateKey, PublicKey, Trust, TrustError};

/// A P-256 public key with a compressed point, made by Python's `cryptography`, and
/// model_signing's hint for it (the SHA-256 of its canonical, uncompressed PEM).
const COMPRESSED_P256: &str = "-----BEGIN PUBLIC KEY-----
MDkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDIgAD//0MeIRXMK2u2ydCz4i27Po055g3
r13Zm6tMo0vtPOg=
-----END PUBLIC KEY-----
";
const COMPRESSED_P256_HINT: &str =
    "1a086a8cfd7b88f1942f40e2842e59b946b9b3e5468bceb4d0bc3e53beaa69f5";

const ED25519: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEArgHEPEd6HbRsOayNmU5gGIUz2eb9m0uEw/xNKLe/N70=
-----END PUBLIC KEY-----
";
const SECP256K1: &str = "-----BEGIN PUBLIC KEY-----
MFYwEAYHKoZIzj0CAQYFK4EEAAoDQgAEXLwxOLrK6e3srhYbbjOiaFazUILei0sM
LNNmp9/8Ur3DQAh9DpkFOwCnmvyQMlnJU25122k4AY8EQcRHoAa0Bw==
-----END PUBLIC KEY-----
";
const RSA: &str = "-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQCro8Me6F01aEEu8mz0Z4aZcSaM
/L2zoBjOv66t6PrM4RXlYxx/wE/YOMm793T0wXnwVScLw1yUecHXuCDe//HdJOXI
bEyMs97TlhzfIxmM9hoCWyTTnmsicGNVDHfR2CrHUyYWEeD31VJRzxbtljQwv6pT
6ISCy/eSR0BZ1NQOuwIDAQAB
-----END PUBLIC KEY-----
";

#[test]
fn keygen_files_are_pkcs8_and_spki_and_the_private_one_is_private() {
    let tmp = tempfile::tempdir().unwrap();
    let (private, public) = (
        tmp.path().join("k.private.pem"),
        tmp.path().join("k.public.pem"),
    );
    let key = PrivateKey::generate(Curve::P384);
    key.write_pem_files(&private, &public).unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&private), 0o600);
    assert_eq!(mode(&public), 0o644);
    let text = std::fs::read_to_string(&private).unwrap();
    assert!(text.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{text}");
    let read = PrivateKey::read_pem_file(&private).unwrap();
    assert_eq!(read.curve(), Curve::P384);
    assert_eq!(read.public_key(), key.public_key());
    assert_eq!(PublicKey::read_pem_file(&public).unwrap(), key.public_key());
    assert!(
        !format!("{read:?}").contains("PRIVATE"),
        "Debug shows no secret"
    );

    // A key is never overwritten.
    let other = PrivateKey::generate(Curve::P256);
    let err = other.write_pem_files(&private, &tmp.path().join("new.pem"));
    assert!(matches!(err, Err(TrustError::KeyExists { .. })), "{err:?}");
    assert_eq!(std::fs::read_to_string(&private).unwrap(), text);
    assert!(!tmp.path().join("new.pem").exists());
}

#[test]
fn sec1_private_keys_load_as_model_signing_loads_them() {
    for curve in [Curve::P256, Curve::P384] {
        let key = PrivateKey::generate(curve);
        let tmp = tempfile::tempdir().unwrap();
        let (private, public) = (tmp.path().join("a"), tmp.path().join("b"));
        key.write_pem_files(&private, &public).unwrap();
        let pkcs8 = std::fs::read_to_string(&private).unwrap();
        let sec1 = match curve {
            Curve::P256 => {
                use p256::pkcs8::DecodePrivateKey;
                p256::SecretKey::from_pkcs8_pem(&pkcs8)
                    .unwrap()
                    .to_sec1_pem(p256::pkcs8::LineEnding::LF)
                    .unwrap()
            }
            Curve::P384 => {
                use p384::pkcs8::DecodePrivateKey;
                p384::SecretKey::from_pkcs8_pem(&pkcs8)
                    .unwrap()
                    .to_sec1_pem(p384::pkcs8::LineEnding::LF)
                    .unwrap()
            }
        };
        assert!(sec1.starts_with("-----BEGIN EC PRIVATE KEY-----"));
        let read = PrivateKey::from_pem(&sec1).unwrap();
        assert_eq!(read.public_key(), key.public_key());
    }
}

#[test]
fn the_fingerprint_is_model_signings_hint_even_for_a_compressed_point() {
    let key = PublicKey::from_pem(COMPRESSED_P256).unwrap();
    assert_eq!(key.curve(), Curve::P256);
    assert_eq!(key.fingerprint(), COMPRESSED_P256_HINT);
    assert_eq!(
        linfa_export::sha256_hex(key.to_pem().as_bytes()),
        COMPRESSED_P256_HINT
    );
}

#[test]
fn keys_that_cannot_sign_models_are_named() {
    for (pem, what) in [
        (ED25519, "an Ed25519 key"),
        (SECP256K1, "a secp256k1 key"),
        (RSA, "an RSA key"),
    ] {
        let err = PublicKey::from_pem(pem).unwrap_err();
        assert!(matches!(err, TrustError::UnsupportedKey { .. }), "{err:?}");
        let message = err.to_string();
        assert!(
            message.contains(what) && message.contains("P-256 or P-384"),
            "{message}"
        );
    }
    let tmp = tempfile::tempdir().unwrap();
    let err = PublicKey::read_pem_file(tmp.path().join("missing.pem")).unwrap_err();
    assert!(
        err.to_string().contains("missing.pem: cannot read the key"),
        "{err}"
    );
    let encrypted =
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n";
    let err = PrivateKey::from_pem(encrypted).unwrap_err().to_string();
    assert!(err.contains("encrypted"), "{err}");
}

#[test]
fn pinned_digests_are_read_leniently_and_checked_strictly() {
    let digest = "ab".repeat(32);
    for given in [
        digest.clone(),
        digest.to_uppercase(),
        format!("sha256:{digest}"),
        format!(" {digest}\n"),
    ] {
        assert_eq!(
            Trust::digest(&given).unwrap().expected_digest(),
            Some(digest.as_str())
        );
    }
    for bad in ["", "abc", &"g".repeat(64), &"ab".repeat(33)] {
        let err = Trust::digest(bad).unwrap_err().to_string();
        assert!(err.contains("not an artifact digest"), "{err}");
    }
}
