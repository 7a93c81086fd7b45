//! Writing an artifact folder: the last step of params -> validated params -> export.
//!
//! Export is all-or-nothing: every file is written and fsynced into a
//! temporary folder beside the target, the manifest goes in last, and only
//! then is the folder renamed into place. A crash at any point leaves either
//! no target folder or a complete one; a half-written temporary folder has no
//! manifest and never verifies.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use crate::format::card;
use crate::format::digest::sha256_hex;
use crate::format::encode;
use crate::format::error::ExportError;
use crate::format::manifest::{
    FORMAT_VERSION, FileEntry, FileRole, MANIFEST_FILE, MODEL_CARD_FILE, MODEL_CBOR_FILE,
    MODEL_JSON_FILE, Manifest, ModelInfo,
};
use crate::format::training_record::{ArtifactTrainingRecord, TRAINING_RECORD_FILE};
use crate::integrity::hashing::HASH_BUFFER_SIZE;
use crate::model::exportable::ExportableModel;
use crate::model::params::{ExportParams, Timestamp, ValidExportParams};
use crate::record::build_info;
use crate::record::lineage;
use crate::record::training;

/// What an export wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportReport {
    /// The artifact folder.
    pub dir: PathBuf,
    /// Its manifest, as written.
    pub manifest: Manifest,
}

impl ExportReport {
    /// The artifact digest (`manifest.artifact_sha256`).
    pub fn digest(&self) -> &str {
        &self.manifest.artifact_sha256
    }
}

/// Checks `params` and exports `model` to `dir`.
pub fn export<M: ExportableModel>(
    model: &M,
    dir: impl AsRef<Path>,
    params: ExportParams,
) -> Result<ExportReport, ExportError> {
    params.check()?.export(model, dir)
}

/// One file of an artifact, in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedFile {
    /// Path relative to the artifact folder.
    pub name: String,
    pub role: FileRole,
    pub bytes: Vec<u8>,
}

/// An artifact before it is written: the sealed manifest and file contents.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub manifest: Manifest,
    /// Model and card files (attachments are copied at export time).
    pub files: Vec<PreparedFile>,
}

/// Builds the manifest and file contents for `model` without touching disk,
/// with no export time, no attachments and no `training_record.json` (whose
/// `artifact_path` depends on where it is written). The digest it gives is the
/// one an export with the same options will have when it has neither.
pub fn prepare<M: ExportableModel>(
    params: &ValidExportParams,
    model: &M,
) -> Result<Prepared, ExportError> {
    let value = encode::canonical_value(model).map_err(|reason| ExportError::Encode {
        file: MODEL_JSON_FILE.to_owned(),
        reason,
    })?;
    let json = encode::json_bytes(&value);
    check_round_trip(MODEL_JSON_FILE, &json, encode::decode_json::<M>(&json))?;
    let mut files = vec![(
        MODEL_JSON_FILE.to_owned(),
        FileRole::ModelJson,
        json.clone(),
    )];
    if params.binary {
        let cbor = encode::cbor_bytes(&value).map_err(|reason| ExportError::Encode {
            file: MODEL_CBOR_FILE.to_owned(),
            reason,
        })?;
        check_round_trip(MODEL_CBOR_FILE, &json, encode::decode_cbor::<M>(&cbor))?;
        files.push((MODEL_CBOR_FILE.to_owned(), FileRole::ModelCbor, cbor));
    }

    let model_type = M::type_params().into_iter().map(str::to_owned).collect();
    let mut manifest = Manifest {
        format_version: FORMAT_VERSION,
        artifact_sha256: String::new(),
        exported_at: None,
        model: ModelInfo {
            model_type: M::MODEL_TYPE.to_owned(),
            type_params: model_type,
            crate_name: M::CRATE.to_owned(),
            crate_version: build_info::locked_version(M::CRATE)
                .unwrap_or("unknown")
                .to_owned(),
        },
        files: Default::default(),
        data: params.data.clone(),
        provenance: params.provenance.clone(),
        training_record: params.training_record_status,
        lineage: params.lineage.clone(),
        hyperparameters: params
            .hyperparameters
            .clone()
            .or_else(|| model.derived_hyperparameters()),
        metrics: params.metrics.clone(),
        toolchain: build_info::toolchain(),
        crates: build_info::locked_crates(),
        card: params.card.clone(),
    };
    // The card is rendered from everything but the file table and digest,
    // which it cannot contain without hashing itself.
    let card_text = card::render(&manifest);
    files.push((
        MODEL_CARD_FILE.to_owned(),
        FileRole::ModelCard,
        card_text.into_bytes(),
    ));
    for (name, role, bytes) in &files {
        manifest.files.insert(
            name.clone(),
            FileEntry {
                role: *role,
                size: bytes.len() as u64,
                sha256: sha256_hex(bytes),
            },
        );
    }
    manifest.seal();
    let files = files
        .into_iter()
        .map(|(name, role, bytes)| PreparedFile { name, role, bytes })
        .collect();
    Ok(Prepared { manifest, files })
}

