//! Interrupting a cell: compiled Rust cannot be stopped politely, so the evaluation process is
//! killed, and evcxr starts a new one.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use super::super::Interrupt;

/// Kills the evaluation process, but only while a cell is running: between cells an
/// interrupt has nothing to stop and must not cost the user their variables.
pub(super) struct EvcxrInterrupter {
    pub(super) process: Arc<Mutex<std::process::Child>>,
    pub(super) running: AtomicBool,
    pub(super) interrupted: AtomicBool,
}

impl EvcxrInterrupter {
    pub(super) fn begin(&self) {
        self.interrupted.store(false, Ordering::SeqCst);
        self.running.store(true, Ordering::SeqCst);
    }

    /// Returns whether the cell that just ended was interrupted.
    pub(super) fn end(&self) -> bool {
        self.running.store(false, Ordering::SeqCst);
        self.interrupted.swap(false, Ordering::SeqCst)
    }
}

impl Interrupt for EvcxrInterrupter {
    fn interrupt(&self) {
        if !self.running.load(Ordering::SeqCst) {
            return;
        }
        self.interrupted.store(true, Ordering::SeqCst);
        let mut process = self.process.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(error) = process.kill() {
            tracing::warn!("could not stop the evaluation process: {error}");
        }
    }
}
