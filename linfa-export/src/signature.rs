//! Signing an artifact folder, and checking its signature against a required key.
//!
//! `model.sig` is a model_signing signature over every file of the folder: the model files,
//! the card, the attachments and `manifest.json` itself. Signing the manifest alone would be
//! enough for linfa-export (it holds every other file's digest), but listing every file is
//! what lets `model_signing verify key` check the folder without knowing our manifest.
//!
//! Only a verified artifact is signed: a signature vouches for content, so signing a folder
//! whose files do not match their manifest would bless whatever was changed. Checking a
//! signature goes from the outside in, and stops at the first layer that fails, because
//! nothing inside an unverified envelope is worth reporting: the bundle's form, the key hint,
//! the ECDSA signature over the DSSE encoding, the statement's form and root digest, and only
//! then the signed files against the digests of the files as they are now.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::bundle;
use crate::error::{SignError, VerifyError};
use crate::folder;
use crate::hashing::{is_sha256_hex, sha256_hex};
use crate::keys::{PrivateKey, PublicKey};
use crate::manifest::{MANIFEST_FILE, Manifest, SIGNATURE_FILE};
use crate::statement::{self, SignedFile};
use crate::verify::{VerifyOptions, verify_quiet};

/// What [`sign`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// The signature file, `DIR/model.sig`.
    pub path: PathBuf,
    /// Fingerprint of the signing key (see [`PublicKey::fingerprint`]).
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
    let verified = verify_quiet(dir, &VerifyOptions::default())
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

/// What a signature file claims, read without a key: nothing here is verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureInfo {
    /// The fingerprint of the key the bundle says signed it, if it names one.
    pub key_fingerprint: Option<String>,
    /// The files the statement lists, with their digests.
    pub files: Vec<SignedFile>,
}

impl SignatureInfo {
    /// Reads the bundle bytes of a signature file.
    pub fn parse(bytes: &[u8]) -> Result<Self, VerifyError> {
        let envelope = bundle::parse_bundle(bytes).map_err(unreadable)?;
        let files = statement::read_statement(&envelope.payload).map_err(statement_invalid)?;
        Ok(Self {
            key_fingerprint: envelope.key_hint.map(|hint| shown(&hint)),
            files,
        })
    }
}

/// Reads `DIR/model.sig` without checking it; `None` when the artifact is not signed.
pub fn read_signature(dir: impl AsRef<Path>) -> Result<Option<SignatureInfo>, VerifyError> {
    let limit = VerifyOptions::default().max_signature_size();
    match folder::read_signature_file(dir.as_ref(), limit)? {
        None => Ok(None),
        Some(bytes) => SignatureInfo::parse(&bytes).map(Some),
    }
}

/// Checks signature bundle `bytes` against `key` and the artifact's files (path → digest of
/// its content now, `None` when it could not be hashed: that problem is reported elsewhere).
/// Returns the key's fingerprint when every file is signed and unchanged.
pub(crate) fn check(
    bytes: &[u8],
    key: &PublicKey,
    files: &BTreeMap<String, Option<String>>,
) -> Result<String, Vec<VerifyError>> {
    let file = || SIGNATURE_FILE.to_owned();
    let envelope = bundle::parse_bundle(bytes).map_err(|reason| vec![unreadable(reason)])?;
    let expected = key.fingerprint();
    if let Some(hint) = &envelope.key_hint
        && *hint != expected
    {
        return Err(vec![VerifyError::SignedByAnotherKey {
            file: file(),
            signer: shown(hint),
            expected,
        }]);
    }
    if !key.verifies(&bundle::pae(&envelope.payload), &envelope.signature) {
        return Err(vec![VerifyError::BadSignature {
            file: file(),
            key: expected,
        }]);
    }
    let signed = statement::read_statement(&envelope.payload)
        .map_err(|reason| vec![statement_invalid(reason)])?;
    let signed: BTreeMap<&str, &str> = signed
        .iter()
        .map(|f| (f.name.as_str(), f.sha256.as_str()))
        .collect();
    let mut problems = Vec::new();
    for (name, actual) in files {
        match (signed.get(name.as_str()), actual) {
            (None, _) => problems.push(VerifyError::NotSigned { file: name.clone() }),
            (Some(signed), Some(actual)) if signed != actual => {
                problems.push(VerifyError::ChangedAfterSigning {
                    file: name.clone(),
                    signed: (*signed).to_owned(),
                    actual: actual.clone(),
                });
            }
            _ => {}
        }
    }
    for name in signed.keys() {
        if !files.contains_key(*name) {
            problems.push(VerifyError::SignedFileMissing {
                file: (*name).to_owned(),
            });
        }
    }
    if problems.is_empty() {
        Ok(expected)
    } else {
        Err(problems)
    }
}

fn unreadable(reason: String) -> VerifyError {
    VerifyError::SignatureUnreadable {
        file: SIGNATURE_FILE.to_owned(),
        reason,
    }
}

fn statement_invalid(reason: String) -> VerifyError {
    VerifyError::SignedStatementInvalid {
        file: SIGNATURE_FILE.to_owned(),
        reason,
    }
}

/// An untrusted key hint as it may be shown: a digest as is, anything else quoted and cut.
fn shown(hint: &str) -> String {
    if is_sha256_hex(hint) {
        hint.to_owned()
    } else {
        let cut: String = hint.chars().take(80).collect();
        format!("{cut:?}")
    }
}
