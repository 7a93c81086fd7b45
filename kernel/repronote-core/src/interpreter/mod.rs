//! What the kernel core asks of a language: execute, complete, inspect, interrupt.
//!
//! The core does the protocol bookkeeping (counters, history, busy/idle, aborts) and never
//! knows how Rust is compiled; an [`Interpreter`] only answers questions. Output produced while
//! a cell runs travels through [`Outputs`] as [`CellEvent`]s, so streams and displays reach the
//! notebook while the cell is still running. Two implementations exist: evcxr's for real
//! work (`repronote-evcxr`), and the scripted one in the core's tests, which needs no compiler. Whether a cell is
//! complete depends on its text alone, so [`completeness`] answers that without an interpreter.

pub mod completeness;
pub mod scripted;
mod worker;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc::UnboundedSender;

pub use completeness::Completeness;
pub use worker::{InterpreterHandle, WorkerGone};

/// A MIME bundle: `text/plain`, `text/html`, `image/svg+xml`, ... to their payloads.
pub type MimeBundle = BTreeMap<String, Value>;

/// Which output stream a piece of text was written to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamName {
    Stdout,
    Stderr,
}

/// Something a running cell shows the user.
#[derive(Clone, Debug, PartialEq)]
pub enum CellOutput {
    Stream {
        name: StreamName,
        text: String,
    },
    Display {
        data: MimeBundle,
        display_id: Option<String>,
    },
    UpdateDisplay {
        data: MimeBundle,
        display_id: String,
    },
    ClearOutput {
        wait: bool,
    },
}

/// What travels from a running cell to the core.
#[derive(Debug)]
pub enum CellEvent {
    Output(CellOutput),
    /// The cell reads a line from stdin; the answer (or `None` when stdin is not allowed or the
    /// cell was interrupted) goes back through `reply`.
    InputRequest {
        prompt: String,
        password: bool,
        reply: std::sync::mpsc::Sender<Option<String>>,
    },
}

/// The cell's handle on the notebook: cheap to clone, usable from any thread.
#[derive(Clone, Debug)]
pub struct Outputs {
    events: UnboundedSender<CellEvent>,
    cancelled: Arc<AtomicBool>,
}

impl Outputs {
    pub fn new(events: UnboundedSender<CellEvent>, cancelled: Arc<AtomicBool>) -> Self {
        Self { events, cancelled }
    }

    /// An `Outputs` that throws everything away (user expressions, startup cells).
    pub fn discarding() -> Self {
        let (events, _) = tokio::sync::mpsc::unbounded_channel();
        Self::new(events, Arc::new(AtomicBool::new(false)))
    }

    pub fn emit(&self, output: CellOutput) {
        // A closed channel means the request was abandoned; the output has nowhere to go.
        let _ = self.events.send(CellEvent::Output(output));
    }

    pub fn stream(&self, name: StreamName, text: impl Into<String>) {
        self.emit(CellOutput::Stream {
            name,
            text: text.into(),
        });
    }

    /// Asks the frontend for a line of input and waits for it; gives up when the cell is
    /// interrupted, so an unanswered prompt never hangs the kernel.
    pub fn read_input(&self, prompt: &str, password: bool) -> Option<String> {
        let (reply, answer) = std::sync::mpsc::channel();
        self.events
            .send(CellEvent::InputRequest {
                prompt: prompt.to_owned(),
                password,
                reply,
            })
            .ok()?;
        loop {
            match answer.recv_timeout(Duration::from_millis(100)) {
                Ok(value) => return value,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    if self.cancelled.load(Ordering::SeqCst) {
                        return None;
                    }
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return None,
            }
        }
    }
}

/// A cell to run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cell {
    pub code: String,
    /// The identity the cell's seed is derived from when it is not the source (see
    /// [`crate::protocol::SEED_IDENTITY_METADATA`]); JupyterLab's `cellId` never goes here.
    pub id: Option<String>,
    /// The cell's seed, once the seeding policy has derived it.
    pub seed: Option<u64>,
    /// The session's provenance (JSON, see `repronote_seeding::provenance`) as it stands with this cell,
    /// for exports the cell makes.
    pub provenance: Option<String>,
    /// The session's training record (JSON, see `repronote_seeding::provenance`): the source
    /// and identity of every cell the provenance lists, for exports that carry it.
    pub training_record: Option<String>,
}

impl Cell {
    pub fn new(code: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            ..Self::default()
        }
    }
}

