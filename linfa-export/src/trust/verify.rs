//! Verifying an artifact under a trust policy: consistency, then what the policy asks.
//!
//! The integrity layer says whether the files agree with their manifest (and `model.sig`
//! with the files). A [`Trust`] policy may ask more, a pinned artifact digest or a signature
//! by a required key, and that is checked here in the same pass, against the digests of the
//! very bytes just hashed; its failures are problems like any other. With a key, `model.sig`
//! is read only by the key check, which reads it strictly from the outside in
//! (`trust::signature`), so a broken signature is named once.
//!
//! Nothing here records the artifact in the session's lineage: the public
//! [`verify`](crate::verify) and [`verify_with`](crate::verify_with) (`model::verify`) do
//! that on top, and the library's own checks (signing, relaunching, comparing, reading a
//! training record) call this layer directly, since they do not build on the artifact.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::format::error::{Refused, VerifyError};
use crate::format::manifest::{MANIFEST_FILE, Manifest, SIGNATURE_FILE};
use crate::integrity::folder;
use crate::integrity::verify::{self as consistency, Limits, SignatureListing};
use crate::trust::policy::{Assurance, Trust, Verified};
use crate::trust::signature;

/// Limits applied before anything is read, and what must hold beyond consistency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOptions {
    /// Largest size a manifest may declare for one file (default 64 GiB).
    pub max_file_size: u64,
    /// Largest manifest read (default 16 MiB).
    pub max_manifest_size: u64,
    /// Largest model file loaded into memory by `load` (default 4 GiB).
    pub max_model_size: u64,
    /// A pinned digest or a required signer (default: consistency only).
    pub trust: Trust,
    /// Whether a successful [`verify_with`](crate::verify_with) (and
    /// [`load_with`](crate::load_with)) adds the artifact to the session's lineage, so later
    /// exports name it as a parent (default `true`; see
    /// [`session_lineage`](crate::session_lineage)). Tools that only inspect artifacts turn
    /// it off.
    pub record_lineage: bool,
}

impl VerifyOptions {
    /// Default limits with `trust` as the policy.
    pub fn trusting(trust: Trust) -> Self {
        Self {
            trust,
            ..Self::default()
        }
    }

    /// The size limits, for the consistency check.
    pub(crate) fn limits(&self) -> Limits {
        Limits {
            max_file_size: self.max_file_size,
            max_manifest_size: self.max_manifest_size,
            max_model_size: self.max_model_size,
        }
    }
}

impl Default for VerifyOptions {
    fn default() -> Self {
        let limits = Limits::default();
        Self {
            max_file_size: limits.max_file_size,
            max_manifest_size: limits.max_manifest_size,
            max_model_size: limits.max_model_size,
            trust: Trust::default(),
            record_lineage: true,
        }
    }
}

/// Outcome of verifying one artifact folder.
#[derive(Debug)]
pub struct VerifyReport {
    /// The folder checked.
    pub dir: PathBuf,
    /// The manifest, when it could be read and passed its own checks.
    pub manifest: Option<Manifest>,
    /// Everything wrong, one entry per problem, sorted by file.
    pub problems: Vec<VerifyError>,
    /// Files whose content was hashed.
    pub files_hashed: usize,
    /// Bytes hashed.
    pub bytes_hashed: u64,
    /// Which of the trust policy's requirements held (meaningful when [`is_ok`](Self::is_ok)).
    pub assurance: Assurance,
}

impl VerifyReport {
    /// True when the manifest is valid, every file matches it, and the trust policy holds.
    pub fn is_ok(&self) -> bool {
        self.manifest.is_some() && self.problems.is_empty()
    }

    /// The verified artifact, or everything that is wrong with it.
    pub fn into_result(self) -> Result<Verified, Refused> {
        match self.manifest {
            Some(manifest) if self.problems.is_empty() => Ok(Verified {
                dir: self.dir,
                manifest,
                files_hashed: self.files_hashed,
                bytes_hashed: self.bytes_hashed,
                assurance: self.assurance,
            }),
            manifest => Err(Refused {
                dir: self.dir,
                manifest: manifest.map(Box::new),
                problems: self.problems,
            }),
        }
    }
}

/// Verifies `dir` under `options` without touching the session's lineage: for the library's
/// own checks (relaunching, comparing), which do not build on the artifact.
pub(crate) fn verify_quiet(dir: &Path, options: &VerifyOptions) -> VerifyReport {
    verify_capturing(dir, options, false).0
}

