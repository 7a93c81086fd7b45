//! The fourth layer: what a notebook session knows about how a model came to be.
//!
//! The lineage (which verified artifacts the session built on), the training record (the
//! cells' source, to re-run them), the session's provenance, and the facts of this build
//! (toolchain, crate versions). It sits on trust, because a parent is recorded with the key
//! that was checked when it was loaded, and below the model API, which hands all of it to an
//! export and records each load. Its data types are format (`format::parent`,
//! `format::training_record`), so the manifest never depends on the session machinery.

pub(crate) mod build_info;
pub(crate) mod lineage;
pub(crate) mod session;
pub(crate) mod training;
