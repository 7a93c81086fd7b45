//! Trust beyond self-consistency: a pinned digest and a signature, each refusing what the
//! manifest alone cannot (the re-hashed forgery), and every way a signature fails named.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{export_tiny, flip_byte, forge, rewrite_manifest};
use linfa_export::{
    Curve, FileEntry, FileRole, PrivateKey, SIGNATURE_FILE, SignError, Trust, VerifyError,
    VerifyOptions, load, load_trusted, read_signature, sign, verify, verify_trusted, verify_with,
};
use linfa_linear::FittedLinearRegression;

type Tiny = FittedLinearRegression<f64>;

/// A fresh tiny artifact signed by a new key: (tempdir, artifact, key, digest).
fn signed(curve: Curve) -> (tempfile::TempDir, PathBuf, PrivateKey, String) {
    let tmp = tempfile::tempdir().unwrap();
    let report = export_tiny(tmp.path(), "art");
    let key = PrivateKey::generate(curve);
    let signed = sign(&report.dir, &key).unwrap();
    assert_eq!(signed.path, report.dir.join(SIGNATURE_FILE));
    assert_eq!(signed.files, 4);
    assert_eq!(signed.signer, key.public_key().fingerprint());
    (tmp, report.dir.clone(), key, report.digest().to_owned())
}

/// The problems verification finds under `trust`.
fn problems(dir: &Path, trust: &Trust) -> Vec<VerifyError> {
    match verify_trusted(dir, trust) {
        Ok(verified) => panic!("verified: {verified:?}"),
        Err(refused) => refused.problems,
    }
}

fn key_of(key: &PrivateKey) -> Trust {
    Trust::key(key.public_key())
}

#[test]
fn a_signed_artifact_verifies_with_its_key_and_its_digest() {
    for curve in [Curve::P256, Curve::P384] {
        let (_tmp, dir, key, digest) = signed(curve);
        let trust = key_of(&key).and_digest(&digest).unwrap();
        let verified = verify_trusted(&dir, &trust).unwrap();
        assert_eq!(verified.digest(), digest);
        assert!(verified.assurance.pinned);
        assert_eq!(
            verified.assurance.signer,
            Some(key.public_key().fingerprint())
        );
        assert!(verified.assurance.to_string().contains("signed by key"));
        let loaded = load_trusted::<Tiny>(&dir, &trust).unwrap();
        assert_eq!(loaded.assurance, verified.assurance);
        // Consistency alone still verifies, and says that is all it checked.
        let plain = verify_trusted(&dir, &Trust::consistency()).unwrap();
        assert!(plain.assurance.is_consistency_only());
        assert!(plain.assurance.to_string().starts_with("consistency only"));
        assert!(load::<Tiny>(&dir).unwrap().assurance.is_consistency_only());
    }
}

#[test]
fn the_signature_is_the_one_file_the_manifest_does_not_list() {
    let (_tmp, dir, _key, _) = signed(Curve::P256);
    assert!(verify(&dir).is_ok(), "{:?}", verify(&dir).problems);
    fs::write(dir.join("model.sig.bak"), "x").unwrap();
    fs::create_dir(dir.join("sub")).unwrap();
    fs::write(dir.join("sub").join(SIGNATURE_FILE), "x").unwrap();
    let files: Vec<String> = verify(&dir)
        .problems
        .iter()
        .map(VerifyError::file)
        .collect();
    assert_eq!(files, ["model.sig.bak", "sub/model.sig"]);

    // A manifest cannot list it, and an attachment cannot take its name.
    let (_tmp, dir, _key, _) = signed(Curve::P256);
    rewrite_manifest(&dir, |m| {
        let entry = FileEntry {
            role: FileRole::Attachment,
            size: 1,
            sha256: "0".repeat(64),
        };
        m.files.insert(SIGNATURE_FILE.to_owned(), entry);
    });
    assert!(matches!(
        &verify(&dir).problems[..],
        [VerifyError::UnsafePath { file, .. }] if file == SIGNATURE_FILE
    ));
    let refused = common::tiny_params()
        .attach_file(SIGNATURE_FILE, dir.join("model.json"))
        .check();
    assert!(refused.is_err());
}

