//! The signature parser against hostile input: arbitrary bytes, arbitrary JSON and
//! bundle-shaped JSON never panic, and never verify; no single changed byte of a real
//! signature verifies either.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use linfa_export::{
    Curve, PrivateKey, SIGNATURE_FILE, SignatureInfo, Trust, VerifyError, sign, verify_trusted,
};
use proptest::prelude::*;
use serde_json::{Value, json};

/// One signed artifact, its key and its valid signature bytes.
struct Fixture {
    tmp: tempfile::TempDir,
    dir: PathBuf,
    key: PrivateKey,
    bundle: Vec<u8>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let dir = common::export_tiny(tmp.path(), "signed").dir;
        let key = PrivateKey::generate(Curve::P256);
        sign(&dir, &key).unwrap();
        let bundle = fs::read(dir.join(SIGNATURE_FILE)).unwrap();
        Fixture {
            tmp,
            dir,
            key,
            bundle,
        }
    })
}

/// A copy of the signed artifact for one test (tests run in parallel; cases do not).
fn artifact_for(test: &str) -> PathBuf {
    let f = fixture();
    let dir = f.tmp.path().join(test);
    if !dir.exists() {
        common::copy_dir(&f.dir, &dir);
    }
    dir
}

/// Writes `bytes` as the signature and checks it with the fixture's key: never accepted.
fn refused_with_key(dir: &Path, bytes: &[u8]) -> Vec<VerifyError> {
    fs::write(dir.join(SIGNATURE_FILE), bytes).unwrap();
    match verify_trusted(dir, &Trust::key(fixture().key.public_key())) {
        Ok(_) => panic!("accepted {:?}", String::from_utf8_lossy(bytes)),
        Err(refused) => refused.problems,
    }
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,12}".prop_map(Value::from),
        prop_oneof![
            Just("application/vnd.dev.sigstore.bundle.v0.3+json"),
            Just("application/vnd.in-toto+json"),
            Just("https://in-toto.io/Statement/v1"),
            Just("https://model_signing/signature/v1.0"),
            Just("sha256"),
            Just("files"),
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("mediaType".to_owned()),
                    Just("verificationMaterial".to_owned()),
                    Just("publicKey".to_owned()),
                    Just("hint".to_owned()),
                    Just("dsseEnvelope".to_owned()),
                    Just("payload".to_owned()),
                    Just("payloadType".to_owned()),
                    Just("signatures".to_owned()),
                    Just("sig".to_owned()),
                    "[a-zA-Z_]{1,8}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A bundle with the right outer shape whose payload and signature are arbitrary.
fn bundle_shaped() -> impl Strategy<Value = Value> {
    (
        json_value(),
        prop::collection::vec(any::<u8>(), 0..80),
        prop::option::of("[0-9a-f]{64}"),
        any::<bool>(),
    )
        .prop_map(|(statement, sig, hint, real_hint)| {
            let hint = if real_hint {
                Some(fixture().key.public_key().fingerprint())
            } else {
                hint
            };
            json!({
                "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
                "verificationMaterial": {"publicKey": {"hint": hint}, "tlogEntries": []},
                "dsseEnvelope": {
                    "payload": BASE64.encode(serde_json::to_vec(&statement).unwrap()),
                    "payloadType": "application/vnd.in-toto+json",
                    "signatures": [{"sig": BASE64.encode(sig), "keyid": ""}],
                },
            })
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        prop_assert!(SignatureInfo::parse(&bytes).is_err());
    }

    #[test]
    fn arbitrary_json_never_panics(value in json_value()) {
        let _ = SignatureInfo::parse(&serde_json::to_vec(&value).unwrap());
    }

    #[test]
    fn bundle_shaped_json_never_panics(value in bundle_shaped()) {
        let _ = SignatureInfo::parse(&serde_json::to_vec(&value).unwrap());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn arbitrary_signature_files_never_verify(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let problems = refused_with_key(&artifact_for("bytes"), &bytes);
        prop_assert_eq!(problems.len(), 1);
    }

    #[test]
    fn forged_bundles_never_verify(value in bundle_shaped()) {
        let problems = refused_with_key(&artifact_for("forged"), &serde_json::to_vec(&value).unwrap());
        prop_assert!(problems.iter().all(|p| p.file() == SIGNATURE_FILE), "{:?}", problems);
    }

    #[test]
    fn no_changed_byte_of_a_real_signature_verifies(
        at in any::<prop::sample::Index>(),
        delta in 1u8..=255,
    ) {
        let mut bytes = fixture().bundle.clone();
        let i = at.index(bytes.len());
        bytes[i] = bytes[i].wrapping_add(delta);
        refused_with_key(&artifact_for("mutated"), &bytes);
    }
}

#[test]
fn the_fixture_itself_verifies() {
    let dir = artifact_for("original");
    fs::write(dir.join(SIGNATURE_FILE), &fixture().bundle).unwrap();
    verify_trusted(&dir, &Trust::key(fixture().key.public_key())).unwrap();
}
