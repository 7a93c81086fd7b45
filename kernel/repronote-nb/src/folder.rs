//! The copy of a notebook's folder that a run works in, so that a run never changes the user's
//! files: `nb check` runs each of its two runs in one, `nb reproduce` its re-run.

use std::path::Path;

/// The most a folder may hold to be copied for a run.
const MAX_FOLDER_BYTES: u64 = 512 * 1024 * 1024;

/// Copies what `from` holds into `to`, leaving out hidden entries (checkpoints, `.git`) and
/// `skip` (the artifacts a re-run is to write again). The error is the reason, for the caller's
/// error to carry with the folder's name.
pub(crate) fn copy_folder(from: &Path, to: &Path, skip: &[&Path]) -> Result<(), String> {
    let mut total = 0u64;
    let entries = walkdir::WalkDir::new(from)
        .min_depth(1)
        .into_iter()
        .filter_entry(|e| {
            !e.file_name().to_string_lossy().starts_with('.')
                && !skip.iter().any(|skip| same_path(e.path(), skip))
        });
    for entry in entries {
        let entry = entry.map_err(|e| e.to_string())?;
        let target = to.join(entry.path().strip_prefix(from).map_err(|e| e.to_string())?);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).map_err(|e| e.to_string())?;
        } else if entry.file_type().is_file() {
            total += entry.metadata().map_err(|e| e.to_string())?.len();
            if total > MAX_FOLDER_BYTES {
                return Err(format!(
                    "it holds more than {} MiB; move the notebook to a folder with only what it reads",
                    MAX_FOLDER_BYTES / 1024 / 1024
                ));
            }
            std::fs::copy(entry.path(), &target).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

fn same_path(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_is_copied_without_hidden_entries() {
        let from = tempfile::tempdir().unwrap();
        let to = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(from.path().join("data")).unwrap();
        std::fs::write(from.path().join("data/x.csv"), "1").unwrap();
        std::fs::create_dir_all(from.path().join(".ipynb_checkpoints")).unwrap();
        std::fs::write(from.path().join(".ipynb_checkpoints/n.ipynb"), "{}").unwrap();
        copy_folder(from.path(), to.path(), &[]).unwrap();
        assert!(to.path().join("data/x.csv").is_file());
        assert!(!to.path().join(".ipynb_checkpoints").exists());
    }

    #[test]
    fn the_skipped_folder_is_left_out() {
        let from = tempfile::tempdir().unwrap();
        let to = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(from.path().join("model")).unwrap();
        std::fs::write(from.path().join("model/manifest.json"), "{}").unwrap();
        std::fs::write(from.path().join("data.csv"), "1").unwrap();
        copy_folder(from.path(), to.path(), &[&from.path().join("model")]).unwrap();
        assert!(to.path().join("data.csv").is_file());
        assert!(!to.path().join("model").exists());
    }
}