#[test]
fn a_symlinked_signature_is_refused() {
    let (tmp, dir, key, _) = signed(Curve::P256);
    let outside = tmp.path().join("elsewhere.sig");
    fs::rename(dir.join(SIGNATURE_FILE), &outside).unwrap();
    std::os::unix::fs::symlink(&outside, dir.join(SIGNATURE_FILE)).unwrap();
    assert!(matches!(
        &verify(&dir).problems[..],
        [VerifyError::Symlink { file }] if file == SIGNATURE_FILE
    ));
    let found = problems(&dir, &key_of(&key));
    assert!(
        found
            .iter()
            .all(|p| matches!(p, VerifyError::Symlink { .. })),
        "{found:?}"
    );
}

#[test]
fn an_unsigned_artifact_is_refused_when_a_key_is_required() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = export_tiny(tmp.path(), "art").dir;
    let key = PrivateKey::generate(Curve::P256);
    let found = problems(&dir, &key_of(&key));
    assert!(
        matches!(&found[..], [VerifyError::Unsigned { file, key: k }]
            if file == SIGNATURE_FILE && *k == key.public_key().fingerprint()),
        "{found:?}"
    );
    assert!(found[0].to_string().contains("not signed"), "{}", found[0]);
    assert!(matches!(
        load_trusted::<Tiny>(&dir, &key_of(&key)),
        Err(VerifyError::Unsigned { .. })
    ));
    assert_eq!(read_signature(&dir).unwrap(), None);
}

#[test]
fn a_signature_by_another_key_is_refused() {
    let (_tmp, dir, key, _) = signed(Curve::P256);
    let stranger = PrivateKey::generate(Curve::P256);
    let found = problems(&dir, &key_of(&stranger));
    match &found[..] {
        [
            VerifyError::SignedByAnotherKey {
                signer, expected, ..
            },
        ] => {
            assert_eq!(*signer, key.public_key().fingerprint());
            assert_eq!(*expected, stranger.public_key().fingerprint());
        }
        other => panic!("{other:?}"),
    }
    // Without the key hint, the ECDSA check itself refuses it.
    edit_bundle(&dir, |bundle| {
        bundle["verificationMaterial"]["publicKey"]["hint"] = serde_json::Value::Null;
    });
    let found = problems(&dir, &key_of(&stranger));
    assert!(
        matches!(&found[..], [VerifyError::BadSignature { .. }]),
        "{found:?}"
    );
    assert!(verify_trusted(&dir, &key_of(&key)).is_ok());
    // A key on another curve too.
    let p384 = PrivateKey::generate(Curve::P384);
    assert!(matches!(
        &problems(&dir, &key_of(&p384))[..],
        [VerifyError::BadSignature { .. }]
    ));
}

/// Rewrites `dir/model.sig` through its JSON.
fn edit_bundle(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = dir.join(SIGNATURE_FILE);
    let mut bundle: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    edit(&mut bundle);
    fs::write(&path, serde_json::to_vec(&bundle).unwrap()).unwrap();
}

/// Decodes, edits and re-encodes a base64 field of the envelope.
fn edit_base64(dir: &Path, field: &str, edit: impl FnOnce(&mut Vec<u8>)) {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    edit_bundle(dir, |bundle| {
        let envelope = &mut bundle["dsseEnvelope"];
        let target = if field == "sig" {
            &mut envelope["signatures"][0]["sig"]
        } else {
            &mut envelope[field]
        };
        let mut bytes = b64.decode(target.as_str().unwrap()).unwrap();
        edit(&mut bytes);
        *target = b64.encode(&bytes).into();
    });
}

