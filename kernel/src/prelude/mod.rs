//! The cell prelude: functions every cell can call (`display_html`, `display_updatable`,
//! `clear_output`, ...), evaluated by the kernel before the first cell.
//!
//! The prelude is the std-only crate `linfa-kernel-prelude` (`kernel/cell-prelude`). With the
//! preloaded stack it is one of the stack's prebuilt crates, and a session imports it with one
//! `use` ([`STACK_IMPORT`]), so no cell recompiles it; without the stack its source is evaluated
//! as cell text ([`SOURCE`]). The kernel depends on it too, so tests exercise the same code.

pub use linfa_kernel_prelude as cell;

/// The prelude's source, evaluated as cell text when the stack is unavailable.
pub const SOURCE: &str = include_str!("../../cell-prelude/src/lib.rs");

/// How a session with the preloaded stack brings the prelude into scope.
pub const STACK_IMPORT: &str = "use linfa_kernel_prelude::*;";

/// The statement that starts the stdout flusher; run again whenever the evaluation process
/// restarts, since the flusher lives in that process.
pub const START_FLUSHER: &str = "linfa_kernel_start_flusher();";

/// The name of the environment variable that tells the evaluation process where the flush FIFO
/// is.
pub const FLUSH_FIFO_ENV: &str = "LINFA_KERNEL_FLUSH_FIFO";

/// The name of the environment variable naming the file that holds the running cell's seed.
pub const CELL_SEED_FILE_ENV: &str = "LINFA_KERNEL_CELL_SEED_FILE";
