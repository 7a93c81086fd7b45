//! rust-analyzer's standard library, loaded when the kernel is first idle instead of at start.
//!
//! evcxr runs rust-analyzer in the kernel process and, before its constructor returns, has it
//! load the standard library's sources and resolve every name in them (about 3.5 s), then infer
//! the first binding's cell against them (about 3 s more). The kernel needs none of that to run
//! a cell: the rustc probe types every binding before evcxr sees it (see [`super::typing`]),
//! and an annotated binding is taken as written. rust-analyzer is what completes and inspects
//! std's items.
//!
//! evcxr has no switch for that, but rust-analyzer finds the library through `RUST_SRC_PATH`
//! when it is set, and reads it again whenever the cells' `Cargo.toml` differs from the one it
//! last read. So the kernel re-executes into its session with `RUST_SRC_PATH` at a link in the
//! session folder ([`SESSION_ENV`]), and the link first points at a library holding an empty
//! `core`: evcxr starts without std. [`DeferredStd::load`] points the link at the toolchain's
//! library and makes evcxr write another `Cargo.toml` for one analysis, so that rust-analyzer
//! reloads, now with std. evcxr writes the manifest from its state before every analysis, and
//! the optimisation level is the one setting it writes there verbatim: the kernel adds a TOML
//! comment to it (cargo reads the same level) for the warm-up, then takes it off and asks for
//! one more analysis, so the manifest rust-analyzer last read is the usual one and `:opt` sees
//! the level it set. It runs when the kernel has been idle for a while, and before the first
//! completion or inspection.

use std::path::{Path, PathBuf};

use evcxr::CommandContext;

/// The variable rust-analyzer reads the library's location from.
pub(super) const LIBRARY_ENV: &str = "RUST_SRC_PATH";

/// The link, in the session folder, that [`LIBRARY_ENV`] points at.
const LINK: &str = "rust-analyzer-library";

/// The library without std the link points at first (a `core` folder with nothing in it, which
/// is what rust-analyzer checks for).
const EMPTY_LIBRARY: &str = "rust-analyzer-empty-library";

/// What the kernel's session sets for the re-executed process (see `Session::enter`).
pub const SESSION_ENV: [(&str, &str); 1] = [(LIBRARY_ENV, LINK)];

/// Added to the optimisation level for the one analysis that loads std.
const RELOAD_COMMENT: &str = " # repronote: rust-analyzer loads std";

/// Why rust-analyzer could not be given std: completion and inspection of std stay off.
#[derive(Debug, thiserror::Error)]
pub enum DeferredStdError {
    #[error("cannot prepare {}: {source}", path.display())]
    Prepare {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the toolchain has no library sources ({}): run `rustup component add rust-src`, then \
         restart the kernel",
        .0.display()
    )]
    NoSources(PathBuf),
    #[error("cannot run `rustc --print sysroot`: {0}")]
    Rustc(std::io::Error),
    #[error("cannot point {} at the library: {source}", path.display())]
    Link {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot make rust-analyzer reload the cells' manifest: {0}")]
    Reload(String),
}

/// The standard library rust-analyzer does not have yet.
#[derive(Debug)]
pub struct DeferredStd {
    link: PathBuf,
    crate_dir: PathBuf,
}

impl DeferredStd {
    /// Points the session's link at the empty library, when this process was started with
    /// [`SESSION_ENV`] for `session_folder`; otherwise (no session, or a user's own
    /// `RUST_SRC_PATH`) rust-analyzer loads std at start as it always does, and this is `None`.
    pub fn prepare(
        session_folder: &Path,
        crate_dir: &Path,
    ) -> Result<Option<Self>, DeferredStdError> {
        let link = session_folder.join(LINK);
        if std::env::var_os(LIBRARY_ENV).as_deref() != Some(link.as_os_str()) {
            return Ok(None);
        }
        let empty = session_folder.join(EMPTY_LIBRARY);
        let core = empty.join("core");
        std::fs::create_dir_all(&core).map_err(|source| DeferredStdError::Prepare {
            path: core.clone(),
            source,
        })?;
        point(&link, &empty)?;
        Ok(Some(Self {
            link,
            crate_dir: crate_dir.to_owned(),
        }))
    }

