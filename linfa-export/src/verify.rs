//! Checking that an artifact folder is exactly what its manifest says.
//!
//! Every check that can be made without reading file contents comes first:
//! the manifest's own form and digest, each listed path (inside the folder,
//! not a symlink, declared size under a limit, actual size equal to the
//! declared one), and files on disk that the manifest does not list. Only
//! files that pass all of that are opened and hashed, with `O_NOFOLLOW` and a
//! bounded read, in parallel across cores. All problems are collected so a
//! person sees the whole damage at once, not one error per run.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::error::VerifyError;
use crate::hashing::{StreamDigest, hash_reader, parallel_with_buffer, sha256_hex};
use crate::manifest::{FileRole, MANIFEST_FILE, Manifest, check_digest_field, check_relative_path};

/// Limits applied before anything is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOptions {
    /// Largest size a manifest may declare for one file (default 64 GiB).
    pub max_file_size: u64,
    /// Largest manifest read (default 16 MiB).
    pub max_manifest_size: u64,
    /// Largest model file loaded into memory by `load` (default 4 GiB).
    pub max_model_size: u64,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        Self {
            max_file_size: 64 << 30,
            max_manifest_size: 16 << 20,
            max_model_size: 4 << 30,
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
}

impl VerifyReport {
    /// True when the manifest is valid and every file matches it.
    pub fn is_ok(&self) -> bool {
        self.manifest.is_some() && self.problems.is_empty()
    }
}

/// Verifies the artifact at `dir` with default limits.
pub fn verify(dir: impl AsRef<Path>) -> VerifyReport {
    verify_with(dir, &VerifyOptions::default())
}

/// Verifies the artifact at `dir`.
pub fn verify_with(dir: impl AsRef<Path>, options: &VerifyOptions) -> VerifyReport {
    verify_capturing(dir.as_ref(), options, false).0
}

/// What is on disk at one relative path, found without following links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    File(u64),
    Symlink,
    Other,
}

struct Job {
    path: String,
    size: u64,
    expected: String,
    capture: bool,
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
    };
    let manifest = match read_manifest(dir, options) {
        Ok(m) => m,
        Err(e) => {
            report.problems.push(e);
            return (report, None);
        }
    };

    let mut found = BTreeMap::new();
    if let Err(source) = walk(dir, "", &mut found) {
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
        if path == MANIFEST_FILE {
            problems.push(VerifyError::UnsafePath {
                file: path.clone(),
                reason: "lists the manifest itself".to_owned(),
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
    if !role_seen.contains_key(&FileRole::ModelJson)
        && !role_seen.contains_key(&FileRole::ModelCbor)
    {
        problems.push(VerifyError::NoModelFile {
            file: MANIFEST_FILE.to_owned(),
        });
    }
    for (path, what) in &found {
        if manifest.files.contains_key(path) {
            continue;
        }
        problems.push(match what {
            Found::Symlink => VerifyError::Symlink { file: path.clone() },
            _ => VerifyError::UnexpectedFile { file: path.clone() },
        });
    }

    // Largest first, so a big file starts at once instead of last.
    jobs.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.path.cmp(&b.path)));
    let results = parallel_with_buffer(&jobs, |job, buf| hash_job(dir, job, buf));
    let mut captured = None;
    for (job, result) in jobs.iter().zip(results) {
        match result {
            Err(source) => problems.push(VerifyError::Io {
                file: job.path.clone(),
                source,
            }),
            Ok((digest, bytes)) => {
                report.files_hashed += 1;
                report.bytes_hashed += digest.len;
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

fn hash_job(dir: &Path, job: &Job, buf: &mut [u8]) -> io::Result<(StreamDigest, Option<Vec<u8>>)> {
    let file = open_no_follow(&dir.join(&job.path))?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::other("not a regular file"));
    }
    // Never read more than one byte past the declared size.
    let mut limited = file.take(job.size.saturating_add(1));
    if job.capture {
        let mut bytes = Vec::with_capacity(usize::try_from(job.size).unwrap_or(0));
        limited.read_to_end(&mut bytes)?;
        let digest = StreamDigest {
            sha256: sha256_hex(&bytes),
            len: bytes.len() as u64,
        };
        Ok((digest, Some(bytes)))
    } else {
        Ok((hash_reader(limited, buf, job.size)?, None))
    }
}

#[cfg(unix)]
fn open_no_follow(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
}

#[cfg(not(unix))]
fn open_no_follow(path: &Path) -> io::Result<File> {
    if fs::symlink_metadata(path)?.file_type().is_symlink() {
        return Err(io::Error::other("is a symbolic link"));
    }
    OpenOptions::new().read(true).open(path)
}

fn read_manifest(dir: &Path, options: &VerifyOptions) -> Result<Manifest, VerifyError> {
    let file = MANIFEST_FILE.to_owned();
    match fs::symlink_metadata(dir) {
        Ok(meta) if meta.is_dir() || meta.file_type().is_symlink() => {}
        Ok(_) => {
            return Err(VerifyError::ManifestMissing {
                dir: dir.to_path_buf(),
            });
        }
        Err(source) => {
            return Err(VerifyError::Io {
                file: dir.display().to_string(),
                source,
            });
        }
    }
    let path = dir.join(MANIFEST_FILE);
    let meta = match fs::symlink_metadata(&path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(VerifyError::ManifestMissing {
                dir: dir.to_path_buf(),
            });
        }
        Err(source) => return Err(VerifyError::Io { file, source }),
    };
    if meta.file_type().is_symlink() {
        return Err(VerifyError::Symlink { file });
    }
    if !meta.is_file() {
        return Err(VerifyError::NotAFile { file });
    }
    if meta.len() > options.max_manifest_size {
        return Err(VerifyError::ManifestTooLarge {
            file,
            size: meta.len(),
            limit: options.max_manifest_size,
        });
    }
    let mut bytes = Vec::new();
    open_no_follow(&path)
        .and_then(|f| {
            f.take(options.max_manifest_size + 1)
                .read_to_end(&mut bytes)
        })
        .map_err(|source| VerifyError::Io {
            file: file.clone(),
            source,
        })?;
    if bytes.len() as u64 > options.max_manifest_size {
        return Err(VerifyError::ManifestTooLarge {
            file,
            size: bytes.len() as u64,
            limit: options.max_manifest_size,
        });
    }
    Manifest::parse(&bytes)
}

/// Lists everything under `dir` without following symlinks, keyed by
/// `/`-joined relative path; folders are descended into, not listed.
fn walk(dir: &Path, prefix: &str, found: &mut BTreeMap<String, Found>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        if rel == MANIFEST_FILE {
            continue;
        }
        let kind = entry.file_type()?;
        if kind.is_symlink() {
            found.insert(rel, Found::Symlink);
        } else if kind.is_dir() {
            walk(&entry.path(), &rel, found)?;
        } else if kind.is_file() {
            found.insert(rel, Found::File(entry.metadata()?.len()));
        } else {
            found.insert(rel, Found::Other);
        }
    }
    Ok(())
}
