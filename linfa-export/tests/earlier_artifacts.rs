//! Artifacts written by earlier releases keep verifying and loading, byte for byte.
//!
//! `fixtures/iris-tree-0.1.0/` is a depth-3 iris tree exported and signed by linfa-export as it
//! was before the library was split into layers (`examples/iris_artifact.rs`, then `keygen` and
//! `sign`); its author's public key lies beside it. Nothing in the folder may ever be
//! regenerated: it stands for every artifact users already hold.

use std::path::{Path, PathBuf};

use linfa::prelude::*;
use linfa_export::{Manifest, PublicKey, Trust, load, load_trusted, verify, verify_trusted};
use linfa_trees::DecisionTree;

/// The artifact digest the earlier release printed when it exported the fixture.
const PUBLISHED_DIGEST: &str = "d8f14e2958da20819ae68aca03d52ccb1a2a8a3a14be371c4b64a97ab105de64";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/iris-tree-0.1.0")
}

fn author() -> PublicKey {
    PublicKey::read_pem_file(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/iris-tree-0.1.0.author.public.pem"),
    )
    .unwrap()
}

#[test]
fn an_earlier_artifact_verifies_with_its_signature_and_pinned_digest() {
    let report = verify(fixture());
    assert!(report.is_ok(), "{:?}", report.problems);
    let trust = Trust::key(author()).and_digest(PUBLISHED_DIGEST).unwrap();
    let verified = verify_trusted(fixture(), &trust).unwrap();
    assert_eq!(verified.digest(), PUBLISHED_DIGEST);
    assert_eq!(verified.assurance.signer, Some(author().fingerprint()));
}

#[test]
fn an_earlier_manifest_reads_back_to_the_same_bytes() {
    let bytes = std::fs::read(fixture().join("manifest.json")).unwrap();
    let manifest: Manifest = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(manifest.to_pretty_json().as_bytes(), bytes.as_slice());
    let mut resealed = manifest.clone();
    resealed.seal();
    assert_eq!(resealed.artifact_sha256, PUBLISHED_DIGEST);
}

#[test]
fn an_earlier_model_loads_and_predicts() {
    let iris = linfa_datasets::iris();
    let loaded = load::<DecisionTree<f64, usize>>(fixture()).unwrap();
    let accuracy = loaded
        .model
        .predict(&iris)
        .confusion_matrix(&iris)
        .unwrap()
        .accuracy();
    let recorded = loaded.manifest.metrics["train_accuracy"];
    assert!(
        (f64::from(accuracy) - recorded).abs() < 1e-12,
        "{accuracy} vs {recorded}"
    );
    let trusted = load_trusted::<DecisionTree<f64, usize>>(
        fixture(),
        &Trust::digest(PUBLISHED_DIGEST).unwrap(),
    )
    .unwrap();
    assert_eq!(trusted.model.predict(&iris), loaded.model.predict(&iris));
}
