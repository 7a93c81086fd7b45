//! The files a session shares with its evaluation process, beside one another in the temporary
//! folder: the flush FIFO, the running cell's seed, the session's provenance and training
//! record, the artifacts the session loaded (written by linfa-export), and the flag that tells
//! the rustc wrapper a type probe is compiling.
//!
//! One owner for all of them: the launcher creates them before evcxr starts (the evaluation
//! process opens the FIFO at its first cell) and removes them when the kernel ends, whatever
//! happened in between; the interpreter only borrows their paths.

use std::path::{Path, PathBuf};

/// The session's side files; all removed on drop.
#[derive(Debug, Clone)]
pub struct SessionFiles {
    fifo: PathBuf,
}

impl SessionFiles {
    /// Creates the FIFO (the other files are written when they are first needed).
    pub fn create() -> std::io::Result<Self> {
        let fifo = std::env::temp_dir().join(format!(
            "repronote-{}-{}.fifo",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
            0,
        )?;
        Ok(Self { fifo })
    }

    /// The FIFO the relay uses to ask the cell-side flusher for a flush.
    pub fn flush_fifo(&self) -> &Path {
        &self.fifo
    }

    /// The file that holds the running cell's seed, read by the prelude's `cell_seed()`.
    pub fn seed_file(&self) -> PathBuf {
        self.fifo.with_extension("seed")
    }

    /// The file that holds the session's provenance, read by linfa-export on every export.
    pub fn provenance_file(&self) -> PathBuf {
        self.fifo.with_extension("provenance.json")
    }

    /// The file that holds the session's training record, copied into exports by linfa-export.
    pub fn training_record_file(&self) -> PathBuf {
        self.fifo.with_extension("training.json")
    }

    /// The file where linfa-export lists the artifacts the session loaded: later exports'
    /// parents. It outlives restarts of the evaluation process, as the session's files do.
    pub fn lineage_file(&self) -> PathBuf {
        self.fifo.with_extension("lineage.json")
    }

    /// Present while a type probe compiles (see [`crate::rustc_wrapper`]).
    pub fn probe_flag(&self) -> PathBuf {
        self.fifo.with_extension("probe")
    }

    /// Removes every file; also done on drop.
    fn remove(&self) {
        for path in [
            self.fifo.clone(),
            self.seed_file(),
            self.provenance_file(),
            self.training_record_file(),
            self.lineage_file(),
            self.probe_flag(),
        ] {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The owner that removes the files: the launcher keeps it for the kernel's lifetime.
#[derive(Debug)]
pub struct SessionFilesGuard(pub SessionFiles);

impl Drop for SessionFilesGuard {
    fn drop(&mut self) {
        self.0.remove();
    }
}
