//! Reading and writing `.ipynb` files (nbformat 4; older 4.x and 3 are upgraded on read).

use std::path::{Path, PathBuf};

use nbformat::v4::{Cell, Notebook};

/// Why a notebook could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum NotebookError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a notebook this tool can read: {reason}; the file was left as it is")]
    Malformed { path: PathBuf, reason: String },
    #[error("cannot write {path}: {reason}; the original file is unchanged")]
    Write { path: PathBuf, reason: String },
}

/// Reads a notebook, upgrading nbformat 3 and 4.0–4.4 to 4.5 in memory.
pub fn read_notebook(path: &Path) -> Result<Notebook, NotebookError> {
    let text = std::fs::read_to_string(path).map_err(|source| NotebookError::Read {
        path: path.to_owned(),
        source,
    })?;
    let malformed = |reason: String| NotebookError::Malformed {
        path: path.to_owned(),
        reason,
    };
    match nbformat::parse_notebook(&text).map_err(|e| malformed(e.to_string()))? {
        nbformat::Notebook::V4(notebook) => Ok(notebook),
        nbformat::Notebook::V4QuirksMode(quirks) => Ok(quirks.repair()),
        nbformat::Notebook::Legacy(legacy) => {
            nbformat::upgrade_legacy_notebook(legacy).map_err(|e| malformed(e.to_string()))
        }
        nbformat::Notebook::V3(v3) => {
            nbformat::upgrade_v3_notebook(v3).map_err(|e| malformed(e.to_string()))
        }
        _ => Err(malformed(
            "an nbformat version this tool does not know".to_owned(),
        )),
    }
}

/// Writes `notebook` to `path` as Jupyter does (sorted keys, one-space indent), replacing any
/// file there only once the new one is complete.
pub fn write_notebook(path: &Path, notebook: &Notebook) -> Result<(), NotebookError> {
    let failed = |reason: String| NotebookError::Write {
        path: path.to_owned(),
        reason,
    };
    let text = nbformat::serialize_notebook(&nbformat::Notebook::V4(notebook.clone()))
        .map_err(|e| failed(e.to_string()))?;
    let name = path
        .file_name()
        .ok_or_else(|| failed("the path names no file".to_owned()))?;
    let temporary = path.with_file_name(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    std::fs::write(&temporary, text).map_err(|e| failed(e.to_string()))?;
    std::fs::rename(&temporary, path).map_err(|e| {
        let _ = std::fs::remove_file(&temporary);
        failed(e.to_string())
    })
}

/// A code cell's source as one string; `None` for other cells.
pub fn code_source(cell: &Cell) -> Option<String> {
    match cell {
        Cell::Code { source, .. } => Some(source.concat()),
        _ => None,
    }
}

/// Source text as nbformat stores it: lines, each but the last ending in `\n`.
pub fn source_lines(text: &str) -> Vec<String> {
    text.split_inclusive('\n').map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r##"{
 "cells": [
  {"cell_type": "code", "id": "a1", "metadata": {}, "execution_count": 3,
   "source": ["let x = 1;\n", "x"], "outputs": []},
  {"cell_type": "markdown", "id": "b2", "metadata": {}, "source": "# Title"}
 ],
 "metadata": {"kernelspec": {"name": "linfa", "display_name": "Rust (linfa)", "language": "rust"}},
 "nbformat": 4,
 "nbformat_minor": 5
}"##;

    #[test]
    fn a_notebook_round_trips_and_is_written_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("n.ipynb");
        std::fs::write(&path, MINIMAL).unwrap();
        let notebook = read_notebook(&path).unwrap();
        assert_eq!(code_source(&notebook.cells[0]).unwrap(), "let x = 1;\nx");
        assert_eq!(code_source(&notebook.cells[1]), None);
        write_notebook(&path, &notebook).unwrap();
        let again = read_notebook(&path).unwrap();
        assert_eq!(again.cells.len(), 2);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert_eq!(names.len(), 1, "no temporary file is left behind");
    }

    #[test]
    fn malformed_files_are_named_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broken.ipynb");
        std::fs::write(&path, "{ \"cells\": [").unwrap();
        let error = read_notebook(&path).unwrap_err().to_string();
        assert!(
            error.contains("broken.ipynb") && error.contains("left as it is"),
            "{error}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{ \"cells\": [");
        std::fs::write(
            &path,
            r#"{"nbformat": 9, "nbformat_minor": 0, "cells": []}"#,
        )
        .unwrap();
        assert!(
            read_notebook(&path)
                .unwrap_err()
                .to_string()
                .contains("9.0")
        );
        let missing = read_notebook(&dir.path().join("absent.ipynb")).unwrap_err();
        assert!(missing.to_string().contains("absent.ipynb"));
    }

    #[test]
    fn source_lines_keep_newlines_like_nbformat() {
        assert_eq!(source_lines("a\nb"), ["a\n", "b"]);
        assert_eq!(source_lines("a\n"), ["a\n"]);
        assert!(source_lines("").is_empty());
    }
}