    /// Points the link at the toolchain's library and has rust-analyzer load it (see the module
    /// docs); `warm_up` is the analysis that loads it.
    pub fn load(
        self,
        context: &mut CommandContext,
        warm_up: impl FnOnce(&mut CommandContext),
    ) -> Result<(), DeferredStdError> {
        let library = toolchain_library(&self.crate_dir)?;
        point(&self.link, &library)?;
        let level = opt_level(&self.crate_dir.join("Cargo.toml"))?;
        let set = |context: &mut CommandContext, level: &str| {
            context
                .set_opt_level(level)
                .map_err(|error| DeferredStdError::Reload(error.to_string()))
        };
        set(context, &format!("{level}{RELOAD_COMMENT}"))?;
        warm_up(context);
        set(context, &level)?;
        // Reads the usual manifest again; the crate graph is the same, so little is recomputed.
        let started = std::time::Instant::now();
        let _ = context.completions("0", 1);
        tracing::info!(
            "rust-analyzer has std; its manifest reloaded in {:.1?}",
            started.elapsed()
        );
        Ok(())
    }
}

/// The optimisation level evcxr last wrote into the cells' manifest.
fn opt_level(manifest: &Path) -> Result<String, DeferredStdError> {
    let text = std::fs::read_to_string(manifest).map_err(|error| {
        DeferredStdError::Reload(format!("cannot read {}: {error}", manifest.display()))
    })?;
    text.lines()
        .find_map(|line| line.strip_prefix("opt-level = "))
        .map(str::to_owned)
        .ok_or_else(|| {
            DeferredStdError::Reload(format!("no `opt-level` line in {}", manifest.display()))
        })
}

/// The library rust-analyzer would have found itself: the sources in the sysroot of the rustc
/// that builds the cells.
fn toolchain_library(crate_dir: &Path) -> Result<PathBuf, DeferredStdError> {
    let output = std::process::Command::new("rustc")
        .args(["--print", "sysroot"])
        .current_dir(crate_dir)
        .output()
        .map_err(DeferredStdError::Rustc)?;
    let sysroot = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    let library = sysroot.join("lib/rustlib/src/rust/library");
    if !output.status.success() || !library.join("core").is_dir() {
        return Err(DeferredStdError::NoSources(library));
    }
    Ok(library)
}

/// Makes `link` a symbolic link to `target`, replacing what was there in one step.
fn point(link: &Path, target: &Path) -> Result<(), DeferredStdError> {
    let fail = |source| DeferredStdError::Link {
        path: link.to_owned(),
        source,
    };
    let fresh = link.with_extension("new");
    let _ = std::fs::remove_file(&fresh);
    std::os::unix::fs::symlink(target, &fresh).map_err(fail)?;
    std::fs::rename(&fresh, link).map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_level_is_read_from_the_manifest_evcxr_wrote() {
        let folder = tempfile::tempdir().unwrap();
        let manifest = folder.path().join("Cargo.toml");
        std::fs::write(&manifest, "[profile.dev]\nopt-level = 2\ndebug = false\n").unwrap();
        assert_eq!(opt_level(&manifest).unwrap(), "2");
        std::fs::write(&manifest, "[package]\n").unwrap();
        let error = opt_level(&manifest).unwrap_err().to_string();
        assert!(error.contains("no `opt-level` line"), "{error}");
    }

    #[test]
    fn the_link_is_replaced_in_place() {
        let folder = tempfile::tempdir().unwrap();
        let (first, second) = (folder.path().join("a"), folder.path().join("b"));
        std::fs::create_dir_all(first.join("core")).unwrap();
        std::fs::create_dir_all(second.join("core")).unwrap();
        let link = folder.path().join(LINK);
        point(&link, &first).unwrap();
        point(&link, &second).unwrap();
        assert_eq!(std::fs::read_link(&link).unwrap(), second);
    }
}
