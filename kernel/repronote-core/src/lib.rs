//! The kernel's protocol bookkeeping, with no compiler and no sockets: what makes a Jupyter
//! kernel a kernel, whatever language it runs.
//!
//! - [`protocol`] dispatches each request on its message type in one `match`, owns the
//!   execution counter, busy/idle, `stop_on_error` aborts and stdin, and publishes outputs with
//!   the right parent header;
//! - [`interpreter`] is what the core asks of a language (execute, complete, inspect, interrupt),
//!   answered on one worker thread, and [`interpreter::completeness`] answers `is_complete` from
//!   the text alone;
//! - [`history`] and [`language`] answer `history_request` and describe the language.
//!
//! The core's tests drive it with a scripted interpreter, so they run in seconds: this crate
//! compiles without evcxr or zeromq (the transport lives in `repronote-zmq`, the Rust
//! interpreter in `repronote-evcxr`).

pub mod history;
pub mod interpreter;
pub mod language;
pub mod protocol;
