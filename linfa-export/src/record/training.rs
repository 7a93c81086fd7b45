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
//!
//! The file's type and the manifest's status field are format (`format::training_record`);
//! the running session's record is read with the session's other files (`record::session`).

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use crate::format::digest::sha256_hex;
use crate::format::error::{ParamsError, VerifyError};
use crate::format::manifest::{FileRole, Manifest, Provenance};
use crate::format::training_record::{ArtifactTrainingRecord, TrainingRecord};
use crate::integrity::folder;
use crate::trust::verify::{self, VerifyOptions};

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
    use crate::format::training_record::RecordedCell;

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
}
