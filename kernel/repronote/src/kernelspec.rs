//! `repronote install`: writes the `linfa` kernelspec where Jupyter looks for kernels.
//!
//! The spec points at this very binary (its absolute path), declares `interrupt_mode:
//! "message"` because interrupts arrive as `interrupt_request` on the control channel, and
//! carries the logo. Locations follow Jupyter's rules: `--user` is the user's data directory
//! (`$JUPYTER_DATA_DIR`, else `$XDG_DATA_HOME/jupyter`, else `~/.local/share/jupyter`),
//! `--sys-prefix` is the active Python environment (`$VIRTUAL_ENV`, `$CONDA_PREFIX`, else what
//! `python3` reports as `sys.prefix`), `--prefix DIR` is `DIR/share/jupyter`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use jupyter_protocol::JupyterKernelspec;

/// The kernelspec name notebooks refer to in their metadata.
pub const DEFAULT_NAME: &str = "linfa";

const LOGOS: [(&str, &[u8]); 3] = [
    ("logo-32x32.png", include_bytes!("../assets/logo-32x32.png")),
    ("logo-64x64.png", include_bytes!("../assets/logo-64x64.png")),
    ("logo-svg.svg", include_bytes!("../assets/logo-svg.svg")),
];

/// Where to install.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    User,
    SysPrefix,
    Prefix(PathBuf),
}

/// Why the kernelspec could not be installed.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("cannot find your home directory: set HOME or JUPYTER_DATA_DIR, or use --prefix DIR")]
    NoHome,
    #[error(
        "cannot find the Python environment for --sys-prefix (no VIRTUAL_ENV or CONDA_PREFIX, and `python3` did not answer): activate the environment or use --prefix DIR"
    )]
    NoSysPrefix,
    #[error("cannot find this program's own path: {0}")]
    NoExecutable(std::io::Error),
    #[error("cannot write the kernelspec into {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("kernel name `{0}` is not usable: use letters, digits, `-`, `_` and `.` only")]
    BadName(String),
}

/// The `share/jupyter` directory for `scope`.
pub fn data_dir(scope: &Scope) -> Result<PathBuf, InstallError> {
    let env_path = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    match scope {
        Scope::Prefix(prefix) => Ok(prefix.join("share").join("jupyter")),
        Scope::User => env_path("JUPYTER_DATA_DIR")
            .or_else(|| env_path("XDG_DATA_HOME").map(|d| d.join("jupyter")))
            .or_else(|| env_path("HOME").map(|h| h.join(".local").join("share").join("jupyter")))
            .ok_or(InstallError::NoHome),
        Scope::SysPrefix => env_path("VIRTUAL_ENV")
            .or_else(|| env_path("CONDA_PREFIX"))
            .or_else(python_sys_prefix)
            .map(|prefix| prefix.join("share").join("jupyter"))
            .ok_or(InstallError::NoSysPrefix),
    }
}

fn python_sys_prefix() -> Option<PathBuf> {
    let output = std::process::Command::new("python3")
        .args(["-c", "import sys; print(sys.prefix)"])
        .output()
        .ok()?;
    let prefix = String::from_utf8(output.stdout).ok()?;
    let prefix = prefix.trim();
    (output.status.success() && !prefix.is_empty()).then(|| PathBuf::from(prefix))
}

/// The kernelspec that launches `executable`.
pub fn spec(executable: &Path, display_name: &str) -> JupyterKernelspec {
    JupyterKernelspec {
        argv: vec![
            executable.display().to_string(),
            "launch".to_owned(),
            "--connection-file".to_owned(),
            "{connection_file}".to_owned(),
        ],
        display_name: display_name.to_owned(),
        language: "rust".to_owned(),
        metadata: Some(HashMap::from([(
            "debugger".to_owned(),
            serde_json::Value::Bool(false),
        )])),
        interrupt_mode: Some("message".to_owned()),
        env: Some(HashMap::new()),
    }
}

/// Installs the kernelspec `name` for this binary into `scope`; returns its directory.
pub fn install(scope: &Scope, name: &str, display_name: &str) -> Result<PathBuf, InstallError> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(InstallError::BadName(name.to_owned()));
    }
    let executable = std::env::current_exe()
        .and_then(|path| path.canonicalize())
        .map_err(InstallError::NoExecutable)?;
    let directory = data_dir(scope)?.join("kernels").join(name);
    let write = |path: PathBuf, bytes: &[u8]| {
        std::fs::write(&path, bytes).map_err(|source| InstallError::Write { path, source })
    };
    std::fs::create_dir_all(&directory).map_err(|source| InstallError::Write {
        path: directory.clone(),
        source,
    })?;
    let mut json = serde_json::to_vec_pretty(&spec(&executable, display_name))
        .expect("a kernelspec is plain JSON");
    json.push(b'\n');
    write(directory.join("kernel.json"), &json)?;
    for (file, bytes) in LOGOS {
        write(directory.join(file), bytes)?;
    }
    Ok(directory)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_installs_a_complete_spec() {
        let prefix = tempfile::tempdir().unwrap();
        let directory =
            install(&Scope::Prefix(prefix.path().into()), "linfa-test", "Rust").unwrap();
        assert_eq!(
            directory,
            prefix.path().join("share/jupyter/kernels/linfa-test")
        );
        let spec: serde_json::Value =
            serde_json::from_slice(&std::fs::read(directory.join("kernel.json")).unwrap()).unwrap();
        assert_eq!(spec["language"], "rust");
        assert_eq!(spec["interrupt_mode"], "message");
        assert_eq!(spec["argv"][1], "launch");
        assert_eq!(spec["argv"][3], "{connection_file}");
        assert!(Path::new(spec["argv"][0].as_str().unwrap()).is_absolute());
        for (file, _) in LOGOS {
            assert!(directory.join(file).is_file(), "{file}");
        }
    }

    #[test]
    fn names_that_escape_the_kernels_folder_are_refused() {
        let prefix = tempfile::tempdir().unwrap();
        for name in ["../evil", "a/b", ""] {
            let result = install(&Scope::Prefix(prefix.path().into()), name, "x");
            assert!(matches!(result, Err(InstallError::BadName(_))), "{name}");
        }
    }
}