/// Decoding what was encoded and encoding it again must give the same bytes;
/// otherwise the file would load as a different model (NaN weights, for one,
/// become JSON `null`).
fn check_round_trip<M: ExportableModel>(
    file: &str,
    json: &[u8],
    decoded: Result<M, String>,
) -> Result<(), ExportError> {
    let not_round_trip = |reason: String| ExportError::NotRoundTrip {
        file: file.to_owned(),
        reason,
    };
    let decoded = decoded.map_err(|e| not_round_trip(format!("decoding failed: {e}")))?;
    let again = encode::canonical_value(&decoded).map_err(not_round_trip)?;
    if encode::json_bytes(&again) != json {
        return Err(not_round_trip(
            "decoded model encodes differently (does it hold NaN or infinite values?)".to_owned(),
        ));
    }
    Ok(())
}

/// Turns an I/O error into an [`ExportError`] that says what was being done, and to which path.
fn io_err(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> ExportError {
    let path = path.to_path_buf();
    move |source| ExportError::Io {
        action,
        path,
        source,
    }
}

impl ValidExportParams {
    /// Writes `model` as an artifact folder at `dir`, atomically.
    pub fn export<M: ExportableModel>(
        &self,
        model: &M,
        dir: impl AsRef<Path>,
    ) -> Result<ExportReport, ExportError> {
        export_validated(self, model, dir.as_ref())
    }
}

fn export_validated<M: ExportableModel>(
    params: &ValidExportParams,
    model: &M,
    target: &Path,
) -> Result<ExportReport, ExportError> {
    let target_exists = fs::symlink_metadata(target).is_ok();
    if target_exists && !params.overwrite {
        return Err(ExportError::TargetExists {
            path: target.to_path_buf(),
        });
    }
    let parent = match target.parent() {
        Some(p) if p.as_os_str().is_empty() => Path::new("."),
        Some(p) => p,
        None => {
            return Err(ExportError::NoParent {
                path: target.to_path_buf(),
            });
        }
    };
    if target.file_name().is_none() {
        return Err(ExportError::NoParent {
            path: target.to_path_buf(),
        });
    }

    let Prepared {
        mut manifest,
        files,
    } = prepare(params, model)?;

    let staging = tempfile::Builder::new()
        .prefix(".linfa-export-")
        .tempdir_in(parent)
        .map_err(io_err("create a temporary folder in", parent))?;
    let root = staging.path();
    // tempfile creates the folder private (0700); an artifact is meant to be
    // shared like any folder the user creates.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(root, fs::Permissions::from_mode(0o755))
            .map_err(io_err("set permissions of", root))?;
    }
    for file in &files {
        let path = root.join(&file.name);
        write_synced(&path, &file.bytes).map_err(io_err("write", &path))?;
    }
    for (name, source) in &params.attachments {
        let dest = root.join(name);
        let entry = copy_attachment(name, source, &dest)?;
        manifest.files.insert(name.clone(), entry);
    }
    if let Some(record) = &params.training_record {
        let file = ArtifactTrainingRecord {
            seed: record.seed,
            artifact_path: training::relative_artifact_path(target),
            cells: record.cells.clone(),
        };
        let bytes = file.to_pretty_json().into_bytes();
        let path = root.join(TRAINING_RECORD_FILE);
        write_synced(&path, &bytes).map_err(io_err("write", &path))?;
        manifest.files.insert(
            TRAINING_RECORD_FILE.to_owned(),
            FileEntry {
                role: FileRole::TrainingRecord,
                size: bytes.len() as u64,
                sha256: sha256_hex(&bytes),
            },
        );
    }
    manifest.exported_at = match params.timestamp {
        Timestamp::Now => Some(rfc3339(SystemTime::now())),
        Timestamp::At(t) => Some(rfc3339(t)),
        Timestamp::Omit => None,
    };
    manifest.seal();
    let manifest_path = root.join(MANIFEST_FILE);
    write_synced(&manifest_path, manifest.to_pretty_json().as_bytes())
        .map_err(io_err("write", &manifest_path))?;
    sync_dirs(root).map_err(io_err("sync", root))?;

    let old = if target_exists {
        // Move the old artifact aside rather than deleting it first, so a
        // failure below can put it back.
        let holder = tempfile::Builder::new()
            .prefix(".linfa-export-old-")
            .tempdir_in(parent)
            .map_err(io_err("create a temporary folder in", parent))?;
        let aside = holder.path().join("old");
        fs::rename(target, &aside).map_err(io_err("move aside", target))?;
        Some((holder, aside))
    } else {
        None
    };
    if let Err(source) = fs::rename(root, target) {
        if let Some((_, aside)) = &old {
            let _ = fs::rename(aside, target);
        }
        return Err(ExportError::Io {
            action: "rename the finished artifact to",
            path: target.to_path_buf(),
            source,
        });
    }
    // The folder now lives at `target`; forget the temporary path.
    let _ = staging.keep();
    drop(old);
    sync_dir(parent).map_err(io_err("sync", parent))?;
    lineage::record_export(&manifest.artifact_sha256);
    tracing::info!(
        dir = %target.display(),
        digest = %manifest.artifact_sha256,
        files = manifest.files.len(),
        "exported {}",
        manifest.model.full_type()
    );
    Ok(ExportReport {
        dir: target.to_path_buf(),
        manifest,
    })
}

fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let mut file = OpenOptions::new().write(true).create_new(true).open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

fn copy_attachment(name: &str, source: &Path, dest: &Path) -> Result<FileEntry, ExportError> {
    if let Some(dir) = dest.parent() {
        fs::create_dir_all(dir).map_err(io_err("create", dir))?;
    }
    let mut input = File::open(source).map_err(io_err("open attachment", source))?;
    let expected = input
        .metadata()
        .map_err(io_err("read metadata of", source))?
        .len();
    let mut output = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(dest)
        .map_err(io_err("create", dest))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; HASH_BUFFER_SIZE];
    let mut copied: u64 = 0;
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_err("read attachment", source)(e)),
        };
        hasher.update(&buf[..n]);
        output.write_all(&buf[..n]).map_err(io_err("write", dest))?;
        copied += n as u64;
    }
    output.sync_all().map_err(io_err("sync", dest))?;
    if copied != expected {
        return Err(ExportError::AttachmentChanged {
            file: name.to_owned(),
            expected,
            actual: copied,
        });
    }
    Ok(FileEntry {
        role: FileRole::Attachment,
        size: copied,
        sha256: hex::encode(hasher.finalize()),
    })
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

fn sync_dirs(dir: &Path) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            sync_dirs(&entry.path())?;
        }
    }
    sync_dir(dir)
}

/// Formats `t` as `YYYY-MM-DDTHH:MM:SSZ` (UTC, whole seconds).
pub(crate) fn rfc3339(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Days since 1970-01-01 to a proleptic Gregorian date (era arithmetic).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rfc3339_formats_known_instants() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = UNIX_EPOCH + Duration::from_secs(951_782_400 + 3661); // 2000-02-29 01:01:01
        assert_eq!(rfc3339(t), "2000-02-29T01:01:01Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_795_000_000);
        assert_eq!(rfc3339(t), "2026-11-18T11:06:40Z");
    }
}
