//! The stack's cache on disk, and the kernel sessions that use it.
//!
//! ```text
//! <cache root>/                    $REPRONOTE_CACHE, else ~/.cache/repronote
//!   stack-<key>/target/            a published build of the stack
//!   stack-<key>/stack.json         what it was built from
//!   sessions/<pid>-<id>/crate/     one kernel's evcxr crate (EVCXR_TMPDIR); removed at exit
//!   lint-<key>/                    the crate `nb lint` runs clippy on, and its target/
//! ```
//!
//! A session starts with a copy of a template's `target/` in which every large build output
//! (rlib, rmeta, shared object) is a hard link and the small files cargo rewrites (fingerprints,
//! dep-info, build-script output) are real copies. rustc and the linker replace an output by
//! writing a new file rather than writing into the old one, so a session that rebuilds a
//! dependency (say, after `:dep ndarray = { features = [...] }`) leaves the template's copy
//! alone. Every copy keeps its modification time: cargo decides what is stale by comparing
//! them, and a copy that looked newer than the outputs built after it would make cargo rebuild
//! the whole stack. Publishing is the reverse, into a hidden folder renamed into place: a
//! template is either whole or absent, and of two kernels that build the same key at once the
//! second simply finds the first one's.

mod session;
mod tree;

pub use session::Session;
use tree::{clone_tree, remove_tree};

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::manifest::StackKey;

/// The environment variable that moves the cache (tests and CI use it).
pub use repronote_prelude::contract::CACHE_ENV;

/// The cache cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error(
        "no cache directory: set {CACHE_ENV} to a writable folder (HOME and XDG_CACHE_HOME are unset)"
    )]
    NoCacheDir,
    #[error(
        "cannot {action} {path}: {source}. Check the folder's permissions and free space, or set {CACHE_ENV} to another folder"
    )]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> CacheError {
    let path = path.to_owned();
    move |source| CacheError::Io {
        action,
        path,
        source,
    }
}

/// What the cache holds for a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateStatus {
    /// A published build: its `target/` folder.
    Ready(PathBuf),
    /// Nothing was built yet.
    Missing,
    /// Only builds for other keys exist (another kernel version, lock or compiler).
    Stale { found: Vec<String> },
}

/// The stack cache's root folder.
#[derive(Debug, Clone)]
pub struct StackCache {
    root: PathBuf,
}

impl StackCache {
    /// The cache at `$REPRONOTE_CACHE`, else in the user's cache folder.
    pub fn open() -> Result<Self, CacheError> {
        let root = match std::env::var_os(CACHE_ENV) {
            Some(dir) if !dir.is_empty() => PathBuf::from(dir),
            _ => dirs::cache_dir()
                .ok_or(CacheError::NoCacheDir)?
                .join("repronote"),
        };
        Ok(Self::at(root))
    }

    pub fn at(root: PathBuf) -> Self {
        Self { root }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn template_dir(&self, key: &StackKey) -> PathBuf {
        self.root.join(format!("stack-{key}"))
    }

    pub fn status(&self, key: &StackKey) -> TemplateStatus {
        let target = self.template_dir(key).join("target");
        if target.join(".published").is_file() {
            return TemplateStatus::Ready(target);
        }
        let found = self.other_templates(key);
        if found.is_empty() {
            TemplateStatus::Missing
        } else {
            TemplateStatus::Stale { found }
        }
    }

    fn other_templates(&self, key: &StackKey) -> Vec<String> {
        let Ok(entries) = fs::read_dir(&self.root) else {
            return Vec::new();
        };
        let mut found: Vec<String> = entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|name| *name != format!("stack-{key}") && same_profile(name, key))
            .collect();
        found.sort();
        found
    }

    /// Removes the published build for `key`, if any.
    pub fn remove(&self, key: &StackKey) -> Result<(), CacheError> {
        let dir = self.template_dir(key);
        match fs::remove_dir_all(&dir) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => {
                Err(io_error("remove", &dir)(error))
            }
            _ => Ok(()),
        }
    }

    /// Publishes the stack build in `target` (a session's) under `key`, with `description` as
    /// its `stack.json`. Builds for other keys of the same numeric profile are removed: they
    /// belong to older kernels or locks, and each takes hundreds of megabytes. The other
    /// profile's build stays: a machine may serve both.
    pub fn publish(
        &self,
        key: &StackKey,
        target: &Path,
        description: &serde_json::Value,
    ) -> Result<PathBuf, CacheError> {
        let final_dir = self.template_dir(key);
        if final_dir.join("target/.published").is_file() {
            return Ok(final_dir.join("target"));
        }
        fs::create_dir_all(&self.root).map_err(io_error("create", &self.root))?;
        let staging = self.root.join(format!(
            ".publishing-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        let result = (|| {
            let staged_target = staging.join("target");
            clone_tree(target, &staged_target)
                .map_err(io_error("copy the stack build into", &staged_target))?;
            let json = serde_json::to_vec_pretty(description).unwrap_or_default();
            let description_path = staging.join("stack.json");
            fs::write(&description_path, json).map_err(io_error("write", &description_path))?;
            let marker = staged_target.join(".published");
            fs::write(&marker, key.as_str()).map_err(io_error("write", &marker))?;
            match fs::rename(&staging, &final_dir) {
                Ok(()) => Ok(()),
                // Another kernel published the same key first: theirs is as good as ours.
                Err(_) if final_dir.join("target/.published").is_file() => Ok(()),
                Err(error) => Err(io_error("publish", &final_dir)(error)),
            }
        })();
        if staging.exists() {
            remove_tree(&staging);
        }
        result?;
        for other in self.other_templates(key) {
            tracing::info!("removing the stack build {other}, made for another key");
            remove_tree(&self.root.join(other));
        }
        Ok(final_dir.join("target"))
    }

    /// The folder of the crate `nb lint` checks notebooks in with clippy, for `key`, created if
    /// need be. It is kept between lints (its `target/` holds the stack's checked dependencies,
    /// minutes of work); folders made for other keys are removed.
    pub fn lint_dir(&self, key: &StackKey) -> Result<PathBuf, CacheError> {
        let name = format!("lint-{key}");
        let dir = self.root.join(&name);
        fs::create_dir_all(&dir).map_err(io_error("create", &dir))?;
        if let Ok(entries) = fs::read_dir(&self.root) {
            for entry in entries.flatten() {
                let other = entry.file_name().to_string_lossy().into_owned();
                if other.starts_with("lint-") && other != name {
                    tracing::info!("removing the lint crate {other}, made for another key");
                    remove_tree(&entry.path());
                }
            }
        }
        Ok(dir)
    }
}

/// Whether the template folder `name` holds a build of `key`'s numeric profile (another key of
/// it replaces it), or one from before keys named a profile.
fn same_profile(name: &str, key: &StackKey) -> bool {
    let Some(rest) = name.strip_prefix("stack-") else {
        return false;
    };
    let unprofiled = rest.len() == 16 && rest.bytes().all(|b| b.is_ascii_hexdigit());
    unprofiled
        || rest
            .strip_prefix(key.profile_name())
            .is_some_and(|digest| digest.starts_with('-') && !digest[1..].contains('-'))
}

#[cfg(test)]
mod tests;
