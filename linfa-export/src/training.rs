//! The training record: what it takes to train the model again, shipped with the model.
//!
//! The provenance says *which* cells ran (their digests); a digest cannot be re-run. Inside a
//! repronote session the kernel also writes the cells' source and identities (a
//! [`TrainingRecord`], named by [`TRAINING_RECORD_ENV`]), and an export copies it into the
//! artifact as `training_record.json`, so `repronote nb reproduce DIR` can run the same cells
//! under the same seed and compare what comes out with the artifact
//! ([`compare_reproduction`](crate::compare_reproduction)).
//!
//! The copy is only made when it is the record of what the provenance lists: same number of
//! cells, each cell's source hashing to the provenance's digest. Anything else would ship a
//! recipe for another model, so it is an error at `check`, never a silently wrong file. Code
//! that is private can stay private: [`ExportParams::without_training_record`]
//! (crate::ExportParams::without_training_record) leaves the file out, and the manifest says
//! that the author withheld it (`"training_record": "withheld"`).

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{ParamsError, VerifyError};
use crate::folder;
use crate::hashing::sha256_hex;
use crate::manifest::{FileRole, Manifest, Provenance};
use crate::verify::{self, VerifyOptions};

/// The session's record of its cells, written by the kernel (`repronote-prelude`'s struct).
pub use repronote_prelude::provenance::{RecordedCell, TrainingRecord};

/// Names the file holding the running session's training record (set by the kernel).
pub use repronote_prelude::contract::TRAINING_RECORD_FILE_ENV as TRAINING_RECORD_ENV;

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

/// The running session's training record, or `None` outside a kernel session.
pub fn session_training_record() -> Result<Option<TrainingRecord>, ParamsError> {
    crate::session::read_session_file(TRAINING_RECORD_ENV, |path, reason| {
        ParamsError::SessionTrainingRecord { path, reason }
    })
}

/// Checks that `record` is the record of what `provenance` lists.
pub(crate) fn check_matches(
    record: &TrainingRecord,
    provenance: Option<&Provenance>,
) -> Result<(), ParamsError> {
    let listed: &[String] = provenance.map_or(&[], |p| &p.cells);
    if record.cells.len() != listed.len() {
        return Err(ParamsError::TrainingRecordLength {
            record: record.cells.len(),
            provenance: listed.len(),
        });
    }
    for (index, (cell, digest)) in record.cells.iter().zip(listed).enumerate() {
        let actual = cell.sha256();
        if &actual != digest {
            return Err(ParamsError::TrainingRecordCell {
                index,
                record: actual,
                provenance: digest.clone(),
            });
        }
    }
    Ok(())
}

/// `target` relative to the current folder, `/`-separated, when it lies inside it.
pub(crate) fn relative_artifact_path(target: &Path) -> Option<String> {
    let relative: PathBuf = if target.is_absolute() {
        let cwd = std::env::current_dir().ok()?;
        target.strip_prefix(&cwd).ok()?.to_path_buf()
    } else {
        target.to_path_buf()
    };
    let mut parts = Vec::new();
    for component in relative.components() {
        match component {
            Component::Normal(part) => parts.push(part.to_str()?.to_owned()),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// The training record of the artifact at `dir`, after verifying it (consistency only), or
/// `None` when it carries none (see the manifest's `training_record` for why).
pub fn read_training_record(
    dir: impl AsRef<Path>,
) -> Result<Option<ArtifactTrainingRecord>, VerifyError> {
    read_training_record_with(dir, &VerifyOptions::default())
}

/// [`read_training_record`] with explicit limits and trust policy.
///
/// The file is read once more after verification and its bytes checked against the
/// manifest's digest, and every cell against the provenance's digests, so what is returned is
/// what the verified manifest describes.
pub fn read_training_record_with(
    dir: impl AsRef<Path>,
    options: &VerifyOptions,
) -> Result<Option<ArtifactTrainingRecord>, VerifyError> {
    let dir = dir.as_ref();
    let manifest = verify::verified_manifest(dir, options)?;
    let Some((file, entry)) = manifest.file_with_role(FileRole::TrainingRecord) else {
        return Ok(None);
    };
    let invalid = |reason: String| VerifyError::TrainingRecordInvalid {
        file: file.to_owned(),
        reason,
    };
    let mut bytes = Vec::new();
    folder::open_no_follow(&dir.join(file))
        .and_then(|f| f.take(entry.size.saturating_add(1)).read_to_end(&mut bytes))
        .map_err(|source| VerifyError::Io {
            file: file.to_owned(),
            source,
        })?;
    let actual = sha256_hex(&bytes);
    if actual != entry.sha256 {
        return Err(VerifyError::DigestMismatch {
            file: file.to_owned(),
            expected: entry.sha256.clone(),
            actual,
        });
    }
    let record: ArtifactTrainingRecord =
        serde_json::from_slice(&bytes).map_err(|e| invalid(e.to_string()))?;
    check_record_against(&manifest, &record).map_err(invalid)?;
    Ok(Some(record))
}

fn check_record_against(
    manifest: &Manifest,
    record: &ArtifactTrainingRecord,
) -> Result<(), String> {
    let as_session = TrainingRecord {
        seed: record.seed,
        cells: record.cells.clone(),
    };
    check_matches(&as_session, manifest.provenance.as_ref()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(source: &str) -> RecordedCell {
        RecordedCell {
            source: source.to_owned(),
            id: Some("c1".to_owned()),
        }
    }

    #[test]
    fn a_record_must_list_exactly_the_provenances_cells() {
        let record = TrainingRecord {
            seed: 42,
            cells: vec![cell("let x = 1;"), cell("x + 1")],
        };
        let mut provenance = Provenance::default();
        provenance.record_cell("let x = 1;");
        let short = check_matches(&record, Some(&provenance)).unwrap_err();
        assert!(
            short.to_string().contains("2 cells") && short.to_string().contains("lists 1"),
            "{short}"
        );
        provenance.record_cell("x + 2");
        let differs = check_matches(&record, Some(&provenance)).unwrap_err();
        assert!(
            matches!(differs, ParamsError::TrainingRecordCell { index: 1, .. }),
            "{differs}"
        );
        assert!(differs.to_string().contains("cell 2"), "{differs}");
        provenance.cells[1] = cell("x + 1").sha256();
        check_matches(&record, Some(&provenance)).unwrap();
    }

    #[test]
    fn artifact_paths_are_kept_only_inside_the_current_folder() {
        assert_eq!(
            relative_artifact_path(Path::new("models/iris")).as_deref(),
            Some("models/iris")
        );
        assert_eq!(
            relative_artifact_path(Path::new("./models/./iris")).as_deref(),
            Some("models/iris")
        );
        assert_eq!(relative_artifact_path(Path::new("../iris")), None);
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(
            relative_artifact_path(&cwd.join("out/m")).as_deref(),
            Some("out/m")
        );
        assert_eq!(relative_artifact_path(Path::new("/elsewhere/m")), None);
    }

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
