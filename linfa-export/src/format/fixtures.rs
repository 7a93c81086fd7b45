//! What the unit tests of several layers start from, written once: the manifest of a small
//! model and a parent artifact. Each test sets the fields it is about.

use super::manifest::{CardFields, Manifest, ModelInfo, Toolchain};
use super::parent::Parent;

/// The manifest of a `model_type` from `crate_name` 0.8.1, named "m", with no files, data,
/// metrics or lineage.
pub(crate) fn manifest(model_type: &str, type_params: &[&str], crate_name: &str) -> Manifest {
    Manifest {
        format_version: 1,
        artifact_sha256: String::new(),
        exported_at: None,
        model: ModelInfo {
            model_type: model_type.to_owned(),
            type_params: type_params.iter().map(|p| (*p).to_owned()).collect(),
            crate_name: crate_name.to_owned(),
            crate_version: "0.8.1".to_owned(),
        },
        files: Default::default(),
        data: None,
        provenance: None,
        training_record: None,
        lineage: Vec::new(),
        hyperparameters: None,
        metrics: Default::default(),
        toolchain: Toolchain {
            rustc: "rustc".to_owned(),
            target: "t".to_owned(),
            linfa_export: "0".to_owned(),
        },
        crates: Default::default(),
        card: CardFields {
            name: "m".to_owned(),
            ..CardFields::default()
        },
    }
}

/// A parent named `name` of type `model_type`, whose digest is `digest` 64 times.
pub(crate) fn parent(name: &str, digest: char, model_type: &str, signer: Option<&str>) -> Parent {
    Parent {
        artifact_sha256: digest.to_string().repeat(64),
        name: name.to_owned(),
        model_type: model_type.to_owned(),
        signer: signer.map(str::to_owned),
        lineage: Vec::new(),
    }
}

/// A k-means parent named "model {digest}".
pub(crate) fn kmeans_parent(digest: char, signer: Option<&str>) -> Parent {
    let name = format!("model {digest}");
    parent(
        &name,
        digest,
        "linfa_clustering::KMeans<f64, L2Dist>",
        signer,
    )
}
