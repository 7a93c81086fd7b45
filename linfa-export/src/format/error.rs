//! Errors, split by the moment they happen.
//!
//! A caller reacts differently to "my export options are wrong" (fix the
//! call), "writing the artifact failed" (disk, permissions, a model that does
//! not encode) and "this folder is not what its manifest says" (do not trust
//! it). Each gets its own enum, and every verification variant names the file
//! it is about and, where there are two, both digests, so a person reading one
//! line knows what to look at and what to do.
//!
//! They sit at the bottom, in the format layer, because reading a manifest is already where
//! an artifact can be refused, and every layer above reports through them. [`Refused`] is
//! here too: it holds [`VerifyError`]s and one of them holds it.

use std::fmt;
use std::io;
use std::path::PathBuf;

use repronote_prelude::contract::{
    LINEAGE_FILE_ENV, PROVENANCE_FILE_ENV, TRAINING_RECORD_FILE_ENV,
};

use crate::format::manifest::Manifest;

/// Export options that cannot produce a valid artifact (see
/// [`ExportParams::check`](crate::ExportParams::check)).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ParamsError {
    #[error("the model card needs a name: pass a non-empty name to ExportParams::new")]
    EmptyName,
    #[error("a metric has an empty name: give every metric a name such as \"accuracy\"")]
    EmptyMetricName,
    #[error(
        "metric `{name}` is {value}: metrics must be finite numbers (JSON cannot store NaN or infinity)"
    )]
    NonFiniteMetric { name: String, value: f64 },
    #[error("attachment name `{name}` is not usable: {reason}")]
    BadAttachmentName { name: String, reason: String },
    #[error("attachment `{name}` is given twice: each file name may appear once")]
    DuplicateAttachment { name: String },
    #[error(
        "provenance cell digest #{index} (`{digest}`) is not a sha256 digest: expected 64 lowercase hex characters"
    )]
    BadCellDigest { index: usize, digest: String },
    #[error(
        "provenance is marked non-reproducible without a reason: say why (e.g. \"unseeded RNG in cell 3\")"
    )]
    MissingNonReproducibleReason,
    #[error("the data fingerprint's {which} digest `{digest}` is not a sha256 digest")]
    BadDataDigest { which: &'static str, digest: String },
    #[error(
        "the notebook session's provenance file {path} (named by {env}) cannot be read: {reason}; restart the kernel, or unset the variable to export without the session's record",
        env = PROVENANCE_FILE_ENV
    )]
    SessionProvenance {
        path: std::path::PathBuf,
        reason: String,
    },
    #[error(
        "the notebook session's lineage file {path} (named by {env}) cannot be read: {reason}; restart the kernel, or export with ExportParams::without_session_lineage() and name the parents with ExportParams::parent",
        env = LINEAGE_FILE_ENV
    )]
    SessionLineage {
        path: std::path::PathBuf,
        reason: String,
    },
    #[error(
        "the notebook session's training record {path} (named by {env}) cannot be read: {reason}; restart the kernel, or export with ExportParams::without_training_record()",
        env = TRAINING_RECORD_FILE_ENV
    )]
    SessionTrainingRecord {
        path: std::path::PathBuf,
        reason: String,
    },
    #[error(
        "the session's training record lists {record} cells but the provenance lists {provenance}: it would not re-run what the manifest says ran (were the provenance's cells given explicitly?); restart the kernel and run the notebook again, or export with ExportParams::without_training_record()"
    )]
    TrainingRecordLength { record: usize, provenance: usize },
    #[error(
        "cell {} of the session's training record hashes to {record}, but the provenance lists {provenance} for it: the record would not re-run what the manifest says ran; restart the kernel and run the notebook again, or export with ExportParams::without_training_record()",
        index + 1
    )]
    TrainingRecordCell {
        /// Zero-based position of the first differing cell.
        index: usize,
        record: String,
        provenance: String,
    },
    #[error(
        "parent `{name}` has artifact digest `{digest}`, which is not a sha256 digest: pass a verified artifact to ExportParams::parent"
    )]
    BadParentDigest { name: String, digest: String },
}

