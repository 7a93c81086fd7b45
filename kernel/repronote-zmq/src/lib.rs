//! The Jupyter wire protocol over ZeroMQ, both ends of it.
//!
//! - [`wire`] turns multipart frames into verified messages and back (HMAC per the connection
//!   file's `signature_scheme`);
//! - [`transport`] binds a kernel's five sockets and connects them to the core's outbox;
//! - [`client`] starts a kernel command as Jupyter would and drives it: how `nb run` executes a
//!   notebook, and how this crate's integration test runs the real transport.

pub mod client;
pub mod transport;
pub mod wire;
