//! The manifest: the one file that says what an artifact is.
//!
//! It is a versioned serde struct written as pretty JSON in struct-field order
//! with `BTreeMap`s for every map, so the same inputs always give the same
//! bytes. Readers demand exactly that canonical form and a matching artifact
//! digest, which turns "someone edited the manifest" into an error instead of
//! a silently different model. The digest covers everything except the export
//! time (and itself), so two identical trainings share one identity.
//!
//! Reading a manifest back, with the checks its bytes must pass, is [`Manifest::parse`]
//! (`format::parse`), kept apart so these types need no error type.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::format::digest::sha256_hex;
use crate::format::fingerprint::DataFingerprint;
use crate::format::parent::Parent;
use crate::format::training_record::{TRAINING_RECORD_FILE, TrainingRecordStatus};

/// Manifest format version written and read by this build.
pub const FORMAT_VERSION: u32 = 1;
/// Name of the manifest inside an artifact folder.
pub const MANIFEST_FILE: &str = "manifest.json";
/// Canonical JSON encoding of the model.
pub const MODEL_JSON_FILE: &str = "model.json";
/// Compact binary (CBOR) encoding of the model.
pub const MODEL_CBOR_FILE: &str = "model.cbor";
/// Hugging Face style model card.
pub const MODEL_CARD_FILE: &str = "MODEL_CARD.md";
/// The signature `linfa-export sign` (or `model_signing sign key`) writes: the one file of an
/// artifact folder that the manifest does not list, since it covers the manifest.
pub const SIGNATURE_FILE: &str = "model.sig";

/// Names an attachment may not take.
pub const RESERVED_FILES: &[&str] = &[
    MANIFEST_FILE,
    MODEL_JSON_FILE,
    MODEL_CBOR_FILE,
    MODEL_CARD_FILE,
    SIGNATURE_FILE,
    TRAINING_RECORD_FILE,
];

/// Everything recorded about one exported model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`FORMAT_VERSION`] of the writer.
    pub format_version: u32,
    /// SHA-256 of the canonical manifest without this field and `exported_at`.
    pub artifact_sha256: String,
    /// RFC 3339 UTC time of export; informational, outside the digest.
    pub exported_at: Option<String>,
    /// What model this is and which crate wrote it.
    pub model: ModelInfo,
    /// Every file of the artifact except the manifest, by relative path.
    pub files: BTreeMap<String, FileEntry>,
    /// Fingerprint of the training data, when given.
    pub data: Option<DataFingerprint>,
    /// Seed and session history, when known.
    pub provenance: Option<Provenance>,
    /// Whether `training_record.json` (the cells' source, to re-run them) is in the artifact:
    /// `included`, `withheld` by the author, or no field (exported outside a session). Left out
    /// when `None`, so manifests written before the field existed keep their bytes and digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training_record: Option<TrainingRecordStatus>,
    /// The verified artifacts this one was built on, each with its own lineage. Left out when
    /// empty, so manifests written before the field existed keep their bytes and digest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lineage: Vec<Parent>,
    /// Hyper-parameters, given by the caller or derived from the model.
    pub hyperparameters: Option<Value>,
    /// Evaluation metrics given by the caller.
    pub metrics: BTreeMap<String, f64>,
    /// Compiler and target that built the exporter.
    pub toolchain: Toolchain,
    /// Versions of linfa crates, ndarray and serde the exporter was built with.
    pub crates: BTreeMap<String, String>,
    /// Human fields of the model card.
    pub card: CardFields,
}

/// The exported model's type and origin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelInfo {
    /// Path of the type, e.g. `linfa_clustering::KMeans`.
    pub model_type: String,
    /// Its generic parameters, e.g. `["f64", "L2Dist"]`.
    pub type_params: Vec<String>,
    /// Crate that defines the type, e.g. `linfa-clustering`.
    pub crate_name: String,
    /// That crate's version in the exporting build.
    pub crate_version: String,
}

impl ModelInfo {
    /// `model_type<type_params…>`, e.g. `linfa_clustering::KMeans<f64, L2Dist>`.
    pub fn full_type(&self) -> String {
        if self.type_params.is_empty() {
            self.model_type.clone()
        } else {
            format!("{}<{}>", self.model_type, self.type_params.join(", "))
        }
    }
}

/// What a file of the artifact holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileRole {
    /// The model as canonical JSON.
    ModelJson,
    /// The model as CBOR.
    ModelCbor,
    /// The model card.
    ModelCard,
    /// A file the caller attached (data sample, plot, notebook…).
    Attachment,
    /// The session's training record (`training_record.json`).
    TrainingRecord,
}

impl FileRole {
    /// The name used in the manifest, e.g. `model_json`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ModelJson => "model_json",
            Self::ModelCbor => "model_cbor",
            Self::ModelCard => "model_card",
            Self::Attachment => "attachment",
            Self::TrainingRecord => "training_record",
        }
    }
}

