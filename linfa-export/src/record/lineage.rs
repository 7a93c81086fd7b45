//! Lineage: the verified artifacts an export was built on, recorded without being asked.
//!
//! A model trained on another model's predictions, or fine-tuned from its weights, is only as
//! trustworthy as that parent. A person forgets to say so; the library does not: every
//! successful [`load`](crate::model::load) (and every verification that says the artifact holds)
//! appends the artifact to the session's lineage, and every later export records those
//! parents in its manifest (`lineage`), each with the parent's own recorded lineage copied in,
//! so the whole chain is visible from the child alone, and covered by its digest.
//!
//! Where the session's lineage lives:
//!
//! - inside a repronote kernel, in the JSON file named by [`SESSION_LINEAGE_ENV`]. Each cell
//!   is a separately loaded library there, so a `static` would be empty again in the next
//!   cell; the file is read, changed and written back whole (into a temporary file beside it,
//!   then renamed over it, so a crash leaves the old list or the new one). Its format:
//!   `{"parents": [Parent…], "exported": ["<artifact_sha256>"…]}`, parents in the order they
//!   were first loaded;
//! - in a plain Rust program (the variable unset), in a process-global list.
//!
//! `exported` lists what the session itself exported. Verifying a folder you just wrote is a
//! check of your own work, not a dependency on it, so a verification of such an artifact does
//! not make it a parent; loading it does (a model loaded is a model used).
//!
//! A parent is identified by its `artifact_sha256`: the same artifact loaded twice is one
//! parent, and a signer learnt on a later load is kept.
//!
//! The [`Parent`] record itself is part of the manifest's format (`format::parent`); this
//! module decides which artifacts become parents and remembers them for the session.

use std::fmt;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use serde::{Deserialize, Serialize};

use crate::format::error::{ParamsError, VerifyError};
use crate::format::manifest::Manifest;
use crate::format::parent::{Parent, add};
use crate::trust::policy::{Assurance, Verified};

/// Names the file holding the running session's lineage (set by the kernel).
pub use repronote_prelude::contract::LINEAGE_FILE_ENV as SESSION_LINEAGE_ENV;

impl Parent {
    /// The parent record of the artifact `manifest` describes, loaded from `dir` with
    /// `assurance`.
    pub fn of(manifest: &Manifest, assurance: &Assurance, dir: Option<&Path>) -> Parent {
        let name = if manifest.card.name.trim().is_empty() {
            dir.and_then(Path::file_name)
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| manifest.model.model_type.clone())
        } else {
            manifest.card.name.clone()
        };
        Parent {
            artifact_sha256: manifest.artifact_sha256.clone(),
            name,
            model_type: manifest.model.full_type(),
            signer: assurance.signer.clone(),
            lineage: manifest.lineage.clone(),
        }
    }
}

impl From<&Verified> for Parent {
    fn from(verified: &Verified) -> Parent {
        Parent::of(&verified.manifest, &verified.assurance, Some(&verified.dir))
    }
}

/// The session's record: its parents and the artifacts it exported itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionLineage {
    #[serde(default)]
    parents: Vec<Parent>,
    #[serde(default)]
    exported: Vec<String>,
}

/// The list of a plain program (no session file).
static IN_PROCESS: Mutex<SessionLineage> = Mutex::new(SessionLineage {
    parents: Vec::new(),
    exported: Vec::new(),
});
/// Serializes read-modify-write of the session file among this library's threads.
static FILE_LOCK: Mutex<()> = Mutex::new(());

fn session_file() -> Option<PathBuf> {
    std::env::var_os(SESSION_LINEAGE_ENV).map(PathBuf::from)
}

/// Reads the session file; a file that does not exist yet (or is empty) is an empty lineage.
fn read_file(path: &Path) -> Result<SessionLineage, String> {
    match std::fs::read(path) {
        Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => Ok(SessionLineage::default()),
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| format!("not a lineage file: {e}")),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(SessionLineage::default()),
        Err(e) => Err(e.to_string()),
    }
}

fn write_file(path: &Path, lineage: &SessionLineage) -> Result<(), String> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut text = serde_json::to_string_pretty(lineage).map_err(|e| e.to_string())?;
    text.push('\n');
    let mut temp = tempfile::Builder::new()
        .prefix(".lineage-")
        .tempfile_in(dir)
        .map_err(|e| format!("cannot create a temporary file in {}: {e}", dir.display()))?;
    temp.write_all(text.as_bytes())
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|e| e.to_string())?;
    temp.persist(path).map_err(|e| e.error.to_string())?;
    Ok(())
}

/// Changes the session's lineage with `change`, in the file or in the process.
fn update(change: impl FnOnce(&mut SessionLineage)) -> Result<(), (PathBuf, String)> {
    match session_file() {
        None => {
            change(&mut IN_PROCESS.lock().unwrap_or_else(PoisonError::into_inner));
            Ok(())
        }
        Some(path) => {
            let _guard = FILE_LOCK.lock().unwrap_or_else(PoisonError::into_inner);
            let mut lineage = read_file(&path).map_err(|e| (path.clone(), e))?;
            let before = lineage.clone();
            change(&mut lineage);
            if lineage != before {
                write_file(&path, &lineage).map_err(|e| (path.clone(), e))?;
            }
            Ok(())
        }
    }
}