#[test]
fn a_corrupted_signature_is_refused() {
    let (_tmp, dir, key, _) = signed(Curve::P256);
    let original = fs::read(dir.join(SIGNATURE_FILE)).unwrap();
    let restore = || fs::write(dir.join(SIGNATURE_FILE), &original).unwrap();

    // A byte of the DER signature (its last byte is inside `s`).
    edit_base64(&dir, "sig", |sig| *sig.last_mut().unwrap() ^= 1);
    // Only the key can tell: without it, a well-formed signature over these files passes.
    assert!(verify(&dir).is_ok());
    let found = problems(&dir, &key_of(&key));
    assert!(
        matches!(&found[..], [VerifyError::BadSignature { .. }]),
        "{found:?}"
    );
    assert!(
        found[0].to_string().contains("does not verify"),
        "{}",
        found[0]
    );
    restore();

    // A byte of the signed statement: a digest it lists.
    edit_base64(&dir, "payload", |payload| {
        let at = payload.windows(8).position(|w| w == b"\"digest\"").unwrap() + 12;
        payload[at] = if payload[at] == b'0' { b'1' } else { b'0' };
    });
    assert!(matches!(
        &problems(&dir, &key_of(&key))[..],
        [VerifyError::BadSignature { .. }]
    ));
    // Without the key, the statement it signs no longer reads as a model_signing statement.
    assert!(matches!(
        &verify(&dir).problems[..],
        [VerifyError::SignatureMalformed { reason, .. }] if reason.starts_with("the statement it signs")
    ));
    restore();

    // Not JSON, another media type, a truncated file.
    for bytes in [
        b"garbage".to_vec(),
        String::from_utf8(original.clone())
            .unwrap()
            .replace("v0.3", "v0.2")
            .into_bytes(),
        original[..original.len() / 2].to_vec(),
    ] {
        fs::write(dir.join(SIGNATURE_FILE), &bytes).unwrap();
        let found = problems(&dir, &key_of(&key));
        assert!(
            matches!(&found[..], [VerifyError::SignatureUnreadable { .. }]),
            "{found:?}"
        );
        // Without a key, a signature that does not parse is refused all the same.
        assert!(
            matches!(&verify(&dir).problems[..], [VerifyError::SignatureMalformed { file, .. }] if file == SIGNATURE_FILE)
        );
    }
    restore();
    assert!(verify_trusted(&dir, &key_of(&key)).is_ok());
}

#[test]
fn a_file_changed_or_added_after_signing_is_refused() {
    let (_tmp, dir, key, _) = signed(Curve::P256);
    flip_byte(&dir, "model.json", 5);
    let found = problems(&dir, &key_of(&key));
    let named: Vec<(String, bool)> = found
        .iter()
        .map(|p| {
            (
                p.file(),
                matches!(p, VerifyError::ChangedAfterSigning { .. }),
            )
        })
        .collect();
    assert_eq!(
        named,
        [
            ("model.json".to_owned(), false),
            ("model.json".to_owned(), true)
        ],
        "{found:?}"
    );
    flip_byte(&dir, "model.json", 5);

    fs::write(dir.join("notes.txt"), "added").unwrap();
    let found = problems(&dir, &key_of(&key));
    assert!(
        matches!(&found[..], [VerifyError::UnexpectedFile { file }] if file == "notes.txt"),
        "{found:?}"
    );
}

#[test]
fn the_rehashed_forgery_passes_consistency_but_not_a_pin_or_a_signature() {
    let (_tmp, dir, key, digest) = signed(Curve::P256);
    forge(&dir, |model| model["intercept"] = serde_json::json!(100.0));

    let found = problems(&dir, &key_of(&key));
    let named: Vec<String> = found.iter().map(|p| format!("{}: {p}", p.file())).collect();
    assert_eq!(found.len(), 3, "{named:#?}");
    assert!(
        matches!(&found[0], VerifyError::ChangedAfterSigning { file, .. } if file == "manifest.json")
    );
    assert!(matches!(&found[1], VerifyError::SignedFileMissing { file } if file == "model.cbor"));
    assert!(
        matches!(&found[2], VerifyError::ChangedAfterSigning { file, .. } if file == "model.json")
    );
    assert!(load_trusted::<Tiny>(&dir, &key_of(&key)).is_err());

    // The author's model.sig, kept by the forger, no longer lists these files: even a plain
    // check refuses that, naming model.sig.
    let plain = verify(&dir);
    assert!(
        !plain.problems.is_empty()
            && plain.problems.iter().all(|p| matches!(
                p,
                VerifyError::SignatureMismatch { file, .. } if file == SIGNATURE_FILE
            )),
        "{:?}",
        plain.problems
    );
    // What the issue measured, once the forger also drops the signature: the plain check and
    // load accept the forged model.
    fs::remove_file(dir.join(SIGNATURE_FILE)).unwrap();
    let plain = verify(&dir);
    assert!(plain.is_ok(), "{:?}", plain.problems);
    let forged = load::<Tiny>(&dir).unwrap();
    assert_eq!(forged.model.intercept(), 100.0);
    assert_ne!(forged.manifest.artifact_sha256, digest);

    let pinned = Trust::digest(&digest).unwrap();
    match &problems(&dir, &pinned)[..] {
        [
            VerifyError::DigestNotPinned {
                expected, actual, ..
            },
        ] => {
            assert_eq!(*expected, digest);
            assert_eq!(*actual, forged.manifest.artifact_sha256);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        load_trusted::<Tiny>(&dir, &pinned),
        Err(VerifyError::DigestNotPinned { .. })
    ));
    assert!(matches!(
        &problems(&dir, &key_of(&key))[..],
        [VerifyError::Unsigned { .. }]
    ));
}

