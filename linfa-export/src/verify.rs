//! Checking that an artifact folder is exactly what its manifest says.
//!
//! Every check that can be made without reading file contents comes first:
//! the manifest's own form and digest, each listed path (inside the folder,
//! not a symlink, declared size under a limit, actual size equal to the
//! declared one), and files on disk that the manifest does not list. Only
//! files that pass all of that are opened and hashed, with `O_NOFOLLOW` and a
//! bounded read, in parallel across cores. All problems are collected so a
//! person sees the whole damage at once, not one error per run.
//!
//! Consistency is all the manifest can prove. What the caller's [`Trust`] policy asks for
//! beyond it (a pinned artifact digest, a signature by a required key) is checked in the
//! same pass, against the digests of the very bytes just hashed, and its failures are
//! problems like any other.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::VerifyError;
use crate::folder::{self, Found, Job};
use crate::hashing::{parallel_with_buffer, sha256_hex};
use crate::lineage::{self, Parent, Use};
use crate::manifest::{
    FileRole, MANIFEST_FILE, Manifest, SIGNATURE_FILE, check_digest_field, check_relative_path,
};
use crate::signature;
use crate::training::TrainingRecordStatus;
use crate::trust::{Assurance, Refused, Trust, Verified};

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
    /// Whether a successful [`verify_with`] (and [`load_with`](crate::load_with)) adds the
    /// artifact to the session's lineage, so later exports name it as a parent (default
    /// `true`; see [`session_lineage`](crate::session_lineage)). Tools that only inspect
    /// artifacts turn it off.
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

    /// The largest signature file read: twice the manifest's limit (a signature lists every
    /// file with its digest, base64-encoded).
    pub(crate) fn max_signature_size(&self) -> u64 {
        self.max_manifest_size.saturating_mul(2)
    }
}