/// Why a parent was seen: loading it always makes it a parent, verifying it only when this
/// session did not export it itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Use {
    Loaded,
    Verified,
}

/// Appends `parent` to the session's lineage.
///
/// A failure is returned, not only logged: in a notebook nobody sees a log line, and an export
/// after a load whose lineage was lost would silently claim no parent. The caller turns it
/// into a [`VerifyError::SessionLineage`], which says the model verified and what to fix.
pub(crate) fn record(parent: Parent, how: Use) -> Result<(), VerifyError> {
    let digest = parent.artifact_sha256.clone();
    update(|lineage| {
        if how == Use::Verified && lineage.exported.contains(&parent.artifact_sha256) {
            return;
        }
        add(&mut lineage.parents, parent);
    })
    .map_err(|(path, reason)| VerifyError::SessionLineage { path, reason })?;
    tracing::debug!(parent = %digest, "recorded in the session's lineage");
    Ok(())
}

/// Notes that this session exported `digest`, so verifying it later is not a dependency.
///
/// The export is complete when this runs, so a failure is logged, not returned: the worst it
/// can do is let a later verification of this very artifact count as a parent, which the
/// child's card then shows.
pub(crate) fn record_export(digest: &str) {
    if let Err((path, reason)) = update(|lineage| {
        if !lineage.exported.iter().any(|d| d == digest) {
            lineage.exported.push(digest.to_owned());
        }
    }) {
        tracing::warn!(
            file = %path.display(),
            "could not note the export {digest} in the session's lineage: {reason}"
        );
    }
}

/// The parents this session has loaded or verified, in order of first use: what the next
/// export records unless told otherwise
/// ([`without_session_lineage`](crate::ExportParams::without_session_lineage)).
pub fn session_lineage() -> Result<Vec<Parent>, ParamsError> {
    match session_file() {
        None => Ok(IN_PROCESS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .parents
            .clone()),
        Some(path) => read_file(&path)
            .map(|l| l.parents)
            .map_err(|reason| ParamsError::SessionLineage { path, reason }),
    }
}

/// What differs between the parents an artifact records and the parents someone says it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineageMismatch {
    /// A given parent is not among the recorded ones.
    Unexpected {
        /// Where the given parent is.
        dir: PathBuf,
        name: String,
        artifact_sha256: String,
    },
    /// A recorded parent was not given.
    Missing {
        name: String,
        artifact_sha256: String,
    },
}

impl fmt::Display for LineageMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unexpected {
                dir,
                name,
                artifact_sha256,
            } => write!(
                f,
                "unexpected parent {} (`{name}`, sha256 {artifact_sha256}): the artifact does not record it as a parent",
                dir.display()
            ),
            Self::Missing {
                name,
                artifact_sha256,
            } => write!(
                f,
                "missing parent `{name}` (sha256 {artifact_sha256}): the artifact records it as a parent, but it was not given"
            ),
        }
    }
}

/// Compares the direct parents `child` records with the verified artifacts `given`, as sets
/// of artifact digests; empty when they agree.
pub fn check_parents(child: &Manifest, given: &[Verified]) -> Vec<LineageMismatch> {
    let mut problems = Vec::new();
    for verified in given {
        if !child
            .lineage
            .iter()
            .any(|p| p.artifact_sha256 == verified.manifest.artifact_sha256)
        {
            problems.push(LineageMismatch::Unexpected {
                dir: verified.dir.clone(),
                name: verified.manifest.card.name.clone(),
                artifact_sha256: verified.manifest.artifact_sha256.clone(),
            });
        }
    }
    for parent in &child.lineage {
        if !given
            .iter()
            .any(|v| v.manifest.artifact_sha256 == parent.artifact_sha256)
        {
            problems.push(LineageMismatch::Missing {
                name: parent.name.clone(),
                artifact_sha256: parent.artifact_sha256.clone(),
            });
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::fixtures::kmeans_parent as parent;

    #[test]
    fn the_session_file_is_read_modified_and_written_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lineage.json");
        assert_eq!(read_file(&path).unwrap(), SessionLineage::default());
        std::fs::write(&path, "").unwrap();
        assert_eq!(read_file(&path).unwrap(), SessionLineage::default());
        let lineage = SessionLineage {
            parents: vec![parent('a', None)],
            exported: vec!["c".repeat(64)],
        };
        write_file(&path, &lineage).unwrap();
        assert_eq!(read_file(&path).unwrap(), lineage);
        std::fs::write(&path, "[1, 2").unwrap();
        assert!(read_file(&path).unwrap_err().contains("not a lineage file"));
    }
}
