//! The Rust interpreter: cells compiled by evcxr against the preloaded linfa stack, and run in
//! an evaluation process of our own.
//!
//! - [`interpreter`] answers the core's questions through evcxr: start-up and the stack, typing
//!   of bindings evcxr cannot type ([`interpreter::type_probe`]), errors in the user's terms,
//!   and the output pump;
//! - [`evaluation_process`] is the binary re-executed by evcxr to run cells (each on its own
//!   thread, OS entropy answered from the cell's seed), with a relay that keeps output whole
//!   and ordered; [`output_protocol`] reads its marker lines back;
//! - [`rustc_wrapper`] is the cells' crate's rustc wrapper (type probes, LTO choice);
//! - [`prelude`] is how a session gets the cell prelude; [`build_progress`] brings cargo's
//!   dependency builds into the notebook (the binary's `prebuild` uses it to compile the stack into its cache).

pub mod build_progress;
pub mod evaluation_process;
pub mod interpreter;
mod output_protocol;
mod prelude;
pub mod rustc_wrapper;
pub mod stack_externs;