/// Writing an artifact failed; the target folder was not created.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    #[error(transparent)]
    Params(#[from] ParamsError),
    #[error(
        "{path} already exists: choose another folder or set ExportParams::overwrite(true) to replace it"
    )]
    TargetExists { path: PathBuf },
    #[error("{path} has no parent folder to hold the artifact: give a path such as ./models/iris")]
    NoParent { path: PathBuf },
    #[error("could not {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("could not encode the model as {file}: {reason}")]
    Encode { file: String, reason: String },
    #[error(
        "the model does not survive a round trip through {file} ({reason}); it cannot be exported faithfully"
    )]
    NotRoundTrip { file: String, reason: String },
    #[error(
        "attachment `{file}` changed while it was copied (expected {expected} bytes, copied {actual}); retry when it is stable"
    )]
    AttachmentChanged {
        file: String,
        expected: u64,
        actual: u64,
    },
}

/// One reason an artifact folder does not verify, or cannot be loaded.
///
/// `file` fields are paths relative to the artifact folder (or the folder
/// itself for [`VerifyError::ManifestMissing`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    #[error(
        "{dir}: no manifest.json; this is not a linfa-export artifact, or its export never finished"
    )]
    ManifestMissing { dir: PathBuf },
    #[error("{file}: cannot read: {source}")]
    Io {
        file: String,
        #[source]
        source: io::Error,
    },
    #[error(
        "{file}: {size} bytes is larger than the {limit}-byte limit for a manifest; refusing to read it"
    )]
    ManifestTooLarge { file: String, size: u64, limit: u64 },
    #[error("{file}: not a valid manifest: {reason}")]
    ManifestInvalid { file: String, reason: String },
    #[error(
        "{file}: format version {found} is not supported (this build reads version {supported}); use a linfa-export that supports it"
    )]
    UnknownFormatVersion {
        file: String,
        found: String,
        supported: u32,
    },
    #[error(
        "{file}: not in canonical form (it was edited or written by another tool); re-export the model"
    )]
    ManifestNotCanonical { file: String },
    #[error(
        "{file}: artifact digest mismatch: manifest says sha256 {expected}, its content hashes to {actual}; the manifest was edited"
    )]
    ManifestDigestMismatch {
        file: String,
        expected: String,
        actual: String,
    },
    #[error("{file}: path leaves the artifact folder or is malformed ({reason}); refusing it")]
    UnsafePath { file: String, reason: String },
    #[error(
        "{file}: declared size {declared} bytes exceeds the {limit}-byte limit; refusing to read it (raise VerifyOptions::max_file_size if this is expected)"
    )]
    DeclaredSizeTooLarge {
        file: String,
        declared: u64,
        limit: u64,
    },
    #[error("{file}: is a symbolic link; artifacts must hold regular files only")]
    Symlink { file: String },
    #[error("{file}: is not a regular file")]
    NotAFile { file: String },
    #[error("{file}: missing (manifest expects sha256 {expected}); the artifact is incomplete")]
    MissingFile { file: String, expected: String },
    #[error("{file}: not listed in manifest.json; remove it or re-export the artifact")]
    UnexpectedFile { file: String },
    #[error(
        "{file}: size mismatch: manifest says {declared} bytes, found {actual}; the file was truncated, extended or replaced"
    )]
    SizeMismatch {
        file: String,
        declared: u64,
        actual: u64,
    },
    #[error(
        "{file}: sha256 mismatch: manifest says {expected}, file hashes to {actual}; the file was modified"
    )]
    DigestMismatch {
        file: String,
        expected: String,
        actual: String,
    },
    #[error(
        "{file}: holds a `{found}` but `{expected}` was requested; load it with the matching model type"
    )]
    ModelTypeMismatch {
        file: String,
        expected: String,
        found: String,
    },
    #[error(
        "{file}: model written by {crate_name} {artifact_version}, but this build uses {crate_name} {built_version} whose model format is not compatible; load it with a build that uses {crate_name} {artifact_version}"
    )]
    IncompatibleCrateVersion {
        file: String,
        crate_name: String,
        artifact_version: String,
        built_version: String,
    },
    #[error("{file}: no model file is listed (model.json or model.cbor)")]
    NoModelFile { file: String },
    #[error("{file}: verified, but does not decode as the requested model: {reason}")]
    Decode { file: String, reason: String },
    #[error(
        "{file}: artifact sha256 is {actual}, but the pinned digest is {expected}; this is not the artifact that digest names (its files agree with each other, yet it was changed or replaced): do not use it"
    )]
    DigestNotPinned {
        file: String,
        expected: String,
        actual: String,
    },
    #[error(
        "{file}: missing, so the artifact is not signed, but a signature by key {key} is required; ask its author for the signed artifact (`linfa-export sign`)"
    )]
    Unsigned { file: String, key: String },
    #[error("{file}: not a readable model signature: {reason}")]
    SignatureUnreadable { file: String, reason: String },
    #[error(
        "{file}: signed by key {signer}, not by the required key {expected}; someone else signed this artifact"
    )]
    SignedByAnotherKey {
        file: String,
        signer: String,
        expected: String,
    },
    #[error(
        "{file}: the signature does not verify with key {key}: the signature or the statement it signs was altered, or another key made it"
    )]
    BadSignature { file: String, key: String },
    #[error("{file}: the signed statement is not a model_signing file statement: {reason}")]
    SignedStatementInvalid { file: String, reason: String },
    #[error(
        "{file}: changed after signing: the signature says sha256 {signed}, the file hashes to {actual}"
    )]
    ChangedAfterSigning {
        file: String,
        signed: String,
        actual: String,
    },
    #[error(
        "{file} does not parse: {reason}; re-sign the artifact with `linfa-export sign` or remove {file}"
    )]
    SignatureMalformed { file: String, reason: String },
    #[error("{}", signature_mismatch(file, path, signed.as_deref(), actual.as_deref()))]
    SignatureMismatch {
        /// The signature file.
        file: String,
        /// The artifact file the signature lists differently.
        path: String,
        /// Its sha256 as the signature lists it; `None` when the signature does not list it.
        signed: Option<String>,
        /// Its sha256 in the artifact; `None` when the artifact does not hold it (or it could
        /// not be hashed, which is reported on its own).
        actual: Option<String>,
    },
    #[error("{file}: not covered by the signature; it was added or renamed after signing")]
    NotSigned { file: String },
    #[error("{file}: signed, but no longer in the artifact; it was removed after signing")]
    SignedFileMissing { file: String },
    #[error(
        "the artifact verified, but the session's lineage file {path} (named by {env}) cannot be updated ({reason}), so a later export would not name it as a parent; fix or remove that file, or restart the kernel",
        env = LINEAGE_FILE_ENV
    )]
    SessionLineage { path: PathBuf, reason: String },
    #[error("{file}: not a valid training record: {reason}")]
    TrainingRecordInvalid { file: String, reason: String },
    #[error("{refused}")]
    ArtifactRefused { refused: Box<Refused> },
}

