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
//! Consistency is all this module establishes. `model.sig`, the one file the manifest cannot
//! list, is held to the same standard as far as no key is needed: once the rest of the folder
//! agrees with the manifest, a `model.sig` must parse, and list exactly the files the folder
//! holds with the digests they have (`integrity::signed_files`).
//! Whether the signature is genuine, and what the caller's trust policy asks beyond
//! consistency, is the trust layer's (`trust::verify`), and whether a verified artifact
//! becomes a parent of the session's exports is the model layer's (`model::verify`): this
//! module neither reads a key nor records anything.

use std::collections::BTreeMap;
use std::path::Path;

use crate::format::digest::sha256_hex;
use crate::format::error::VerifyError;
use crate::format::manifest::{
    FileRole, MANIFEST_FILE, Manifest, SIGNATURE_FILE, check_relative_path,
};
use crate::format::parse::check_digest_field;
use crate::format::training_record::TrainingRecordStatus;
use crate::integrity::folder::{self, Found, Job};
use crate::integrity::hashing::parallel_with_buffer;
use crate::integrity::signed_files;

/// Sizes refused before anything is read (the limits of `VerifyOptions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    /// Largest size a manifest may declare for one file.
    pub(crate) max_file_size: u64,
    /// Largest manifest read.
    pub(crate) max_manifest_size: u64,
    /// Largest model file loaded into memory by `load`.
    pub(crate) max_model_size: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_file_size: 64 << 30,
            max_manifest_size: 16 << 20,
            max_model_size: 4 << 30,
        }
    }
}

impl Limits {
    /// The largest signature file read: twice the manifest's limit (a signature lists every
    /// file with its digest, base64-encoded).
    pub(crate) fn max_signature_size(&self) -> u64 {
        self.max_manifest_size.saturating_mul(2)
    }
}

/// Whether [`check`] holds `model.sig` to the folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SignatureListing {
    /// A `model.sig` must parse and list exactly the folder's files and digests.
    Check,
    /// Leave `model.sig` alone: a key check reads it more strictly, or `sign` replaces it.
    Skip,
}

/// What checking a folder against its manifest found.
#[derive(Debug)]
pub(crate) struct Consistency {
    /// The manifest, when it could be read and passed its own checks (and the folder could be
    /// listed).
    pub(crate) manifest: Option<Manifest>,
    /// Everything wrong, in the order found (not yet sorted).
    pub(crate) problems: Vec<VerifyError>,
    /// Files whose content was hashed.
    pub(crate) files_hashed: usize,
    /// Bytes hashed.
    pub(crate) bytes_hashed: u64,
    /// What each file of the artifact, the manifest included, hashes to now; `None` when it
    /// could not be hashed (that problem is among `problems`).
    pub(crate) digests: BTreeMap<String, Option<String>>,
    /// The model file `load` decodes, as the very bytes that were hashed.
    pub(crate) captured: Option<(String, Vec<u8>)>,
}

/// Checks `dir` against its manifest within `limits`; when `capture_model` is set, the model
/// file that `load` should decode (CBOR if listed, else JSON) is read into memory, and it is
/// those bytes that are hashed and returned.
pub(crate) fn check(
    dir: &Path,
    limits: &Limits,
    capture_model: bool,
    signature: SignatureListing,
) -> Consistency {
    let mut result = Consistency {
        manifest: None,
        problems: Vec::new(),
        files_hashed: 0,
        bytes_hashed: 0,
        digests: BTreeMap::new(),
        captured: None,
    };
    let manifest = match folder::read_manifest(dir, limits.max_manifest_size) {
        Ok(m) => m,
        Err(e) => {
            result.problems.push(e);
            return result;
        }
    };

    let mut found = BTreeMap::new();
    if let Err(source) = folder::walk(dir, "", &mut found) {
        result.problems.push(VerifyError::Io {
            file: ".".to_owned(),
            source,
        });
        return result;
    }

    let capture_path = if capture_model {
        manifest
            .file_with_role(FileRole::ModelCbor)
            .or_else(|| manifest.file_with_role(FileRole::ModelJson))
            .map(|(p, _)| p.to_owned())
    } else {
        None
    };
    let problems = &mut result.problems;
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
            limits.max_model_size.min(limits.max_file_size)
        } else {
            limits.max_file_size
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
    // What each file of the artifact hashes to now, for the signature checks.
    let mut digests: BTreeMap<String, Option<String>> = manifest
        .files
        .keys()
        .map(|path| (path.clone(), None))
        .collect();
    digests.insert(
        MANIFEST_FILE.to_owned(),
        Some(sha256_hex(manifest.to_pretty_json().as_bytes())),
    );
    for (job, hashed) in jobs.iter().zip(results) {
        match hashed {
            Err(source) => problems.push(VerifyError::Io {
                file: job.path.clone(),
                source,
            }),
            Ok((digest, bytes)) => {
                result.files_hashed += 1;
                result.bytes_hashed += digest.len;
                if digest.len == job.size {
                    digests.insert(job.path.clone(), Some(digest.sha256.clone()));
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
                    result.captured = Some((job.path.clone(), bytes));
                }
            }
        }
    }
    // model.sig is held to a folder that agrees with its manifest: when the folder does not,
    // it is refused already, and the listing would only repeat each difference.
    if signature == SignatureListing::Check
        && problems.is_empty()
        && matches!(found.get(SIGNATURE_FILE), Some(Found::File(_)))
    {
        let limit = limits.max_signature_size();
        problems.extend(signed_files::check_without_key(dir, limit, &digests));
    }
    result.digests = digests;
    result.manifest = Some(manifest);
    result
}