/// What `sign` checks before it signs: consistency with default limits, an earlier
/// `model.sig` left out (signing replaces it, so a stale one must not stand in the way).
pub(crate) fn verify_to_sign(dir: &Path) -> VerifyReport {
    run(
        dir,
        &VerifyOptions::default(),
        false,
        SignatureListing::Skip,
    )
    .0
}

/// The manifest of the artifact at `dir` once it verifies (lineage untouched), or every
/// problem as one [`VerifyError::ArtifactRefused`].
pub(crate) fn verified_manifest(
    dir: &Path,
    options: &VerifyOptions,
) -> Result<Manifest, VerifyError> {
    verify_quiet(dir, options)
        .into_result()
        .map(|verified| verified.manifest)
        .map_err(|refused| VerifyError::ArtifactRefused {
            refused: Box::new(refused),
        })
}

/// The manifest of the artifact at `dir`, once every file verifies (consistency only; the
/// session's lineage is not touched), or every problem as one
/// [`VerifyError::ArtifactRefused`].
pub fn read_manifest(dir: impl AsRef<Path>) -> Result<Manifest, VerifyError> {
    verified_manifest(dir.as_ref(), &VerifyOptions::default())
}

/// Verifies `dir`; when `capture_model` is set, the model file that `load`
/// should decode (CBOR if listed, else JSON) is read into memory, and it is
/// those bytes that are hashed and returned.
pub(crate) fn verify_capturing(
    dir: &Path,
    options: &VerifyOptions,
    capture_model: bool,
) -> (VerifyReport, Option<(String, Vec<u8>)>) {
    // With a key, the key check reads model.sig (and names a broken one) itself.
    let listing = if options.trust.required_key().is_some() {
        SignatureListing::Skip
    } else {
        SignatureListing::Check
    };
    run(dir, options, capture_model, listing)
}

fn run(
    dir: &Path,
    options: &VerifyOptions,
    capture_model: bool,
    listing: SignatureListing,
) -> (VerifyReport, Option<(String, Vec<u8>)>) {
    let found = consistency::check(dir, &options.limits(), capture_model, listing);
    let mut report = VerifyReport {
        dir: dir.to_path_buf(),
        manifest: None,
        problems: found.problems,
        files_hashed: found.files_hashed,
        bytes_hashed: found.bytes_hashed,
        assurance: Assurance::default(),
    };
    let Some(manifest) = found.manifest else {
        return (report, None);
    };
    report.assurance = check_trust(
        dir,
        &manifest,
        &found.digests,
        options,
        &mut report.problems,
    );
    report.problems.sort_by_key(VerifyError::file);
    tracing::debug!(
        dir = %dir.display(),
        files = report.files_hashed,
        bytes = report.bytes_hashed,
        problems = report.problems.len(),
        "verified"
    );
    report.manifest = Some(manifest);
    (report, found.captured)
}

/// Checks what `options.trust` asks beyond consistency; failures go into `problems`.
fn check_trust(
    dir: &Path,
    manifest: &Manifest,
    actual: &BTreeMap<String, Option<String>>,
    options: &VerifyOptions,
    problems: &mut Vec<VerifyError>,
) -> Assurance {
    let mut assurance = Assurance::default();
    if let Some(expected) = options.trust.expected_digest() {
        if manifest.artifact_sha256 == expected {
            assurance.pinned = true;
        } else {
            problems.push(VerifyError::DigestNotPinned {
                file: MANIFEST_FILE.to_owned(),
                expected: expected.to_owned(),
                actual: manifest.artifact_sha256.clone(),
            });
        }
    }
    if let Some(key) = options.trust.required_key() {
        let limit = options.limits().max_signature_size();
        let checked = match folder::read_signature_file(dir, limit) {
            Ok(Some(bytes)) => signature::check_with_key(&bytes, key, actual),
            Ok(None) => Err(vec![VerifyError::Unsigned {
                file: SIGNATURE_FILE.to_owned(),
                key: key.fingerprint(),
            }]),
            Err(e) => Err(vec![e]),
        };
        match checked {
            Ok(signer) => assurance.signer = Some(signer),
            Err(found) => problems.extend(found),
        }
    }
    assurance
}