impl Default for VerifyOptions {
    fn default() -> Self {
        Self {
            max_file_size: 64 << 30,
            max_manifest_size: 16 << 20,
            max_model_size: 4 << 30,
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

/// Verifies the artifact at `dir` with default limits.
pub fn verify(dir: impl AsRef<Path>) -> VerifyReport {
    verify_with(dir, &VerifyOptions::default())
}

/// Verifies the artifact at `dir` with `options` (limits and trust policy).
///
/// When it verifies, the artifact joins the session's lineage (unless this session exported
/// it itself, or `options.record_lineage` is off): a later export names it as a parent. A
/// lineage that cannot be written is a problem in the report
/// ([`VerifyError::SessionLineage`]).
pub fn verify_with(dir: impl AsRef<Path>, options: &VerifyOptions) -> VerifyReport {
    let dir = dir.as_ref();
    let mut report = verify_quiet(dir, options);
    if options.record_lineage
        && report.is_ok()
        && let Some(manifest) = &report.manifest
    {
        let parent = Parent::of(manifest, &report.assurance, Some(dir));
        if let Err(e) = lineage::record(parent, Use::Verified) {
            report.problems.push(e);
        }
    }
    report
}

/// [`verify_with`] without touching the session's lineage: for the library's own checks
/// (signing, relaunching, comparing), which do not build on the artifact.
pub(crate) fn verify_quiet(dir: &Path, options: &VerifyOptions) -> VerifyReport {
    verify_capturing(dir, options, false).0
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

/// Verifies the artifact at `dir` under `trust`, with default limits.
///
/// ```no_run
/// use linfa_export::{Trust, verify_trusted};
/// let pinned = Trust::digest("6c5bd3fe0d2fc6e2e5c5b9c4a1f3e3b4d0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5")?;
/// match verify_trusted("models/iris", &pinned) {
///     Ok(verified) => println!("{}: {}", verified.digest(), verified.assurance),
///     Err(refused) => eprintln!("{refused}"),
/// }
/// # Ok::<(), linfa_export::TrustError>(())
/// ```
pub fn verify_trusted(dir: impl AsRef<Path>, trust: &Trust) -> Result<Verified, Refused> {
    verify_with(dir, &VerifyOptions::trusting(trust.clone())).into_result()
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
    let mut report = VerifyReport {
        dir: dir.to_path_buf(),
        manifest: None,
        problems: Vec::new(),
        files_hashed: 0,
        bytes_hashed: 0,
        assurance: Assurance::default(),
    };
    let manifest = match folder::read_manifest(dir, options) {
        Ok(m) => m,
        Err(e) => {
            report.problems.push(e);
            return (report, None);
        }
    };

    let mut found = BTreeMap::new();
    if let Err(source) = folder::walk(dir, "", &mut found) {
        report.problems.push(VerifyError::Io {
            file: ".".to_owned(),
            source,
        });
        return (report, None);
    }

    let capture_path = if capture_model {
        manifest
            .file_with_role(FileRole::ModelCbor)
            .or_else(|| manifest.file_with_role(FileRole::ModelJson))
            .map(|(p, _)| p.to_owned())
    } else {
        None
    };
    let problems = &mut report.problems;
    let mut role_seen = BTreeMap::new();
    let mut jobs = Vec::new();
    for (path, entry) in &manifest.files {
        if let Err(reason) = check_relative_path(path) {
            problems.push(VerifyError::UnsafePath {
                file: path.clone(),
                reason,
            });
            continue;
        }
        if path == MANIFEST_FILE || path == SIGNATURE_FILE {
            problems.push(VerifyError::UnsafePath {
                file: path.clone(),
                reason: format!("lists `{path}`, which the manifest cannot cover"),
            });
            continue;
        }
        if entry.role != FileRole::Attachment
            && let Some(other) = role_seen.insert(entry.role, path.clone())
        {
            problems.push(VerifyError::ManifestInvalid {
                file: MANIFEST_FILE.to_owned(),
                reason: format!("`{other}` and `{path}` both claim the role {}", entry.role),
            });
        }
        if let Err(e) = check_digest_field(path, &entry.sha256) {
            problems.push(e);
            continue;
        }
        let capture = capture_path.as_deref() == Some(path.as_str());
        let limit = if capture {
            options.max_model_size.min(options.max_file_size)
        } else {
            options.max_file_size
        };
        if entry.size > limit {
            problems.push(VerifyError::DeclaredSizeTooLarge {
                file: path.clone(),
                declared: entry.size,
                limit,
            });
            continue;
        }
        match found.get(path) {
            None => problems.push(VerifyError::MissingFile {
                file: path.clone(),
                expected: entry.sha256.clone(),
            }),
            Some(Found::Symlink) => problems.push(VerifyError::Symlink { file: path.clone() }),
            Some(Found::Other) => problems.push(VerifyError::NotAFile { file: path.clone() }),
            Some(&Found::File(actual)) if actual != entry.size => {
                problems.push(VerifyError::SizeMismatch {
                    file: path.clone(),
                    declared: entry.size,
                    actual,
                });
            }
            Some(Found::File(_)) => jobs.push(Job {
                path: path.clone(),
                size: entry.size,
                expected: entry.sha256.clone(),
                capture,
            }),
        }
    }
    let has_record = role_seen.contains_key(&FileRole::TrainingRecord);
    let says_included = manifest.training_record == Some(TrainingRecordStatus::Included);
    if has_record != says_included {
        problems.push(VerifyError::ManifestInvalid {
            file: MANIFEST_FILE.to_owned(),
            reason: if has_record {
                "lists a training record but does not say `\"training_record\": \"included\"`"
                    .to_owned()
            } else {
                "says the training record is included but lists no file with that role".to_owned()
            },
        });
    }
    if !role_seen.contains_key(&FileRole::ModelJson)
        && !role_seen.contains_key(&FileRole::ModelCbor)
    {
        problems.push(VerifyError::NoModelFile {
            file: MANIFEST_FILE.to_owned(),
        });
    }
    for (path, what) in &found {
        // The signature covers the manifest, so it is the one file the manifest cannot list.
        if manifest.files.contains_key(path) || (path == SIGNATURE_FILE && *what != Found::Symlink)
        {
            continue;
        }
        problems.push(match what {
            Found::Symlink => VerifyError::Symlink { file: path.clone() },
            _ => VerifyError::UnexpectedFile { file: path.clone() },
        });
    }

    // Largest first, so a big file starts at once instead of last.
    jobs.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.path.cmp(&b.path)));
    let results = parallel_with_buffer(&jobs, |job, buf| folder::hash_job(dir, job, buf));
    let mut captured = None;
    // What each file of the artifact hashes to now, for the signature check.
    let mut actual: BTreeMap<String, Option<String>> = manifest
        .files
        .keys()
        .map(|path| (path.clone(), None))
        .collect();
    actual.insert(
        MANIFEST_FILE.to_owned(),
        Some(sha256_hex(manifest.to_pretty_json().as_bytes())),
    );
    for (job, result) in jobs.iter().zip(results) {
        match result {
            Err(source) => problems.push(VerifyError::Io {
                file: job.path.clone(),
                source,
            }),
            Ok((digest, bytes)) => {
                report.files_hashed += 1;
                report.bytes_hashed += digest.len;
                if digest.len == job.size {
                    actual.insert(job.path.clone(), Some(digest.sha256.clone()));
                }
                if digest.len != job.size {
                    problems.push(VerifyError::SizeMismatch {
                        file: job.path.clone(),
                        declared: job.size,
                        actual: digest.len,
                    });
                } else if digest.sha256 != job.expected {
                    problems.push(VerifyError::DigestMismatch {
                        file: job.path.clone(),
                        expected: job.expected.clone(),
                        actual: digest.sha256,
                    });
                } else if let Some(bytes) = bytes {
                    captured = Some((job.path.clone(), bytes));
                }
            }
        }
    }
    report.assurance = check_trust(dir, &manifest, &actual, options, problems);
    problems.sort_by_key(VerifyError::file);
    tracing::debug!(
        dir = %dir.display(),
        files = report.files_hashed,
        bytes = report.bytes_hashed,
        problems = report.problems.len(),
        "verified"
    );
    report.manifest = Some(manifest);
    (report, captured)
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
        let checked = match folder::read_signature_file(dir, options.max_signature_size()) {
            Ok(Some(bytes)) => signature::check(&bytes, key, actual),
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
