//! One kernel's session folder: created under the cache, entered by re-executing the kernel
//! with evcxr's `EVCXR_TMPDIR` pointing into it, and removed when the kernel ends (or by the
//! next kernel, when this one was killed before it could clean up).

use std::fs;
use std::path::{Path, PathBuf};

/// Set by the kernel for itself before it re-executes into a session (see [`Session::enter`]).
use repronote_prelude::contract::SESSION_ENV;

use super::tree::{clone_tree, remove_tree};
use super::{CacheError, StackCache, io_error};

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
    ///
    /// `folder_env` names more variables for the re-executed process, each set to a path inside
    /// the session folder (`(variable, relative path)`); what is at that path is the caller's.
    /// `env` sets (`Some`) or removes (`None`) variables of the re-executed process, for what
    /// must hold for every build the session makes (the numeric profile's build settings).
    pub fn enter(
        cache: &StackCache,
        folder_env: &[(&str, &str)],
        env: &[(&str, Option<&str>)],
    ) -> Result<Self, CacheError> {
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
        let mut command = std::process::Command::new(&executable);
        command
            .args(std::env::args_os().skip(1))
            .env(SESSION_ENV, &dir)
            .env("EVCXR_TMPDIR", &crate_dir);
        for (variable, path) in folder_env {
            command.env(variable, dir.join(path));
        }
        for (variable, value) in env {
            match value {
                Some(value) => command.env(variable, value),
                None => command.env_remove(variable),
            };
        }
        let error = std::os::unix::process::CommandExt::exec(&mut command);
        let _ = fs::remove_dir_all(&dir);
        Err(io_error("re-execute", &executable)(error))
    }

    /// A session in `dir`, without re-executing (for tests).
    #[cfg(test)]
    pub(super) fn in_dir(dir: PathBuf) -> Result<Self, CacheError> {
        let crate_dir = dir.join("crate");
        fs::create_dir_all(&crate_dir).map_err(io_error("create", &crate_dir))?;
        Ok(Self { dir })
    }

    /// The session folder itself.
    pub fn folder(&self) -> &Path {
        &self.dir
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
pub(super) fn remove_abandoned_sessions(sessions: &Path) {
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
