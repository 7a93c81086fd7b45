//! The cell prelude: functions every cell can call (`display_html`, `display_updatable`,
//! `clear_output`, ...), evaluated by the kernel before the first cell.
//!
//! The prelude is the std-only crate `linfa-kernel-prelude` (`kernel/cell-prelude`). With the
//! preloaded stack it is one of the stack's prebuilt crates, and a session imports it with one
//! `use` ([`STACK_IMPORT`]), so no cell recompiles it; without the stack its source is evaluated
//! as cell text ([`source_without_stack`]). The kernel depends on it too, so tests exercise the same code.

pub use linfa_kernel_prelude as cell;

/// The prelude crate's source file.
const CRATE_SOURCE: &str = include_str!("../../cell-prelude/src/lib.rs");

/// The prelude's source as evaluated as cell text when the stack is unavailable: without the
/// lines marked "stack only" (`rng()` needs rand_xoshiro, and evcxr would keep the `use` of a
/// module that is configured out).
pub fn source_without_stack() -> String {
    let mut kept = String::with_capacity(CRATE_SOURCE.len());
    let mut skipping = false;
    for line in CRATE_SOURCE.lines() {
        if line.starts_with("// stack only: begin") {
            skipping = true;
        } else if line.starts_with("// stack only: end") {
            skipping = false;
        } else if !skipping {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    kept
}

/// How a session with the preloaded stack brings the prelude into scope.
pub const STACK_IMPORT: &str = "use linfa_kernel_prelude::*;";

/// The statement that starts the stdout flusher; run again whenever the evaluation process
/// restarts, since the flusher lives in that process.
///
/// It keeps the result in a session variable so that evcxr creates its variable store (a
/// `HashMap`) here, in the prelude, rather than in whichever user cell first binds a variable:
/// otherwise that cell would build one map more than when it runs again, and draw other
/// `HashMap` keys (see `evaluation_process::entropy`).
pub const START_FLUSHER: &str = "let linfa_kernel_flusher: bool = linfa_kernel_start_flusher();";

/// The name of the environment variable that tells the evaluation process where the flush FIFO
/// is.
pub const FLUSH_FIFO_ENV: &str = "LINFA_KERNEL_FLUSH_FIFO";

/// The name of the environment variable naming the file that holds the running cell's seed.
pub const CELL_SEED_FILE_ENV: &str = "LINFA_KERNEL_CELL_SEED_FILE";

#[cfg(test)]
mod tests {
    #[test]
    fn the_text_prelude_leaves_out_what_needs_the_stack() {
        let text = super::source_without_stack();
        assert!(!text.contains("seeded_rng"), "{text}");
        assert!(!text.contains("stack only"));
        assert!(text.contains("pub fn cell_seed()"));
        assert!(text.contains("pub fn display_html("));
    }
}
