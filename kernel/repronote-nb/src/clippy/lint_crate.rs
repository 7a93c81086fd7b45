//! The crate a notebook is checked in, and the `cargo clippy` that checks it.
//!
//! It is the stack's crate: package `ctx` 1.0.0 with the stack's dependency lines and lock
//! ([`repronote_stack::manifest`]), so clippy sees the versions the cells see and cargo has nothing
//! to resolve (`--offline`). Its `src/main.rs` is the assembled notebook. It lives in the stack
//! cache ([`StackCache::lint_dir`]) with its own `target/`: the first lint checks every crate of
//! the stack once (about a minute on two cores, with progress on stderr), later ones only the
//! notebook (a second). The kernel's prebuilt stack cannot be reused for this: it is built with
//! evcxr's profile and flags, and clippy needs check outputs of its own. Two lints at once
//! take turns, by a lock on a file in the folder.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use cargo_metadata::Message;
use cargo_metadata::diagnostic::{Diagnostic, DiagnosticLevel};

use super::ClippyError;
use repronote_stack::manifest::{self, LOCK};

/// The package name the stack's lock has for its root.
const PACKAGE: &str = "ctx";
/// Written into `target/` once a check went through: later checks are not the first.
const CHECKED_MARKER: &str = ".repronote-checked";
/// During the first check, a progress line every this many checked crates.
const PROGRESS_EVERY: usize = 25;
/// How many of cargo's last stderr lines an error quotes.
const STDERR_TAIL: usize = 12;

/// The lint crate's folder, with its manifest and lock written.
#[derive(Debug)]
pub struct LintCrate {
    dir: PathBuf,
}

impl LintCrate {
    /// Prepares the crate in `dir` (see [`repronote_stack::StackCache::lint_dir`]) and makes sure
    /// `cargo clippy` can run there.
    pub fn open(dir: PathBuf) -> Result<Self, ClippyError> {
        clippy_version(&dir)?;
        let dependencies = manifest::dependencies()?;
        let mut manifest = format!(
            "# Written by `repronote nb lint`: the preloaded stack, for clippy.\n\
             [package]\nname = \"{PACKAGE}\"\nversion = \"1.0.0\"\nedition = \"2024\"\n\
             publish = false\n\n[workspace]\n\n[dependencies]\n"
        );
        for dependency in &dependencies {
            manifest.push_str(&format!("{} = {}\n", dependency.name, dependency.config));
        }
        write_if_changed(&dir.join("Cargo.toml"), &manifest)?;
        write_if_changed(&dir.join("Cargo.lock"), LOCK)?;
        fs::create_dir_all(dir.join("src")).map_err(io("create", &dir.join("src")))?;
        Ok(Self { dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Runs clippy on `source` as the crate's `src/main.rs`; returns the compiler's messages
    /// about it. With `progress`, the first check (the one that checks the stack) says so on
    /// stderr as it goes.
    pub fn check(&self, source: &str, progress: bool) -> Result<Vec<Diagnostic>, ClippyError> {
        let lock_path = self.dir.join(".lock");
        let lock = File::create(&lock_path).map_err(io("create", &lock_path))?;
        if lock.try_lock().is_err() {
            if progress {
                eprintln!(
                    "waiting for another `nb lint` that uses {}",
                    self.dir.display()
                );
            }
            lock.lock().map_err(io("lock", &lock_path))?;
        }
        let main = self.dir.join("src/main.rs");
        write_if_changed(&main, source)?;
        let target = self.dir.join("target");
        let first = !target.join(CHECKED_MARKER).exists();
        if first && progress {
            eprintln!(
                "clippy: checking the linfa stack once for clippy advice (about a minute); later \
                 lints reuse {}. `--no-clippy` skips clippy.",
                target.display()
            );
        }
        let started = Instant::now();
        let mut child = Command::new("cargo")
            .args(["clippy", "--offline", "--message-format=json"])
            .arg("--target-dir")
            .arg(&target)
            .current_dir(&self.dir)
            // The lints are clippy's defaults, whatever the caller's environment asks for
            // (`-D warnings` would turn advice into errors).
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env_remove("RUSTC_WORKSPACE_WRAPPER")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| ClippyError::Unavailable(format!("cannot run cargo: {source}")))?;
        let stderr = child.stderr.take().expect("stderr is piped");
        let stderr = std::thread::spawn(move || tail_of(stderr));
        let stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));

        let mut diagnostics = Vec::new();
        let mut finished = false;
        let mut checked = 0;
        for message in Message::parse_stream(stdout) {
            let message = message.map_err(io("read the output of", Path::new("cargo clippy")))?;
            match message {
                Message::CompilerMessage(message) if message.target.name == PACKAGE => {
                    diagnostics.push(message.message);
                }
                Message::CompilerMessage(message)
                    if message.message.level == DiagnosticLevel::Error =>
                {
                    return Err(ClippyError::Dependency {
                        name: message.target.name,
                        message: message.message.message,
                    });
                }
                Message::CompilerArtifact(artifact) if artifact.target.name != PACKAGE => {
                    checked += 1;
                    if first && progress && checked % PROGRESS_EVERY == 0 {
                        eprintln!(
                            "clippy: {checked} crates checked ({:.0} s)",
                            started.elapsed().as_secs_f64()
                        );
                    }
                }
                Message::BuildFinished(_) => finished = true,
                _ => {}
            }
        }
        let status = child
            .wait()
            .map_err(io("wait for", Path::new("cargo clippy")))?;
        let stderr = stderr.join().unwrap_or_default();
        if !finished || (!status.success() && diagnostics.is_empty()) {
            return Err(ClippyError::Cargo {
                dir: self.dir.clone(),
                stderr,
            });
        }
        if first {
            let marker = target.join(CHECKED_MARKER);
            fs::write(&marker, b"").map_err(io("write", &marker))?;
            if progress {
                eprintln!(
                    "clippy: the stack is checked ({checked} crates, {:.0} s)",
                    started.elapsed().as_secs_f64()
                );
            }
        }
        tracing::debug!(
            "clippy checked the notebook in {:.1?}: {} message(s)",
            started.elapsed(),
            diagnostics.len()
        );
        Ok(diagnostics)
    }
}

/// `cargo clippy --version`, run where the lint crate is (rustup picks the toolchain by folder).
fn clippy_version(dir: &Path) -> Result<String, ClippyError> {
    let output = Command::new("cargo")
        .args(["clippy", "--version"])
        .current_dir(dir)
        .output()
        .map_err(|e| ClippyError::Unavailable(format!("cannot run cargo: {e}")))?;
    if !output.status.success() {
        let said = String::from_utf8_lossy(&output.stderr);
        return Err(ClippyError::Unavailable(
            said.lines()
                .find(|line| !line.trim().is_empty())
                .unwrap_or("`cargo clippy --version` failed")
                .trim()
                .to_owned(),
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// The last lines cargo wrote to `stderr`.
fn tail_of(stderr: impl Read) -> String {
    let mut lines = std::collections::VecDeque::new();
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        if lines.len() == STDERR_TAIL {
            lines.pop_front();
        }
        lines.push_back(line);
    }
    Vec::from(lines).join("\n")
}

/// Writes `text` to `path` unless it already holds it (an unchanged file keeps its time, so
/// cargo has no reason to look at it again).
fn write_if_changed(path: &Path, text: &str) -> Result<(), ClippyError> {
    if fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(());
    }
    fs::write(path, text).map_err(io("write", path))
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> ClippyError {
    let path = path.to_owned();
    move |source| ClippyError::Io {
        action,
        path,
        source,
    }
}
