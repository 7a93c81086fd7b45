//! The kernel's own commands (`:help`, `:stack`), answered without compiling, and the help
//! text `:help` shows before evcxr's command list.

/// What the kernel says about itself on `:help`, before evcxr's command list.
pub(super) const KERNEL_HELP: &str = "\
repronote: Rust cells, compiled and run by evcxr.

Rich output from a cell:
  display_html(\"<b>hi</b>\")                 HTML
  display_svg(&svg) / display_markdown(md)  an SVG image / Markdown
  display(&[(\"text/plain\", \"x\")])           any MIME bundle
  let h = display_updatable(&[...]);        a display to update in place
  h.update(&[(\"text/plain\", \"50%\")])
  clear_output(true)                        clear the cell's output

A cell's final expression without `;` is shown as its result.

The linfa stack (linfa and its algorithm crates, linfa-datasets, ndarray, rand, rand_xoshiro,
plotters, serde_json, linfa-export) is preloaded: no `:dep` needed. `:stack` lists the pinned
versions.

Seeding: every session has a seed (42 until `:seed N`; `:seed` shows it). Each cell gets its own
seed derived from it: cell_seed(). Calls that draw from the operating system (thread_rng,
rand::random, OsRng, from_entropy, ...) are refused; `:allow_entropy` allows them and marks the
session non-reproducible.
Cells compile without crate-local ThinLTO (fast re-compiles); for heavy generic code that
must run fast, start the kernel with REPRONOTE_CELL_LTO=thin.
Interrupt stops a running cell by restarting the evaluation process: variables are lost, items
(functions, types, `use`) are kept. `:replay` then runs the cells that completed again, each
with its seed, which rebuilds the same values. A panic keeps the variables of earlier cells.
Exports record the session's cells (for `nb reproduce`) and the artifacts it loaded (lineage).

evcxr commands:
";

/// The interpreter's own commands, a cell of their own, answered without compiling. (The
/// seeding magics are the [`repronote_seeding::policy::SeedingMagic`]s, handled before a cell
/// gets here; every other `:` command is evcxr's.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum KernelMagic {
    /// `:help`: the kernel's help, then evcxr's command list, in the pager.
    Help,
    /// `:stack`: the preloaded crates' pinned versions and the build key.
    Stack,
}

impl KernelMagic {
    pub(super) fn parse(code: &str) -> Option<KernelMagic> {
        match code.trim() {
            ":help" => Some(KernelMagic::Help),
            ":stack" => Some(KernelMagic::Stack),
            _ => None,
        }
    }
}
