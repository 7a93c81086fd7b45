//! `model.sig` byte for byte against the model_signing 1.1.1 format
//! (`shared/design/MODEL_SIGNING.md`), decoded and recomputed here without the library.

mod common;

use std::fs;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::export_tiny;
use linfa_export::{Curve, PrivateKey, SIGNATURE_FILE, read_signature, sign};
use p256::ecdsa::signature::Verifier;
use p256::pkcs8::{DecodePublicKey, EncodePublicKey, LineEnding};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

#[test]
fn the_signature_file_is_a_model_signing_bundle_over_every_file() {
    let tmp = tempfile::tempdir().unwrap();
    let report = export_tiny(tmp.path(), "tiny-art");
    let dir = &report.dir;
    let key = PrivateKey::generate(Curve::P256);
    sign(dir, &key).unwrap();
    let bytes = fs::read(dir.join(SIGNATURE_FILE)).unwrap();
    assert!(!bytes.ends_with(b"\n") && !bytes.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(!text.contains(' '), "compact JSON: {text}");

    // The outer bundle, in model_signing's key order.
    let bundle: Value = serde_json::from_slice(&bytes).unwrap();
    let public_pem = key.public_key().to_pem();
    let hint = hex::encode(Sha256::digest(public_pem.as_bytes()));
    let payload_b64 = bundle["dsseEnvelope"]["payload"].as_str().unwrap();
    let sig_b64 = bundle["dsseEnvelope"]["signatures"][0]["sig"]
        .as_str()
        .unwrap();
    let expected = format!(
        "{{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\
         \"verificationMaterial\":{{\"publicKey\":{{\"hint\":\"{hint}\"}},\"tlogEntries\":[]}},\
         \"dsseEnvelope\":{{\"payload\":\"{payload_b64}\",\"payloadType\":\"application/vnd.in-toto+json\",\
         \"signatures\":[{{\"sig\":\"{sig_b64}\",\"keyid\":\"\"}}]}}}}"
    );
    assert_eq!(text, expected);

    // The ECDSA P-256 DER signature over the DSSE v1 PAE of the payload.
    let payload = BASE64.decode(payload_b64).unwrap();
    let mut pae = format!("DSSEv1 28 application/vnd.in-toto+json {} ", payload.len()).into_bytes();
    pae.extend_from_slice(&payload);
    let der = BASE64.decode(sig_b64).unwrap();
    assert!(
        (68..=72).contains(&der.len()) && der[0] == 0x30,
        "DER: {der:02x?}"
    );
    let verifying = p256::ecdsa::VerifyingKey::from_public_key_pem(&public_pem).unwrap();
    assert_eq!(
        verifying.to_public_key_pem(LineEnding::LF).unwrap(),
        public_pem
    );
    let signature = p256::ecdsa::Signature::from_der(&der).unwrap();
    verifying.verify(&pae, &signature).unwrap();

    // The statement: every file but the signature, by path components, and their root.
    let statement: Value = serde_json::from_slice(&payload).unwrap();
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != SIGNATURE_FILE)
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["MODEL_CARD.md", "manifest.json", "model.cbor", "model.json"]
    );
    let mut root = Sha256::new();
    let resources: Vec<Value> = names
        .iter()
        .map(|name| {
            let digest = Sha256::digest(fs::read(dir.join(name)).unwrap());
            root.update(digest);
            json!({"name": name, "algorithm": "sha256", "digest": hex::encode(digest)})
        })
        .collect();
    assert_eq!(
        statement,
        json!({
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": "tiny-art", "digest": {"sha256": hex::encode(root.finalize())}}],
            "predicateType": "https://model_signing/signature/v1.0",
            "predicate": {
                "serialization": {
                    "method": "files",
                    "hash_type": "sha256",
                    "allow_symlinks": false,
                    "ignore_paths": [".git", ".gitattributes", ".github", ".gitignore", "model.sig"],
                },
                "resources": resources,
            },
        })
    );

    // Read back without a key: who signed, and what.
    let info = read_signature(dir).unwrap().unwrap();
    assert_eq!(info.key_fingerprint.as_deref(), Some(hint.as_str()));
    let listed: Vec<&str> = info.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(listed, names);
}

#[test]
fn p384_signatures_use_sha384() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = export_tiny(tmp.path(), "art").dir;
    let key = PrivateKey::generate(Curve::P384);
    sign(&dir, &key).unwrap();
    let bundle: Value =
        serde_json::from_slice(&fs::read(dir.join(SIGNATURE_FILE)).unwrap()).unwrap();
    let payload = BASE64
        .decode(bundle["dsseEnvelope"]["payload"].as_str().unwrap())
        .unwrap();
    let der = BASE64
        .decode(
            bundle["dsseEnvelope"]["signatures"][0]["sig"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
    let mut pae = format!("DSSEv1 28 application/vnd.in-toto+json {} ", payload.len()).into_bytes();
    pae.extend_from_slice(&payload);
    let verifying =
        p384::ecdsa::VerifyingKey::from_public_key_pem(&key.public_key().to_pem()).unwrap();
    let signature = p384::ecdsa::Signature::from_der(&der).unwrap();
    verifying.verify(&pae, &signature).unwrap();
}
