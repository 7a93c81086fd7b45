//! linfa-kernel: a Jupyter kernel for Rust, built for notebooks that train, export and share
//! linfa models.
//!
//! The layers, from the socket inwards:
//! - [`transport`] binds the connection file's sockets; [`wire`] turns frames into verified
//!   messages and back;
//! - [`core`] does the protocol's bookkeeping (counter, history, busy/idle, aborts, stdin);
//! - [`interpreter`] answers execute/complete/inspect/interrupt, with [`interpreter::evcxr`]
//!   compiling cells through evcxr, in the [`evaluation_process`] (this binary, re-executed:
//!   each cell on its own thread, OS entropy answered from the cell's seed);
//! - [`seeding`] (applied by [`interpreter::seeded`]) gives every cell a seed and refuses
//!   entropy that would make a run unrepeatable; [`provenance`] is what exports record of the
//!   session;
//! - [`output_protocol`] and [`prelude`] carry rich output from a running cell to the core;
//! - [`build_progress`] brings cargo's dependency builds into the notebook;
//! - [`stack`] is the preloaded linfa stack: its pinned manifest and the prebuilt cache;
//! - [`kernelspec`], [`launch`], [`notebook`] (`nb run|check|fmt|lint|strip`) and [`cli`] are
//!   the edges a user touches.

pub mod build_progress;
pub mod cli;
pub mod core;
pub mod evaluation_process;
pub mod history;
pub mod interpreter;
pub mod kernelspec;
pub mod language;
pub mod launch;
pub mod notebook;
pub mod output_protocol;
pub mod prebuild;
pub mod prelude;
pub mod provenance;
pub mod rustc_wrapper;
pub mod seeding;
pub mod stack;
pub mod transport;
pub mod wire;
