//! The cell prelude: functions every cell can call (`display_html`, `display_updatable`,
//! `clear_output`, ...), evaluated by the kernel before the first cell.
//!
//! The source is one std-only file used twice: included here as a module, so the compiler
//! checks it and tests can run it, and sent to evcxr as text at session start.

#[allow(dead_code)]
#[path = "cell_prelude.rs"]
pub mod cell;

/// The prelude's source, as evcxr evaluates it.
pub const SOURCE: &str = include_str!("cell_prelude.rs");

/// The statement that starts the stdout flusher; run again whenever the evaluation process
/// restarts, since the flusher lives in that process.
pub const START_FLUSHER: &str = "linfa_kernel_start_flusher();";

/// The name of the environment variable that tells the evaluation process where the flush FIFO
/// is.
pub const FLUSH_FIFO_ENV: &str = "LINFA_KERNEL_FLUSH_FIFO";

/// The name of the environment variable naming the file that holds the running cell's seed.
pub const CELL_SEED_FILE_ENV: &str = "LINFA_KERNEL_CELL_SEED_FILE";