#[test]
fn a_file_slipped_into_the_manifest_after_signing_is_not_signed() {
    let (_tmp, dir, key, _) = signed(Curve::P256);
    fs::write(dir.join("extra.txt"), "late").unwrap();
    rewrite_manifest(&dir, |m| {
        let entry = FileEntry {
            role: FileRole::Attachment,
            size: 4,
            sha256: linfa_export::sha256_hex(b"late"),
        };
        m.files.insert("extra.txt".to_owned(), entry);
    });
    // The folder agrees with its new manifest; model.sig does not, which even a plain check
    // names.
    let plain: Vec<(String, bool)> = verify(&dir)
        .problems
        .iter()
        .map(|p| match p {
            VerifyError::SignatureMismatch { path, signed, .. } => (path.clone(), signed.is_some()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        plain,
        [
            ("extra.txt".to_owned(), false),
            ("manifest.json".to_owned(), true)
        ]
    );
    let found = problems(&dir, &key_of(&key));
    assert!(
        found
            .iter()
            .any(|p| matches!(p, VerifyError::NotSigned { file } if file == "extra.txt")),
        "{found:?}"
    );
}

#[test]
fn only_a_verified_artifact_is_signed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = export_tiny(tmp.path(), "art").dir;
    flip_byte(&dir, "model.cbor", 0);
    let err = sign(&dir, &PrivateKey::generate(Curve::P256)).unwrap_err();
    assert!(matches!(err, SignError::Unverified { .. }));
    assert!(err.to_string().contains("model.cbor"), "{err}");
    assert!(!dir.join(SIGNATURE_FILE).exists());
}

#[test]
fn signing_again_replaces_the_signature() {
    let (_tmp, dir, old, _) = signed(Curve::P256);
    let new = PrivateKey::generate(Curve::P384);
    sign(&dir, &new).unwrap();
    assert!(verify_trusted(&dir, &key_of(&new)).is_ok());
    assert!(verify_trusted(&dir, &key_of(&old)).is_err());
    let names: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 5, "no temporary file is left: {names:?}");
}

#[test]
fn trust_options_combine_with_limits() {
    let (_tmp, dir, key, digest) = signed(Curve::P256);
    let options = VerifyOptions {
        max_file_size: 50,
        ..VerifyOptions::trusting(key_of(&key).and_digest(&digest).unwrap())
    };
    let report = verify_with(&dir, &options);
    assert!(
        report
            .problems
            .iter()
            .any(|p| matches!(p, VerifyError::DeclaredSizeTooLarge { .. }))
    );
    assert!(!report.is_ok());
}

/// The offset of the `n`th byte of the envelope's base64 payload inside `model.sig`.
fn payload_offset(dir: &Path, n: usize) -> isize {
    let bytes = fs::read(dir.join(SIGNATURE_FILE)).unwrap();
    let key = b"\"payload\":\"";
    let at = bytes.windows(key.len()).position(|w| w == key).unwrap();
    (at + key.len() + n) as isize
}

