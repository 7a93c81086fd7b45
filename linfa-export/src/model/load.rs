//! Loading a model back out of an artifact folder.
//!
//! Loading is verification first: every file is re-hashed (the model file from the very
//! bytes that are then decoded, so it cannot change between check and use), the trust policy
//! is checked (a pinned digest, a required signer), the model type and crate version are
//! checked, and only then is anything deserialized. A model handed out is a model the session
//! builds on, so it joins the session's lineage (see [`lineage`](crate::record::lineage)).

use std::path::Path;

use crate::format::encode;
use crate::format::error::VerifyError;
use crate::format::manifest::{FileRole, MANIFEST_FILE, Manifest, ModelInfo};
use crate::format::parent::Parent;
use crate::model::exportable::ExportableModel;
use crate::record::build_info;
use crate::record::lineage::{self, Use};
use crate::trust::policy::{Assurance, Trust};
use crate::trust::verify::{self, VerifyOptions};

/// A model loaded from a verified artifact, with the manifest that describes it.
#[derive(Debug, Clone)]
pub struct Loaded<M> {
    pub model: M,
    pub manifest: Manifest,
    /// What the verification established beyond consistency (a pinned digest, a signer).
    pub assurance: Assurance,
}

impl<M> From<&Loaded<M>> for Parent {
    fn from(loaded: &Loaded<M>) -> Parent {
        Parent::of(&loaded.manifest, &loaded.assurance, None)
    }
}

/// Verifies the artifact at `dir` (consistency only) and loads the model it holds.
///
/// Refuses, naming the file and both digests, on any file that does not
/// match the manifest, a manifest of another format version, a different
/// model type, or a model written by an incompatible version of its crate.
/// Anyone who changes the files can re-seal the manifest: to know the model
/// is the one its author published, use [`load_trusted`].
pub fn load<M: ExportableModel>(dir: impl AsRef<Path>) -> Result<Loaded<M>, VerifyError> {
    load_with(dir, &VerifyOptions::default())
}

/// [`load`] that also requires what `trust` asks: a pinned artifact digest, a signature by a
/// given key, or both.
///
/// ```no_run
/// use linfa_export::{Trust, load_trusted};
/// use linfa_trees::DecisionTree;
/// let trust = Trust::key_file("alice.public.pem")?;
/// let loaded = load_trusted::<DecisionTree<f64, usize>>("models/iris", &trust)?;
/// println!("{}", loaded.assurance); // signed by key …, over every file
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load_trusted<M: ExportableModel>(
    dir: impl AsRef<Path>,
    trust: &Trust,
) -> Result<Loaded<M>, VerifyError> {
    load_with(dir, &VerifyOptions::trusting(trust.clone()))
}

/// [`load`] with explicit limits and trust policy.
pub fn load_with<M: ExportableModel>(
    dir: impl AsRef<Path>,
    options: &VerifyOptions,
) -> Result<Loaded<M>, VerifyError> {
    let dir = dir.as_ref();
    let (report, captured) = verify::verify_capturing(dir, options, true);
    let verified = report.into_result().map_err(|refused| {
        let mut problems = refused.problems.into_iter();
        let first = problems
            .next()
            .unwrap_or_else(|| VerifyError::ManifestMissing {
                dir: dir.to_owned(),
            });
        for other in problems {
            tracing::warn!(dir = %dir.display(), "also: {other}");
        }
        first
    })?;
    let manifest = verified.manifest;
    let expected_type = ModelInfo {
        model_type: M::MODEL_TYPE.to_owned(),
        type_params: M::type_params().into_iter().map(str::to_owned).collect(),
        crate_name: M::CRATE.to_owned(),
        crate_version: String::new(),
    };
    if manifest.model.model_type != expected_type.model_type
        || manifest.model.type_params != expected_type.type_params
        || manifest.model.crate_name != expected_type.crate_name
    {
        return Err(VerifyError::ModelTypeMismatch {
            file: MANIFEST_FILE.to_owned(),
            expected: expected_type.full_type(),
            found: manifest.model.full_type(),
        });
    }
    let built = build_info::locked_version(M::CRATE).unwrap_or("unknown");
    if !build_info::format_compatible(&manifest.model.crate_version, built) {
        return Err(VerifyError::IncompatibleCrateVersion {
            file: MANIFEST_FILE.to_owned(),
            crate_name: M::CRATE.to_owned(),
            artifact_version: manifest.model.crate_version.clone(),
            built_version: built.to_owned(),
        });
    }
    let Some((file, bytes)) = captured else {
        return Err(VerifyError::NoModelFile {
            file: MANIFEST_FILE.to_owned(),
        });
    };
    let role = manifest.files.get(&file).map(|e| e.role);
    let model = match role {
        Some(FileRole::ModelCbor) => encode::decode_cbor::<M>(&bytes),
        _ => encode::decode_json::<M>(&bytes),
    }
    .map_err(|reason| VerifyError::Decode {
        file: file.clone(),
        reason,
    })?;
    tracing::debug!(dir = %dir.display(), file = %file, "loaded {}", manifest.model.full_type());
    if options.record_lineage {
        // The model is verified and decoded; still, it is not handed out when the session
        // cannot remember it: an export made with it would silently claim no parent (see
        // `lineage::record`).
        let parent = Parent::of(&manifest, &verified.assurance, Some(dir));
        lineage::record(parent, Use::Loaded)?;
    }
    Ok(Loaded {
        model,
        manifest,
        assurance: verified.assurance,
    })
}
