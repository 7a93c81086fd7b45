//! `nb check`: is the notebook reproducible? Run it twice, each time in a fresh kernel and a
//! fresh copy of its folder, and compare every cell's text output and every exported artifact
//! (each file of it hashed here, and its manifest's `artifact_sha256`). Only what the run
//! wrote counts: artifacts already in the folder, exported by an earlier run in place, are
//! left out unless the run writes them again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use nbformat::v4::{Cell, Notebook};

/// linfa-export's signature file (`linfa_export::SIGNATURE_FILE`), the one file of an artifact
/// its manifest does not list.
const SIGNATURE_FILE: &str = "model.sig";
use sha2::{Digest, Sha256};

use super::folder::copy_folder;
use super::outputs;
use super::run::{RunError, RunOptions, run_notebook};

/// Why a check could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("run {run}: {error}")]
    Run { run: usize, error: RunError },
    #[error("cannot copy the notebook's folder {folder}: {reason}")]
    Copy { folder: PathBuf, reason: String },
}

/// What one run produced.
#[derive(Debug, Default)]
pub struct RunRecord {
    /// Per code cell: (1-based position, id, text output).
    pub cells: Vec<(usize, String, String)>,
    /// Per artifact folder (relative to the notebook's folder): file → sha256, plus the
    /// manifest's `artifact_sha256` under the key `artifact_sha256`.
    pub artifacts: BTreeMap<String, BTreeMap<String, String>>,
}

/// Runs `path` twice and returns both records.
pub async fn run_twice(
    path: &Path,
    notebook: &Notebook,
    options: &RunOptions,
) -> Result<[RunRecord; 2], CheckError> {
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut records: [RunRecord; 2] = Default::default();
    for (run, record) in records.iter_mut().enumerate() {
        let copy = tempfile_dir()?;
        copy_folder(folder, &copy, &[]).map_err(|reason| CheckError::Copy {
            folder: folder.to_owned(),
            reason,
        })?;
        let found_before = manifest_times(&copy);
        let mut executed = notebook.clone();
        if options.progress {
            eprintln!("run {} of 2, in a fresh kernel:", run + 1);
        }
        let result = run_notebook(&mut executed, &copy, options).await;
        *record = RunRecord {
            cells: cell_texts(&executed),
            artifacts: artifacts_in(&copy, &found_before),
        };
        let _ = std::fs::remove_dir_all(&copy);
        result.map_err(|error| CheckError::Run {
            run: run + 1,
            error,
        })?;
    }
    Ok(records)
}

/// Every difference between two runs, one line each.
pub fn differences(first: &RunRecord, second: &RunRecord) -> Vec<String> {
    let mut found = Vec::new();
    for ((number, id, a), (_, _, b)) in first.cells.iter().zip(&second.cells) {
        if a != b {
            found.push(format!(
                "cell {number} ({id}): output differs\n  first run:  {}\n  second run: {}",
                a.trim_end().replace('\n', "\n              "),
                b.trim_end().replace('\n', "\n              ")
            ));
        }
    }
    let folders: std::collections::BTreeSet<&String> = first
        .artifacts
        .keys()
        .chain(second.artifacts.keys())
        .collect();
    for folder in folders {
        match (first.artifacts.get(folder), second.artifacts.get(folder)) {
            (Some(a), Some(b)) => {
                for (file, digest) in a {
                    match b.get(file) {
                        Some(other) if other == digest => {}
                        Some(other) => found.push(format!(
                            "{folder}: {file} differs (sha256 {} then {})",
                            short(digest),
                            short(other)
                        )),
                        None => found.push(format!("{folder}: {file} only in the first run")),
                    }
                }
                for file in b.keys().filter(|f| !a.contains_key(*f)) {
                    found.push(format!("{folder}: {file} only in the second run"));
                }
            }
            (Some(_), None) => found.push(format!("{folder}: exported only in the first run")),
            _ => found.push(format!("{folder}: exported only in the second run")),
        }
    }
    found
}

fn short(digest: &str) -> &str {
    &digest[..digest.len().min(12)]
}

fn cell_texts(notebook: &Notebook) -> Vec<(usize, String, String)> {
    notebook
        .cells
        .iter()
        .enumerate()
        .filter_map(|(index, cell)| match cell {
            Cell::Code { id, outputs, .. } => {
                Some((index + 1, id.to_string(), outputs::text_of(outputs)))
            }
            _ => None,
        })
        .collect()
}

/// When each `manifest.json` under `root` was last written.
fn manifest_times(root: &Path) -> BTreeMap<PathBuf, SystemTime> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .flatten()
        .filter(|entry| entry.file_name() == "manifest.json")
        .filter_map(|entry| {
            Some((
                entry.path().to_owned(),
                entry.metadata().ok()?.modified().ok()?,
            ))
        })
        .collect()
}

