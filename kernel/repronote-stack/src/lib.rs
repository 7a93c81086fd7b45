//! The preloaded linfa stack: the crates every cell can use without a `:dep` line.
//!
//! Why it exists: with plain evcxr a student's first cell spends a minute compiling linfa,
//! resolves whatever versions are newest that day, and the model is not reproducible from one
//! week to the next. Here the stack is a fixed manifest with a lock file, both compiled into this
//! binary ([`manifest`]), built once into a cache ([`cache`]) by `repronote prebuild` (which
//! `install` runs), and cloned into every kernel session by hard links, so a new kernel links
//! against already-optimized dependencies.
//!
//! The cache is keyed by everything that changes the build ([`manifest::StackKey`]): a kernel
//! whose key has no template builds one in its own session (with cargo's progress in the
//! notebook) and publishes it for the kernels after it.

pub mod cache;
pub mod manifest;

pub use cache::{Session, StackCache, TemplateStatus};
pub use manifest::{Dependency, StackKey};