impl VerifyError {
    /// The file (relative to the artifact folder) this problem is about.
    pub fn file(&self) -> String {
        match self {
            Self::ManifestMissing { dir } => dir.display().to_string(),
            Self::SessionLineage { path, .. } => path.display().to_string(),
            Self::ArtifactRefused { refused } => refused.dir.display().to_string(),
            Self::Io { file, .. }
            | Self::ManifestTooLarge { file, .. }
            | Self::ManifestInvalid { file, .. }
            | Self::UnknownFormatVersion { file, .. }
            | Self::ManifestNotCanonical { file }
            | Self::ManifestDigestMismatch { file, .. }
            | Self::UnsafePath { file, .. }
            | Self::DeclaredSizeTooLarge { file, .. }
            | Self::Symlink { file }
            | Self::NotAFile { file }
            | Self::MissingFile { file, .. }
            | Self::UnexpectedFile { file }
            | Self::SizeMismatch { file, .. }
            | Self::DigestMismatch { file, .. }
            | Self::ModelTypeMismatch { file, .. }
            | Self::IncompatibleCrateVersion { file, .. }
            | Self::NoModelFile { file }
            | Self::Decode { file, .. }
            | Self::DigestNotPinned { file, .. }
            | Self::Unsigned { file, .. }
            | Self::SignatureUnreadable { file, .. }
            | Self::SignedByAnotherKey { file, .. }
            | Self::BadSignature { file, .. }
            | Self::SignedStatementInvalid { file, .. }
            | Self::SignatureMalformed { file, .. }
            | Self::SignatureMismatch { file, .. }
            | Self::ChangedAfterSigning { file, .. }
            | Self::NotSigned { file }
            | Self::SignedFileMissing { file }
            | Self::TrainingRecordInvalid { file, .. } => file.clone(),
        }
    }
}