/// Every linfa-export artifact (a folder with a `manifest.json`) under `root` whose manifest
/// is not as it was in `before`: exported, or exported again, since.
fn artifacts_in(
    root: &Path,
    before: &BTreeMap<PathBuf, SystemTime>,
) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut artifacts = BTreeMap::new();
    for entry in walkdir::WalkDir::new(root).into_iter().flatten() {
        if entry.file_name() != "manifest.json" {
            continue;
        }
        let written = entry.metadata().ok().and_then(|m| m.modified().ok());
        if written.is_some() && before.get(entry.path()) == written.as_ref() {
            continue;
        }
        let Some(folder) = entry.path().parent() else {
            continue;
        };
        let mut files = BTreeMap::new();
        if let Ok(text) = std::fs::read_to_string(entry.path())
            && let Ok(manifest) = serde_json::from_str::<serde_json::Value>(&text)
            && let Some(digest) = manifest["artifact_sha256"].as_str()
        {
            files.insert("artifact_sha256".to_owned(), digest.to_owned());
        }
        for file in walkdir::WalkDir::new(folder).into_iter().flatten() {
            // The export time is the one thing expected to differ, and a signature covers the
            // manifest that holds it: what the signature covers is compared file by file.
            let name = file.file_name();
            if file.file_type().is_file() && name != "manifest.json" && name != SIGNATURE_FILE {
                let relative = file.path().strip_prefix(folder).unwrap_or(file.path());
                if let Ok(bytes) = std::fs::read(file.path()) {
                    files.insert(
                        relative.to_string_lossy().into_owned(),
                        hex::encode(Sha256::digest(&bytes)),
                    );
                }
            }
        }
        let name = folder.strip_prefix(root).unwrap_or(folder);
        artifacts.insert(name.to_string_lossy().into_owned(), files);
    }
    artifacts
}

fn tempfile_dir() -> Result<PathBuf, CheckError> {
    let dir = std::env::temp_dir().join(format!("repronote-check-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).map_err(|e| CheckError::Copy {
        folder: dir.clone(),
        reason: e.to_string(),
    })?;
    Ok(dir)
}

/// Copies the files a notebook may read (hidden entries and symbolic links left out).
#[cfg(test)]
mod tests {
    use super::*;

    fn record(cells: &[&str], artifacts: &[(&str, &str, &str)]) -> RunRecord {
        let mut record = RunRecord::default();
        for (i, text) in cells.iter().enumerate() {
            record
                .cells
                .push((i + 1, format!("c{i}"), (*text).to_owned()));
        }
        for (folder, file, digest) in artifacts {
            record
                .artifacts
                .entry((*folder).to_owned())
                .or_default()
                .insert((*file).to_owned(), (*digest).to_owned());
        }
        record
    }

    #[test]
    fn identical_runs_have_no_differences() {
        let run = record(&["[stdout] 1\n"], &[("m", "model.json", "aa")]);
        assert!(differences(&run, &run).is_empty());
    }

    #[test]
    fn every_kind_of_difference_is_named() {
        let first = record(
            &["[stdout] 1\n", "same"],
            &[("m", "model.json", "aaaa"), ("gone", "model.json", "cc")],
        );
        let second = record(
            &["[stdout] 2\n", "same"],
            &[("m", "model.json", "bbbb"), ("new", "model.json", "dd")],
        );
        let found = differences(&first, &second).join("\n");
        assert!(found.contains("cell 1 (c0): output differs"), "{found}");
        assert!(!found.contains("cell 2"), "{found}");
        assert!(
            found.contains("m: model.json differs (sha256 aaaa then bbbb)"),
            "{found}"
        );
        assert!(
            found.contains("gone: exported only in the first run"),
            "{found}"
        );
        assert!(
            found.contains("new: exported only in the second run"),
            "{found}"
        );
    }

    #[test]
    fn artifacts_are_found_and_their_files_hashed() {
        let dir = tempfile::tempdir().unwrap();
        let artifact = dir.path().join("out/model");
        std::fs::create_dir_all(&artifact).unwrap();
        std::fs::write(
            artifact.join("manifest.json"),
            r#"{"artifact_sha256": "abc"}"#,
        )
        .unwrap();
        std::fs::write(artifact.join("model.json"), "{}").unwrap();
        std::fs::write(artifact.join(SIGNATURE_FILE), "{\"signed\": 1}").unwrap();
        let found = artifacts_in(dir.path(), &BTreeMap::new());
        let files = &found["out/model"];
        assert_eq!(files["artifact_sha256"], "abc");
        assert_eq!(files["model.json"], hex::encode(Sha256::digest(b"{}")));
        assert!(!files.contains_key("manifest.json"));
        // A signature covers the manifest (and its export time): what it signs is compared.
        assert!(!files.contains_key(SIGNATURE_FILE));
    }

    #[test]
    fn artifacts_that_were_there_before_the_run_are_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let write_artifact = |name: &str| {
            let folder = dir.path().join(name);
            std::fs::create_dir_all(&folder).unwrap();
            std::fs::write(
                folder.join("manifest.json"),
                r#"{"artifact_sha256": "abc"}"#,
            )
            .unwrap();
        };
        write_artifact("earlier");
        let before = manifest_times(dir.path());
        write_artifact("this-run");
        let found = artifacts_in(dir.path(), &before);
        assert_eq!(found.keys().collect::<Vec<_>>(), ["this-run"]);
    }
}
