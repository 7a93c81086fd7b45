//! Reading an artifact folder without trusting it.
//!
//! Everything here refuses to follow symbolic links (`O_NOFOLLOW`, `symlink_metadata`) and
//! never reads more than a declared or configured size plus one byte, so a hostile folder can
//! neither point the verifier at files outside it nor keep it reading forever.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

use crate::format::digest::sha256_hex;
use crate::format::error::VerifyError;
use crate::format::manifest::{MANIFEST_FILE, Manifest, SIGNATURE_FILE};
use crate::integrity::hashing::{StreamDigest, hash_reader};

/// What is on disk at one relative path, found without following links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Found {
    File(u64),
    Symlink,
    Other,
}

/// One listed file to hash: where, the size and digest the manifest declares, and whether
/// `load` keeps its bytes to decode.
pub(crate) struct Job {
    pub(crate) path: String,
    pub(crate) size: u64,
    pub(crate) expected: String,
    pub(crate) capture: bool,
}

/// Hashes one listed file through `buf`, never reading past its declared size plus one byte.
pub(crate) fn hash_job(
    dir: &Path,
    job: &Job,
    buf: &mut [u8],
) -> io::Result<(StreamDigest, Option<Vec<u8>>)> {
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
pub(crate) fn open_no_follow(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
}

#[cfg(not(unix))]
pub(crate) fn open_no_follow(path: &Path) -> io::Result<File> {
    if fs::symlink_metadata(path)?.file_type().is_symlink() {
        return Err(io::Error::other("is a symbolic link"));
    }
    OpenOptions::new().read(true).open(path)
}

/// Reads and parses `dir/manifest.json`: not through a link, and at most `limit` bytes.
pub(crate) fn read_manifest(dir: &Path, limit: u64) -> Result<Manifest, VerifyError> {
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
    if meta.len() > limit {
        return Err(VerifyError::ManifestTooLarge {
            file,
            size: meta.len(),
            limit,
        });
    }
    let mut bytes = Vec::new();
    open_no_follow(&path)
        .and_then(|f| f.take(limit + 1).read_to_end(&mut bytes))
        .map_err(|source| VerifyError::Io {
            file: file.clone(),
            source,
        })?;
    if bytes.len() as u64 > limit {
        return Err(VerifyError::ManifestTooLarge {
            file,
            size: bytes.len() as u64,
            limit,
        });
    }
    Manifest::parse(&bytes)
}

/// Lists everything under `dir` without following symlinks, keyed by
/// `/`-joined relative path; folders are descended into, not listed.
pub(crate) fn walk(
    dir: &Path,
    prefix: &str,
    found: &mut BTreeMap<String, Found>,
) -> io::Result<()> {
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

/// The bytes of `dir/model.sig`, or `None` when there is none. Read like the manifest: not
/// through a link, and at most `limit` bytes.
pub(crate) fn read_signature_file(dir: &Path, limit: u64) -> Result<Option<Vec<u8>>, VerifyError> {
    let file = SIGNATURE_FILE.to_owned();
    let path = dir.join(SIGNATURE_FILE);
    let meta = match fs::symlink_metadata(&path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(VerifyError::Io { file, source }),
    };
    if meta.file_type().is_symlink() {
        return Err(VerifyError::Symlink { file });
    }
    if !meta.is_file() {
        return Err(VerifyError::NotAFile { file });
    }
    let mut bytes = Vec::new();
    open_no_follow(&path)
        .and_then(|f| f.take(limit.saturating_add(1)).read_to_end(&mut bytes))
        .map_err(|source| VerifyError::Io {
            file: file.clone(),
            source,
        })?;
    if bytes.len() as u64 > limit {
        return Err(VerifyError::SignatureUnreadable {
            file,
            reason: format!("larger than the {limit}-byte limit for a signature"),
        });
    }
    Ok(Some(bytes))
}