impl std::fmt::Display for FileRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Size and digest of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// What the file holds.
    pub role: FileRole,
    /// Size in bytes.
    pub size: u64,
    /// Lowercase hex SHA-256 of the content.
    pub sha256: String,
}

/// How the model came to be (seed, executed cells, kernel): the notebook session's record,
/// the same struct the kernel writes (`repronote-prelude`), so the two cannot drift.
pub use repronote_prelude::provenance::{KernelInfo, NumericsRecord, Provenance};

/// The toolchain that built the exporter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Toolchain {
    /// `rustc -V` output.
    pub rustc: String,
    /// Target triple.
    pub target: String,
    /// linfa-export version.
    pub linfa_export: String,
}

/// Human fields of the model card.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardFields {
    pub name: String,
    pub description: Option<String>,
    pub intended_use: Option<String>,
    pub limitations: Option<String>,
    /// SPDX identifier or a Hugging Face license id, e.g. `mit`.
    pub license: Option<String>,
    pub authors: Vec<String>,
    /// Extra tags for the card's front matter.
    pub tags: Vec<String>,
    pub risks: Risks,
}

/// Risks the exporter states about the model.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Risks {
    /// How predictions may differ across groups of people or inputs.
    pub bias: Option<String>,
    /// Whether the training data held personal or confidential data.
    pub private_data: Option<String>,
    /// Limits of the environment it was trained in (data range, hardware…).
    pub environment: Option<String>,
    /// Anything else.
    pub other: Vec<String>,
}

impl Manifest {
    /// The manifest as written to disk: pretty JSON with a trailing newline.
    pub fn to_pretty_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self)
            .expect("a manifest holds only strings, integers, finite floats and maps");
        text.push('\n');
        text
    }

    /// SHA-256 over the canonical manifest: compact JSON with sorted keys,
    /// without `artifact_sha256` and `exported_at`.
    pub fn compute_digest(&self) -> String {
        let mut value = serde_json::to_value(self)
            .expect("a manifest holds only strings, integers, finite floats and maps");
        if let Value::Object(map) = &mut value {
            map.remove("artifact_sha256");
            map.remove("exported_at");
        }
        let bytes = serde_json::to_vec(&value).expect("a JSON value always serializes");
        sha256_hex(&bytes)
    }

    /// Sets `artifact_sha256` from the current content.
    pub fn seal(&mut self) {
        self.artifact_sha256 = self.compute_digest();
    }

    /// Path of the first file with `role`, if any.
    pub fn file_with_role(&self, role: FileRole) -> Option<(&str, &FileEntry)> {
        self.files
            .iter()
            .find(|(_, entry)| entry.role == role)
            .map(|(path, entry)| (path.as_str(), entry))
    }
}

/// Checks that `path` names a file inside the artifact folder: relative,
/// `/`-separated, no empty, `.` or `..` components, no backslashes, colons or
/// control characters. Returns why not otherwise.
pub fn check_relative_path(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("empty path".to_owned());
    }
    if path.starts_with('/') {
        return Err("absolute path".to_owned());
    }
    if path.contains('\\') {
        return Err("contains a backslash".to_owned());
    }
    if path.contains(':') {
        return Err("contains a colon (drive or stream name)".to_owned());
    }
    if path.chars().any(char::is_control) {
        return Err("contains a control character".to_owned());
    }
    for component in path.split('/') {
        match component {
            "" => return Err("empty path component".to_owned()),
            "." | ".." => return Err(format!("`{component}` component")),
            _ => {}
        }
    }
    if path.len() > 1024 {
        return Err("longer than 1024 bytes".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provenance_records_cells_in_order_and_the_first_reason() {
        let mut p = Provenance::default();
        p.record_cell("let x = 1;");
        p.record_cell("let y = x + 1;");
        assert_eq!(p.cells[0], sha256_hex(b"let x = 1;"));
        assert_eq!(p.cells.len(), 2);
        p.mark_non_reproducible("unseeded thread_rng in cell 2");
        p.mark_non_reproducible("later reason");
        assert!(p.non_reproducible);
        assert_eq!(
            p.non_reproducible_reason.as_deref(),
            Some("unseeded thread_rng in cell 2")
        );
        assert_eq!(FileRole::ModelJson.to_string(), "model_json");
        assert_eq!(
            serde_json::to_string(&FileRole::ModelCard).unwrap(),
            format!("\"{}\"", FileRole::ModelCard)
        );
    }

    #[test]
    fn paths_that_leave_the_folder_are_refused() {
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a\\b",
            "./a",
            "a//b",
            "a/",
            "C:x",
            "a\nb",
        ] {
            assert!(check_relative_path(bad).is_err(), "{bad:?} accepted");
        }
        for good in ["model.json", "data/train.csv", "a.b/c..d"] {
            assert!(check_relative_path(good).is_ok(), "{good:?} refused");
        }
    }
}
