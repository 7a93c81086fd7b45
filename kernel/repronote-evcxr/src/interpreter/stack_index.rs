//! The stack's index ([`repronote_stack_index`]): written when the stack is built, read by a
//! session when first needed. Completion and inspection of stack items read it (see
//! [`super::stack_completion`]), and so does typing, which writes a probed type that runs through
//! a private module through the public alias naming it (see `evcxr/public_types.rs`).
//!
//! The index's format is part of the stack's cache key (`repronote_stack::manifest::StackKey`),
//! so a kernel finds either no prebuilt stack or one whose index it reads.

use std::path::{Path, PathBuf};

use repronote_stack_index::{CrateSource, IndexError, StackIndex};

/// The index's file in the target folder (published with the prebuilt stack).
pub const INDEX_FILE: &str = "repronote-stack-index.json";

/// Why the index could not be built.
#[derive(Debug, thiserror::Error)]
pub enum IndexBuildError {
    #[error("cannot list the stack's crates with `cargo metadata` in {dir}: {message}")]
    Metadata { dir: PathBuf, message: String },
    #[error(transparent)]
    Index(#[from] IndexError),
}

/// The stack's crates (the direct dependencies of the cells' crate, as cargo resolved them in
/// `crate_dir`), by the names cells use for them.
pub fn stack_sources(crate_dir: &Path) -> Result<Vec<CrateSource>, IndexBuildError> {
    let metadata = cargo_metadata::MetadataCommand::new()
        .current_dir(crate_dir)
        .other_options(vec!["--offline".to_owned()])
        .exec()
        .map_err(|error| IndexBuildError::Metadata {
            dir: crate_dir.to_owned(),
            message: error.to_string(),
        })?;
    let missing = || IndexBuildError::Metadata {
        dir: crate_dir.to_owned(),
        message: "no resolved root package".to_owned(),
    };
    let resolve = metadata.resolve.as_ref().ok_or_else(missing)?;
    let root = resolve.root.as_ref().ok_or_else(missing)?;
    let node = resolve
        .nodes
        .iter()
        .find(|node| &node.id == root)
        .ok_or_else(missing)?;
    let sources = node
        .deps
        .iter()
        .filter_map(|dependency| {
            let package = metadata.packages.iter().find(|p| p.id == dependency.pkg)?;
            let library = package
                .targets
                .iter()
                .find(|target| target.kind.iter().any(|kind| kind.to_string() == "lib"))?;
            Some(CrateSource {
                name: dependency.name.clone(),
                root: library.src_path.clone().into_std_path_buf(),
            })
        })
        .collect();
    Ok(sources)
}

/// Indexes the stack resolved in `crate_dir` into `target`'s index file.
pub fn write_index(crate_dir: &Path, target: &Path) -> Result<(), IndexBuildError> {
    let started = std::time::Instant::now();
    let sources = stack_sources(crate_dir)?;
    let index = StackIndex::build(&sources)?;
    index.save(&target.join(INDEX_FILE))?;
    tracing::info!(
        "indexed {} stack crates for completion in {:.1?}",
        sources.len(),
        started.elapsed()
    );
    Ok(())
}

/// The session's index, read when first asked for.
#[derive(Debug)]
pub struct SessionIndex {
    /// The index file, until it is read.
    file: Option<PathBuf>,
    index: Option<StackIndex>,
}

impl SessionIndex {
    /// For a session whose stack's target folder is `target` (`None`: the kernel runs without
    /// the stack).
    pub fn new(target: Option<&Path>) -> Self {
        Self {
            file: target.map(|target| target.join(INDEX_FILE)),
            index: None,
        }
    }

    /// The index, read at the first call; `None` when there is none.
    pub fn get(&mut self) -> Option<&StackIndex> {
        if let Some(file) = self.file.take() {
            self.index = StackIndex::load(&file)
                .map_err(|error| {
                    tracing::warn!(
                        "stack completion is off: {error}; `repronote prebuild --force` \
                         builds the stack and its index again"
                    )
                })
                .ok();
        }
        self.index.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_target_means_no_index() {
        assert!(SessionIndex::new(None).get().is_none());
    }

    #[test]
    fn a_missing_or_unreadable_index_is_none_and_read_once() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut index = SessionIndex::new(Some(dir.path()));
        assert!(index.get().is_none());
        // Written afterwards: the session does not read it again.
        StackIndex::default()
            .save(&dir.path().join(INDEX_FILE))
            .expect("save");
        assert!(index.get().is_none());
    }

    #[test]
    fn an_index_of_another_format_is_none() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join(INDEX_FILE),
            r#"{"v":1,"c":[],"m":[],"t":{}}"#,
        )
        .expect("write");
        assert!(SessionIndex::new(Some(dir.path())).get().is_none());
    }
}