/// How a cell failed: the error names clients see (`ename` in error outputs and replies), one
/// variant per cause, so that no layer compares names as strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellErrorKind {
    /// The compiler rejected the cell: nothing of it ran.
    CompilationError,
    /// The cell panicked; variables from earlier cells are kept.
    Panic,
    /// The user interrupted the cell; the evaluation process was restarted.
    Interrupted,
    /// The evaluation process died (a signal, `abort()`); it was restarted.
    EvaluationProcessDied,
    /// evcxr failed for another reason.
    EvaluationError,
    /// The kernel itself could not run the cell (its evaluator is gone, a side file failed).
    KernelError,
    /// The preloaded stack could not be built in this kernel.
    StackBuildFailed,
    /// A top-level binding cannot be kept for later cells.
    UnpersistableVariable,
    /// The seeding policy refused a source of OS entropy before compiling.
    EntropyRefused,
    /// A kernel magic (`:seed`, `:allow_entropy`) was malformed.
    MagicError,
}

impl CellErrorKind {
    /// The `ename` clients see.
    pub fn name(self) -> &'static str {
        match self {
            CellErrorKind::CompilationError => "CompilationError",
            CellErrorKind::Panic => "panic",
            CellErrorKind::Interrupted => "Interrupted",
            CellErrorKind::EvaluationProcessDied => "EvaluationProcessDied",
            CellErrorKind::EvaluationError => "EvaluationError",
            CellErrorKind::KernelError => "KernelError",
            CellErrorKind::StackBuildFailed => "StackBuildFailed",
            CellErrorKind::UnpersistableVariable => "UnpersistableVariable",
            CellErrorKind::EntropyRefused => "EntropyRefused",
            CellErrorKind::MagicError => "MagicError",
        }
    }
}

/// A cell that failed: shown as an `error` output and an error reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CellError {
    pub kind: CellErrorKind,
    pub evalue: String,
    pub traceback: Vec<String>,
}

/// A cell that ran to the end.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Executed {
    /// The value of the cell's final expression, if it had one.
    pub result: Option<MimeBundle>,
    /// Text for the frontend's pager (the `page` payload), e.g. for `:help`.
    pub page: Option<MimeBundle>,
}

/// Completion candidates, with the replaced range in Unicode code points.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Completions {
    pub matches: Vec<String>,
    pub cursor_start: usize,
    pub cursor_end: usize,
}

/// Stops whatever the interpreter is running; callable from any thread while it runs.
pub trait Interrupt: Send + Sync {
    fn interrupt(&self);
}

/// A language the kernel can run. Called from one dedicated thread, never concurrently.
pub trait Interpreter {
    fn execute(&mut self, cell: &Cell, outputs: &Outputs) -> Result<Executed, CellError>;
    /// `cursor_pos` counts Unicode code points, as the protocol does.
    fn complete(&mut self, code: &str, cursor_pos: usize) -> Completions;
    fn inspect(&mut self, code: &str, cursor_pos: usize, detail_level: u8) -> Option<MimeBundle>;
    fn interrupter(&self) -> Arc<dyn Interrupt>;
    /// Work worth doing ahead of time, run once when no request has come for a moment (see
    /// [`worker`]); a request that arrives meanwhile waits for it.
    fn idle(&mut self) {}
}

/// Converts a code-point offset into a byte offset of `text` (clamped to its end).
pub fn byte_offset(text: &str, code_points: usize) -> usize {
    text.char_indices()
        .nth(code_points)
        .map_or(text.len(), |(at, _)| at)
}

/// Converts a byte offset of `text` into a code-point offset.
pub fn code_point_offset(text: &str, byte_offset: usize) -> usize {
    let end = byte_offset.min(text.len());
    text.char_indices().take_while(|(at, _)| *at < end).count()
}

/// A one-entry bundle of plain text.
pub fn plain_text(text: impl Into<String>) -> MimeBundle {
    BTreeMap::from([("text/plain".to_owned(), Value::String(text.into()))])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_count_code_points_not_bytes() {
        let text = "let é = 1; x";
        assert_eq!(byte_offset(text, 4), 4);
        assert_eq!(byte_offset(text, 5), 6);
        assert_eq!(code_point_offset(text, 6), 5);
        assert_eq!(byte_offset(text, 100), text.len());
        assert_eq!(code_point_offset(text, text.len()), text.chars().count());
    }

    #[test]
    fn input_gives_up_when_cancelled() {
        let (events, mut receiver) = tokio::sync::mpsc::unbounded_channel();
        let cancelled = Arc::new(AtomicBool::new(false));
        let outputs = Outputs::new(events, cancelled.clone());
        let reader = std::thread::spawn(move || outputs.read_input("name: ", false));
        let request = receiver.blocking_recv().unwrap();
        assert!(
            matches!(request, CellEvent::InputRequest { ref prompt, .. } if prompt == "name: ")
        );
        cancelled.store(true, Ordering::SeqCst);
        assert_eq!(reader.join().unwrap(), None);
    }
}