/// The one problem a plain `verify` finds, which must be about `model.sig`.
fn only_signature_problem(dir: &Path) -> VerifyError {
    let mut report = verify(dir);
    assert_eq!(report.problems.len(), 1, "{:#?}", report.problems);
    let problem = report.problems.remove(0);
    assert_eq!(problem.file(), SIGNATURE_FILE, "{problem}");
    problem
}

#[test]
fn a_broken_signature_is_refused_without_a_key() {
    let (_tmp, dir, key, _) = signed(Curve::P256);
    // A valid signature still passes a plain check, and loads.
    assert!(verify(&dir).is_ok(), "{:?}", verify(&dir).problems);
    assert!(load::<Tiny>(&dir).is_ok());
    let original = fs::read(dir.join(SIGNATURE_FILE)).unwrap();
    let restore = || fs::write(dir.join(SIGNATURE_FILE), &original).unwrap();

    // A flipped byte: in the JSON around the envelope, and inside the signed statement.
    for offset in [0, payload_offset(&dir, 20)] {
        common::flip_byte(&dir, SIGNATURE_FILE, offset);
        let problem = only_signature_problem(&dir);
        assert!(
            matches!(problem, VerifyError::SignatureMalformed { .. }),
            "{problem:?}"
        );
        let message = problem.to_string();
        assert!(
            message.starts_with("model.sig does not parse: ")
                && message
                    .contains("re-sign the artifact with `linfa-export sign` or remove model.sig"),
            "{message}"
        );
        // load follows verify.
        assert!(matches!(
            load::<Tiny>(&dir),
            Err(VerifyError::SignatureMalformed { .. })
        ));
        restore();
    }

    // Cut short.
    fs::write(
        dir.join(SIGNATURE_FILE),
        &original[..original.len() * 2 / 3],
    )
    .unwrap();
    let problem = only_signature_problem(&dir);
    assert!(
        problem
            .to_string()
            .starts_with("model.sig does not parse: not a Sigstore bundle"),
        "{problem}"
    );
    assert!(linfa_export::read_manifest(&dir).is_err());

    // Signing again repairs it: sign does not let the broken signature stand in its way.
    sign(&dir, &key).unwrap();
    assert!(verify(&dir).is_ok(), "{:?}", verify(&dir).problems);
    restore();
    assert!(verify(&dir).is_ok());
}

#[test]
fn a_signature_from_another_artifact_is_refused_without_a_key() {
    let (tmp, dir, _key, _) = signed(Curve::P256);
    // Another artifact, signed: its statement lists other digests.
    let other = common::tiny_params()
        .metric("r2", 0.5)
        .check()
        .unwrap()
        .export(&common::tiny_model(), tmp.path().join("other"))
        .unwrap();
    sign(&other.dir, &PrivateKey::generate(Curve::P256)).unwrap();
    fs::copy(other.dir.join(SIGNATURE_FILE), dir.join(SIGNATURE_FILE)).unwrap();

    let manifest_now = linfa_export::sha256_hex(&fs::read(dir.join("manifest.json")).unwrap());
    let manifest_signed =
        linfa_export::sha256_hex(&fs::read(other.dir.join("manifest.json")).unwrap());
    let report = verify(&dir);
    let messages: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    assert!(
        report
            .problems
            .iter()
            .all(|p| matches!(p, VerifyError::SignatureMismatch { .. })
                && p.file() == SIGNATURE_FILE),
        "{messages:#?}"
    );
    let paths: Vec<&str> = report
        .problems
        .iter()
        .map(|p| match p {
            VerifyError::SignatureMismatch { path, .. } => path.as_str(),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(paths, ["MODEL_CARD.md", "manifest.json"], "{messages:#?}");
    let expected = format!(
        "model.sig lists manifest.json with sha256 {manifest_signed}, but the file has {manifest_now}"
    );
    assert!(
        messages.iter().any(|m| m.starts_with(&expected)
            && m.ends_with("re-sign the artifact with `linfa-export sign` or remove model.sig")),
        "{messages:#?}"
    );
    assert!(load::<Tiny>(&dir).is_err());
    // Removing it, as the message says, leaves a consistent (unsigned) artifact.
    fs::remove_file(dir.join(SIGNATURE_FILE)).unwrap();
    assert!(verify(&dir).is_ok());
}
