//! Signing an artifact folder.
//!
//! `model.sig` is a model_signing signature over every file of the folder: the model files,
//! the card, the attachments and `manifest.json` itself. Signing the manifest alone would be
//! enough for linfa-export (it holds every other file's digest), but listing every file is
//! what lets `model_signing verify key` check the folder without knowing our manifest.
//!
//! Only a verified artifact is signed: a signature vouches for content, so signing a folder
//! whose files do not match their manifest would bless whatever was changed. The one file
//! that verification does not hold against the folder here is an earlier `model.sig`, which
//! signing replaces (re-signing is how a stale or broken signature is repaired).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::format::bundle;
use crate::format::digest::sha256_hex;
use crate::format::error::SignError;
use crate::format::manifest::{MANIFEST_FILE, Manifest, SIGNATURE_FILE};
use crate::format::statement::{self, SignedFile};
use crate::trust::keys::PrivateKey;
use crate::trust::verify;

/// What [`sign`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// The signature file, `DIR/model.sig`.
    pub path: PathBuf,
    /// Fingerprint of the signing key (see [`PublicKey::fingerprint`](crate::PublicKey::fingerprint)).
    pub signer: String,
    /// The artifact digest of what was signed.
    pub artifact_sha256: String,
    /// Number of files the signature covers (the manifest included).
    pub files: usize,
}

/// Verifies the artifact at `dir`, then writes `DIR/model.sig`: a signature by `key` over
/// every file, in the format of `model_signing sign key` 1.1.1. An earlier signature is
/// replaced (atomically).
pub fn sign(dir: impl AsRef<Path>, key: &PrivateKey) -> Result<Signed, SignError> {
    let dir = dir.as_ref();
    let verified = verify::verify_to_sign(dir)
        .into_result()
        .map_err(|refused| {
            let problems: Vec<String> = refused.problems.iter().map(ToString::to_string).collect();
            SignError::Unverified {
                dir: dir.to_owned(),
                problems: problems.join("; "),
            }
        })?;
    let files = artifact_files(&verified.manifest);
    let payload = statement::write_statement(&subject_name(dir), &files);
    let signature = key.sign_der(&bundle::pae(&payload));
    let signer = key.public_key().fingerprint();
    let bytes = bundle::write_bundle(&payload, &signature, &signer);

    let path = dir.join(SIGNATURE_FILE);
    let io = |action: &'static str| {
        let path = path.clone();
        move |source| SignError::Io {
            action,
            path,
            source,
        }
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".model.sig-")
        .tempfile_in(dir)
        .map_err(io("create a temporary file for"))?;
    temp.write_all(&bytes).map_err(io("write"))?;
    temp.as_file().sync_all().map_err(io("write"))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(temp.path(), std::fs::Permissions::from_mode(0o644))
            .map_err(io("set permissions of"))?;
    }
    temp.persist(&path).map_err(|e| io("write")(e.error))?;
    tracing::info!(
        dir = %dir.display(),
        signer = %signer,
        digest = %verified.manifest.artifact_sha256,
        "signed {} files",
        files.len()
    );
    Ok(Signed {
        path,
        signer,
        artifact_sha256: verified.manifest.artifact_sha256,
        files: files.len(),
    })
}

/// Every file of a verified artifact with its digest: the listed files and the manifest,
/// whose bytes are its canonical form (verification refuses any other).
fn artifact_files(manifest: &Manifest) -> Vec<SignedFile> {
    let mut files: Vec<SignedFile> = manifest
        .files
        .iter()
        .map(|(name, entry)| SignedFile {
            name: name.clone(),
            sha256: entry.sha256.clone(),
        })
        .collect();
    files.push(SignedFile {
        name: MANIFEST_FILE.to_owned(),
        sha256: sha256_hex(manifest.to_pretty_json().as_bytes()),
    });
    files
}

/// The statement's subject name: the folder's name, as model_signing records it
/// (informative only; no verifier compares it).
fn subject_name(dir: &Path) -> String {
    let name = |path: &Path| path.file_name().map(|n| n.to_string_lossy().into_owned());
    name(dir)
        .or_else(|| name(&dir.canonicalize().ok()?))
        .unwrap_or_else(|| "model".to_owned())
}
