//! Completion and inspection of the preloaded stack's items, from an index built with it.
//!
//! rust-analyzer in the kernel sees std only (the stack reaches rustc by flags, see
//! [`crate::stack_externs`]), so it cannot complete `linfa_clustering::KMe` or `model.`. When
//! the stack is built, its crates' sources are indexed ([`repronote_stack_index`]) into a file
//! published with the build; a session loads it at its first completion request and answers
//! from it for stack paths and for variables whose type is a stack type. Everything else (std,
//! the cell's own items) still goes to rust-analyzer.

use std::path::{Path, PathBuf};

use repronote_stack_index::{CompletionSite, CrateSource, ItemKind, StackIndex, completion_site};

/// The index's file in the target folder (published with the prebuilt stack).
pub const INDEX_FILE: &str = "repronote-stack-index.json";

/// Why the index could not be built.
#[derive(Debug, thiserror::Error)]
pub enum IndexBuildError {
    #[error("cannot list the stack's crates with `cargo metadata` in {dir}: {message}")]
    Metadata { dir: PathBuf, message: String },
    #[error(transparent)]
    Index(#[from] repronote_stack_index::IndexError),
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

/// The session's index, loaded when first asked for.
#[derive(Debug)]
pub struct StackCompletion {
    file: Option<PathBuf>,
    index: Option<StackIndex>,
}

/// Completions found in the index: byte offsets into the cell and the names.
#[derive(Debug, PartialEq, Eq)]
pub struct Found {
    pub start: usize,
    pub end: usize,
    pub names: Vec<String>,
}

impl StackCompletion {
    /// For a session whose target folder is `target` (`None`: the kernel runs without the stack).
    pub fn new(target: Option<&Path>) -> Self {
        Self {
            file: target.map(|target| target.join(INDEX_FILE)),
            index: None,
        }
    }

    fn index(&mut self) -> Option<&StackIndex> {
        if self.index.is_none() {
            let file = self.file.take()?;
            match StackIndex::load(&file) {
                Ok(index) => self.index = Some(index),
                Err(error) => tracing::warn!("stack completion is off: {error}"),
            }
        }
        self.index.as_ref()
    }

    /// Completions for the stack at byte offset `cursor`, given the session's variables and
    /// their types; `None` when the code there is not about the stack.
    pub fn complete<'a>(
        &mut self,
        code: &str,
        cursor: usize,
        variables: impl Iterator<Item = (&'a str, &'a str)>,
    ) -> Option<Found> {
        let site = completion_site(code, cursor)?;
        let index = self.index()?;
        let is_stack_crate = |name: &str| index.crate_names().any(|c| c == name);
        let (start, names) = match site {
            CompletionSite::Path {
                path,
                prefix,
                start,
            } => {
                if !path.first().is_some_and(|first| is_stack_crate(first)) {
                    return None;
                }
                let path: Vec<&str> = path.iter().map(String::as_str).collect();
                (start, index.path_items(&path, &prefix))
            }
            CompletionSite::Method {
                receiver,
                prefix,
                start,
            } => {
                let (_, ty) = variables
                    .into_iter()
                    .find(|(name, _)| *name == receiver.as_str())?;
                let first = ty.trim_start_matches(['&', ' ']).trim_start_matches("mut ");
                if !is_stack_crate(first.split("::").next().unwrap_or_default()) {
                    return None;
                }
                (start, index.methods(ty, &prefix))
            }
        };
        let mut names: Vec<String> = names.into_iter().map(|c| c.name).collect();
        names.dedup();
        Some(Found {
            start,
            end: cursor,
            names,
        })
    }

    /// What the index says about the stack path that ends at or around byte offset `cursor`
    /// (`linfa_clustering::KMeans`): its kind, full path and the first paragraph of its doc.
    pub fn inspect(&mut self, code: &str, cursor: usize) -> Option<String> {
        let end = code[cursor.min(code.len())..]
            .char_indices()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
            .map_or(code.len(), |(at, _)| cursor + at);
        let CompletionSite::Path {
            mut path, prefix, ..
        } = completion_site(code, end)?
        else {
            return None;
        };
        path.push(prefix);
        let index = self.index()?;
        if !index.crate_names().any(|c| c == path[0]) {
            return None;
        }
        let path: Vec<&str> = path.iter().map(String::as_str).collect();
        let (kind, doc) = index.doc(&path)?;
        Some(format!("{} {}\n\n{doc}", kind_word(kind), path.join("::")))
    }
}

fn kind_word(kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::Module => "mod",
        ItemKind::Struct => "struct",
        ItemKind::Enum => "enum",
        ItemKind::Trait => "trait",
        ItemKind::Function | ItemKind::Method => "fn",
        ItemKind::TypeAlias => "type",
        ItemKind::Const => "const",
        ItemKind::Static => "static",
        ItemKind::Macro => "macro",
        ItemKind::Variant => "variant",
    }
}
