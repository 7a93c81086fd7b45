//! The stack's cache on disk, and the kernel sessions that use it.
//!
//! ```text
//! <cache root>/                    $LINFA_KERNEL_CACHE, else ~/.cache/linfa-kernel
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

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::manifest::StackKey;

/// The environment variable that moves the cache (tests and CI use it).
pub const CACHE_ENV: &str = "LINFA_KERNEL_CACHE";
/// Set by the kernel for itself before it re-executes into a session (see [`Session::enter`]).
const SESSION_ENV: &str = "LINFA_KERNEL_SESSION";
/// Outputs larger than this are hard-linked; smaller ones are copied.
const LINK_THRESHOLD: u64 = 64 * 1024;

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
    /// The cache at `$LINFA_KERNEL_CACHE`, else in the user's cache folder.
    pub fn open() -> Result<Self, CacheError> {
        let root = match std::env::var_os(CACHE_ENV) {
            Some(dir) if !dir.is_empty() => PathBuf::from(dir),
            _ => dirs::cache_dir()
                .ok_or(CacheError::NoCacheDir)?
                .join("linfa-kernel"),
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
            .filter(|name| name.starts_with("stack-") && *name != format!("stack-{key}"))
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
    /// its `stack.json`. Builds for other keys are removed: they belong to older kernels or
    /// locks, and each takes hundreds of megabytes.
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

/// One kernel's working folder, removed when the kernel ends.
#[derive(Debug)]
pub struct Session {
    dir: PathBuf,
}

impl Session {
    /// The session this process runs in. The first call creates the session folder and
    /// re-executes this program with `EVCXR_TMPDIR` pointing into it (evcxr reads that variable,
    /// and changing the environment of a running process is not thread-safe); the re-executed
    /// process finds the variable and adopts the folder. Returns only in the re-executed process.
    pub fn enter(cache: &StackCache) -> Result<Self, CacheError> {
        if let Some(dir) = std::env::var_os(SESSION_ENV) {
            return Ok(Self {
                dir: PathBuf::from(dir),
            });
        }
        let sessions = cache.root.join("sessions");
        fs::create_dir_all(&sessions).map_err(io_error("create", &sessions))?;
        remove_abandoned_sessions(&sessions);
        let dir = sessions.join(format!(
            "{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        let crate_dir = dir.join("crate");
        fs::create_dir_all(&crate_dir).map_err(io_error("create", &crate_dir))?;
        let executable = std::env::current_exe().map_err(io_error("find", Path::new("self")))?;
        let error = std::os::unix::process::CommandExt::exec(
            std::process::Command::new(&executable)
                .args(std::env::args_os().skip(1))
                .env(SESSION_ENV, &dir)
                .env("EVCXR_TMPDIR", &crate_dir),
        );
        let _ = fs::remove_dir_all(&dir);
        Err(io_error("re-execute", &executable)(error))
    }

    /// A session in `dir`, without re-executing (for tests).
    #[cfg(test)]
    fn in_dir(dir: PathBuf) -> Result<Self, CacheError> {
        let crate_dir = dir.join("crate");
        fs::create_dir_all(&crate_dir).map_err(io_error("create", &crate_dir))?;
        Ok(Self { dir })
    }

    /// The crate folder evcxr builds cells in.
    pub fn crate_dir(&self) -> PathBuf {
        self.dir.join("crate")
    }

    /// The cargo target folder of the cells' crate (evcxr's `target/` inside the crate folder).
    pub fn target_dir(&self) -> PathBuf {
        self.crate_dir().join("target")
    }

    /// Starts the session's target folder from a published template.
    pub fn start_from(&self, template_target: &Path) -> Result<(), CacheError> {
        let target = self.target_dir();
        clone_tree(template_target, &target)
            .map_err(io_error("copy the prebuilt stack into", &target))?;
        let _ = fs::remove_file(target.join(".published"));
        Ok(())
    }

    /// Writes the stack's lock file where cargo looks for it.
    pub fn write_lock(&self, lock: &str) -> Result<(), CacheError> {
        let path = self.crate_dir().join("Cargo.lock");
        fs::write(&path, lock).map_err(io_error("write", &path))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        remove_tree(&self.dir);
    }
}

/// Removes the folders of sessions whose kernel is gone (killed before it could clean up).
fn remove_abandoned_sessions(sessions: &Path) {
    let Ok(entries) = fs::read_dir(sessions) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.split('-').next())
            .and_then(|p| p.parse::<i32>().ok())
        else {
            continue;
        };
        let alive = Path::new("/proc").join(pid.to_string()).exists();
        if !alive {
            tracing::info!("removing the abandoned session {}", name.to_string_lossy());
            remove_tree(&entry.path());
        }
    }
}

/// Whether `name` (a file or folder inside a target folder) belongs to the cells' crate rather
/// than to the stack: evcxr's crate is `ctx`, its loaded copies `libcode_N.so`.
fn belongs_to_cells(name: &str) -> bool {
    name.starts_with("ctx-")
        || name.starts_with("libctx")
        || name.starts_with("libcode_")
        || name == "incremental"
        || name.ends_with(".cargo-lock")
}

/// Copies the tree `from` into `to` (which must not exist), leaving out the cells' crate.
fn clone_tree(from: &Path, to: &Path) -> io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in walkdir::WalkDir::new(from).min_depth(1) {
        let entry = entry.map_err(io::Error::other)?;
        let relative = entry.path().strip_prefix(from).map_err(io::Error::other)?;
        if relative
            .components()
            .any(|c| belongs_to_cells(&c.as_os_str().to_string_lossy()))
        {
            continue;
        }
        let destination = to.join(relative);
        let kind = entry.file_type();
        if kind.is_dir() {
            fs::create_dir_all(&destination)?;
        } else if kind.is_symlink() {
            let link = fs::read_link(entry.path())?;
            std::os::unix::fs::symlink(link, &destination)?;
        } else {
            let size = entry.metadata().map_err(io::Error::other)?.len();
            let link = size > LINK_THRESHOLD && fs::hard_link(entry.path(), &destination).is_ok();
            if !link {
                fs::copy(entry.path(), &destination)?;
                let modified = entry.metadata().map_err(io::Error::other)?.modified()?;
                fs::File::options()
                    .write(true)
                    .open(&destination)?
                    .set_modified(modified)?;
            }
        }
    }
    Ok(())
}

fn remove_tree(dir: &Path) {
    if let Err(error) = fs::remove_dir_all(dir)
        && error.kind() != io::ErrorKind::NotFound
    {
        tracing::warn!("could not remove {}: {error}", dir.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, bytes: &[u8]) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
    }

    /// A target folder as cargo leaves it after building the stack and two cells.
    fn fake_build(target: &Path) {
        let deps = target.join("x86_64-unknown-linux-gnu/debug/deps");
        write(&deps.join("liblinfa-1234.rlib"), &vec![7; 100_000]);
        write(&deps.join("linfa-1234.d"), b"deps");
        write(&deps.join("libctx-99.so"), b"cell");
        write(&deps.join("libcode_2.so"), b"cell");
        write(
            &target.join("x86_64-unknown-linux-gnu/debug/.fingerprint/linfa-1234/lib-linfa"),
            b"fp",
        );
        write(
            &target.join("x86_64-unknown-linux-gnu/debug/.fingerprint/ctx-99/lib-ctx"),
            b"fp",
        );
        write(
            &target.join("x86_64-unknown-linux-gnu/debug/incremental/ctx-1/s"),
            b"inc",
        );
    }

    fn same_file(a: &Path, b: &Path) -> bool {
        use std::os::unix::fs::MetadataExt;
        let (a, b) = (fs::metadata(a).unwrap(), fs::metadata(b).unwrap());
        a.ino() == b.ino() && a.dev() == b.dev()
    }

    #[test]
    fn publish_then_start_a_session_shares_large_outputs_and_drops_the_cells() {
        let root = tempfile::tempdir().unwrap();
        let cache = StackCache::at(root.path().join("cache"));
        let key = StackKey::for_this_kernel("rustc test");
        assert_eq!(cache.status(&key), TemplateStatus::Missing);

        let builder = Session::in_dir(root.path().join("builder")).unwrap();
        fake_build(&builder.target_dir());
        let template = cache
            .publish(
                &key,
                &builder.target_dir(),
                &serde_json::json!({"key": key.as_str()}),
            )
            .unwrap();
        assert_eq!(cache.status(&key), TemplateStatus::Ready(template.clone()));
        let debug = "x86_64-unknown-linux-gnu/debug";
        assert!(
            template
                .join(debug)
                .join("deps/liblinfa-1234.rlib")
                .is_file()
        );
        assert!(!template.join(debug).join("deps/libctx-99.so").exists());
        assert!(!template.join(debug).join("deps/libcode_2.so").exists());
        assert!(!template.join(debug).join("incremental").exists());
        assert!(!template.join(debug).join(".fingerprint/ctx-99").exists());
        let mtime = |p: &Path| fs::metadata(p).unwrap().modified().unwrap();
        assert_eq!(
            mtime(&template.join(debug).join("deps/linfa-1234.d")),
            mtime(&builder.target_dir().join(debug).join("deps/linfa-1234.d")),
            "copies keep their modification time"
        );

        let session = Session::in_dir(root.path().join("session")).unwrap();
        session.start_from(&template).unwrap();
        let linked = session
            .target_dir()
            .join(debug)
            .join("deps/liblinfa-1234.rlib");
        assert!(same_file(
            &linked,
            &template.join(debug).join("deps/liblinfa-1234.rlib")
        ));
        let fingerprint = session
            .target_dir()
            .join(debug)
            .join(".fingerprint/linfa-1234/lib-linfa");
        assert!(!same_file(
            &fingerprint,
            &template
                .join(debug)
                .join(".fingerprint/linfa-1234/lib-linfa")
        ));
        // cargo may rewrite what was copied, and that leaves the template as it was.
        fs::write(&fingerprint, b"rewritten").unwrap();
        assert_eq!(
            fs::read(
                template
                    .join(debug)
                    .join(".fingerprint/linfa-1234/lib-linfa")
            )
            .unwrap(),
            b"fp"
        );
        assert!(!session.target_dir().join(".published").exists());

        let session_dir = root.path().join("session");
        drop(session);
        assert!(!session_dir.exists(), "a session removes its folder");
    }

    #[test]
    fn a_build_for_another_key_is_reported_stale_and_replaced() {
        let root = tempfile::tempdir().unwrap();
        let cache = StackCache::at(root.path().to_owned());
        let old = StackKey::for_this_kernel("rustc old");
        let new = StackKey::for_this_kernel("rustc new");
        let builder = Session::in_dir(root.path().join("b")).unwrap();
        fake_build(&builder.target_dir());
        cache
            .publish(&old, &builder.target_dir(), &serde_json::json!({}))
            .unwrap();
        assert_eq!(
            cache.status(&new),
            TemplateStatus::Stale {
                found: vec![format!("stack-{old}")]
            }
        );
        cache
            .publish(&new, &builder.target_dir(), &serde_json::json!({}))
            .unwrap();
        assert!(matches!(cache.status(&new), TemplateStatus::Ready(_)));
        assert!(!root.path().join(format!("stack-{old}")).exists());
        // Publishing a key that is already there keeps the first build.
        cache
            .publish(&new, &builder.target_dir(), &serde_json::json!({}))
            .unwrap();
        let leftovers: Vec<_> = fs::read_dir(root.path())
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.starts_with(".publishing"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn the_lint_crate_is_kept_for_its_key_and_replaced_for_another() {
        let root = tempfile::tempdir().unwrap();
        let cache = StackCache::at(root.path().to_owned());
        let old = StackKey::for_this_kernel("rustc old");
        let new = StackKey::for_this_kernel("rustc new");
        let first = cache.lint_dir(&old).unwrap();
        write(&first.join("target/kept"), b"checked");
        assert_eq!(cache.lint_dir(&old).unwrap(), first);
        assert!(first.join("target/kept").is_file());
        let second = cache.lint_dir(&new).unwrap();
        assert!(second.is_dir() && !first.exists());
        assert_eq!(
            cache.status(&new),
            TemplateStatus::Missing,
            "not a stack build"
        );
    }

    #[test]
    fn sessions_of_dead_kernels_are_removed() {
        let root = tempfile::tempdir().unwrap();
        let sessions = root.path().join("sessions");
        // No process has a pid this large (Linux caps pids at 2^22).
        let dead = sessions.join("999999999-abc");
        let alive = sessions.join(format!("{}-abc", std::process::id()));
        fs::create_dir_all(&dead).unwrap();
        fs::create_dir_all(&alive).unwrap();
        remove_abandoned_sessions(&sessions);
        assert!(!dead.exists());
        assert!(alive.exists());
    }
}
