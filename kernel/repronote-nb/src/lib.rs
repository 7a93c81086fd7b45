//! `repronote nb`: notebook tooling that works on `.ipynb` files without JupyterLab.
//!
//! - [`run`]: execute a notebook in a fresh kernel (the kernel command the caller names, started
//!   as Jupyter would start it, driven over ZeroMQ by `repronote_zmq::client`), like
//!   `nbconvert --execute`;
//! - [`check`]: run it twice in fresh kernels and compare outputs and exported artifacts;
//! - [`reproduce`]: re-run an exported model's training record in a fresh kernel and compare
//!   the artifact it writes with the original;
//! - [`example`]: a preloaded linfa crate's own examples, read from cargo's registry, as
//!   notebooks;
//! - [`format`], [`lint`], [`strip`]: rustfmt on code cells, the seeding policy per cell, and
//!   outputs removed; [`clippy`] adds clippy's advice per cell to `lint`.
//!
//! Files are read and written by [`file`]: a malformed notebook is an error naming the file and
//! the problem, and a notebook is only ever replaced whole (written beside it, then renamed).

pub mod check;
pub mod clippy;
pub mod example;
pub mod file;
mod folder;
pub mod format;
pub mod lint;
mod outputs;
pub mod reproduce;
pub mod run;
pub mod strip;

pub use file::{NotebookError, code_source, read_notebook, write_notebook};

/// The cell tag Jupyter's tools use for a cell that is expected to fail (it demonstrates an
/// error): `run` continues after it and `lint` leaves it alone.
pub const RAISES_EXCEPTION: &str = "raises-exception";

/// Whether `cell` carries the [`RAISES_EXCEPTION`] tag.
pub fn expected_to_fail(cell: &nbformat::v4::Cell) -> bool {
    cell.metadata()
        .tags
        .as_ref()
        .is_some_and(|tags| tags.iter().any(|t| t == RAISES_EXCEPTION))
}

/// Whether `line` is a magic line (`:dep …`, `:seed 7`, …): the kernel's commands, not Rust, so
/// `fmt` leaves it as it is and `lint` gives clippy an empty line in its place.
pub fn is_magic_line(line: &str) -> bool {
    line.trim_start().starts_with(':')
}
