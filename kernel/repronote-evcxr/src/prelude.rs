//! The cell prelude: functions every cell can call (`display_html`, `display_updatable`,
//! `clear_output`, ...), evaluated by the kernel before the first cell.
//!
//! The prelude is the std-only crate `repronote-prelude` (`kernel/repronote-prelude`). With the
//! preloaded stack it is one of the stack's prebuilt crates, and a session imports it with one
//! `use` ([`STACK_IMPORT`]), so no cell recompiles it; without the stack its source is evaluated
//! as cell text ([`source_without_stack`]). The kernel depends on it too, so tests exercise the same code.

/// The prelude crate's source file.
const CRATE_SOURCE: &str = include_str!("../../repronote-prelude/src/lib.rs");
/// Its contract module, evaluated ahead of it as cell text.
const CONTRACT_SOURCE: &str = include_str!("../../repronote-prelude/src/contract.rs");

/// The prelude's source as evaluated as cell text when the stack is unavailable: the contract's
/// items first, then the crate without the lines marked "stack only" (`rng()` needs
/// rand_xoshiro, and evcxr would keep the `use` of a module that is configured out) and without
/// its `mod contract` (the items are already there).
pub fn source_without_stack() -> String {
    let mut kept = String::with_capacity(CONTRACT_SOURCE.len() + CRATE_SOURCE.len());
    kept.push_str(CONTRACT_SOURCE);
    let mut skipping = false;
    for line in CRATE_SOURCE.lines() {
        if line.starts_with("// stack only: begin") || line.starts_with("// contract: begin") {
            skipping = true;
        } else if line.starts_with("// stack only: end") || line.starts_with("// contract: end") {
            skipping = false;
        } else if !skipping {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    kept
}

pub use repronote_prelude::contract::{
    CELL_SEED_FILE_ENV, FLUSH_FIFO_ENV, LINEAGE_FILE_ENV, STACK_IMPORT,
};

/// The statement that starts the stdout flusher; run again whenever the evaluation process
/// restarts, since the flusher lives in that process.
///
/// It keeps the result in a session variable so that evcxr creates its variable store (a
/// `HashMap`) here, in the prelude, rather than in whichever user cell first binds a variable:
/// otherwise that cell would build one map more than when it runs again, and draw other
/// `HashMap` keys (see `evaluation_process::entropy`).
pub const START_FLUSHER: &str = "let repronote_flusher: bool = repronote_start_flusher();";

#[cfg(test)]
mod tests {
    #[test]
    fn the_text_prelude_leaves_out_what_needs_the_stack() {
        let text = super::source_without_stack();
        assert!(!text.contains("seeded_rng"), "{text}");
        assert!(!text.contains("stack only"));
        assert!(text.contains("pub fn cell_seed()"));
        assert!(text.contains("pub fn display_html("));
        assert!(text.contains("pub enum MarkerKind"));
        assert!(!text.contains("mod contract;"));
    }
}
