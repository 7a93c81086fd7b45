//! The training record as an artifact ships it, and the manifest's word on it.
//!
//! `training_record.json` (an [`ArtifactTrainingRecord`]) and the manifest's
//! `training_record` field ([`TrainingRecordStatus`]) are part of the artifact's format, so
//! they sit here with the manifest that names them. Reading the session's record, checking
//! it against the provenance and reading it back out of a verified artifact is the record
//! layer's work (`record::training`).

use serde::{Deserialize, Serialize};

/// The session's record of its cells, written by the kernel (`repronote-prelude`'s struct).
pub use repronote_prelude::provenance::{RecordedCell, TrainingRecord};

/// Name of the training record inside an artifact folder.
pub const TRAINING_RECORD_FILE: &str = "training_record.json";

/// Whether an artifact carries its training record, as its manifest says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrainingRecordStatus {
    /// `training_record.json` is in the artifact.
    Included,
    /// The author left it out (`ExportParams::without_training_record`).
    Withheld,
}

impl TrainingRecordStatus {
    /// `included` or `withheld`, as in the manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Included => "included",
            Self::Withheld => "withheld",
        }
    }
}

/// What a manifest's `training_record` field means, for people: `included`, `withheld` or
/// `absent` (no field: exported outside a session, or by an older kernel), and what follows.
pub fn describe_training_record(status: Option<TrainingRecordStatus>) -> String {
    match status {
        Some(TrainingRecordStatus::Included) => format!(
            "included: `{TRAINING_RECORD_FILE}` holds the seed and the source of every cell \
             that ran, in order; `repronote nb reproduce <folder>` re-runs it and compares the \
             result with this artifact"
        ),
        Some(TrainingRecordStatus::Withheld) => "withheld by the exporter: the cell digests say \
             what ran, but their source is not shipped, so the training cannot be re-run from \
             this artifact"
            .to_owned(),
        None => "absent: no session recorded the cells' source, so the training cannot be \
                 re-run from this artifact"
            .to_owned(),
    }
}

/// `training_record.json`: the session's record as the artifact ships it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArtifactTrainingRecord {
    /// The session seed the first cell ran under.
    pub seed: u64,
    /// Where this export was written, relative to the exporting process's current folder
    /// (`/`-separated), when it was written inside it; `None` otherwise. A re-run writes
    /// its export to the same place in its own folder.
    pub artifact_path: Option<String>,
    /// The cells, in execution order: `cells[i]`'s source hashes to the provenance's
    /// `cells[i]`.
    pub cells: Vec<RecordedCell>,
}

impl ArtifactTrainingRecord {
    /// The file's bytes: pretty JSON in field order, with a trailing newline.
    pub fn to_pretty_json(&self) -> String {
        let mut text =
            serde_json::to_string_pretty(self).expect("a training record holds only strings");
        text.push('\n');
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_as_the_manifest_writes_them() {
        assert_eq!(
            serde_json::to_string(&TrainingRecordStatus::Withheld).unwrap(),
            "\"withheld\""
        );
        assert!(
            describe_training_record(Some(TrainingRecordStatus::Included)).contains("nb reproduce")
        );
        assert!(describe_training_record(None).starts_with("absent"));
    }
}