/// What a [`VerifyError::SignatureMismatch`] says: how `model.sig` lists `path` against
/// the artifact, and what to do. Without a key nothing says the signature is genuine, so this
/// names what disagrees rather than who changed what.
fn signature_mismatch(
    file: &str,
    path: &str,
    signed: Option<&str>,
    actual: Option<&str>,
) -> String {
    let what = match (signed, actual) {
        (Some(signed), Some(actual)) => {
            format!("{file} lists {path} with sha256 {signed}, but the file has {actual}")
        }
        (Some(signed), None) => {
            format!("{file} lists {path} (sha256 {signed}), which the artifact does not hold")
        }
        (None, _) => format!("{file} does not list {path}, which the artifact holds"),
    };
    format!(
        "{what}: the signature is not over these files (one changed after signing, or the \
         signature belongs to another artifact); re-sign the artifact with `linfa-export sign` \
         or remove {file}"
    )
}

/// An artifact that did not pass verification: every problem found.
///
/// It lives with the errors because it is one: [`VerifyError::ArtifactRefused`] holds one,
/// and it holds [`VerifyError`]s.
#[derive(Debug)]
pub struct Refused {
    /// The folder checked.
    pub dir: PathBuf,
    /// Its manifest as written, when it could be read (not to be trusted).
    pub manifest: Option<Box<Manifest>>,
    /// Everything wrong, one entry per problem, sorted by file.
    pub problems: Vec<VerifyError>,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} does not verify", self.dir.display())?;
        for (i, problem) in self.problems.iter().enumerate() {
            f.write_str(if i == 0 { ": " } else { "; " })?;
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Refused {}

/// A pinned digest or a key given by the caller that cannot be used; nothing was checked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    #[error(
        "`{given}` is not an artifact digest: give the 64 hex characters of `artifact_sha256` (from manifest.json, the model card's citation or `linfa-export verify`)"
    )]
    BadDigest { given: String },
    #[error("{path}: cannot read the key: {source}")]
    KeyRead {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{what}: not a usable {kind}: {reason}")]
    KeyInvalid {
        what: String,
        kind: &'static str,
        reason: String,
    },
    #[error(
        "{what}: {algorithm} cannot be used; model signatures use ECDSA keys on P-256 or P-384 (make one with `linfa-export keygen`)"
    )]
    UnsupportedKey { what: String, algorithm: String },
    #[error("{path} already exists: choose another name; a key is never overwritten")]
    KeyExists { path: PathBuf },
    #[error("could not write {path}: {source}")]
    KeyWrite {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// Signing an artifact failed; any earlier `model.sig` is unchanged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    #[error(
        "{dir} does not verify ({problems}); refusing to sign it: a signature would vouch for files that are not what their manifest says"
    )]
    Unverified { dir: PathBuf, problems: String },
    #[error("could not {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}
