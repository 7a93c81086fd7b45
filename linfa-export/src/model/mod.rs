//! The fifth layer: the model API a notebook calls.
//!
//! Which fitted models can be exported ([`ExportableModel`](exportable::ExportableModel)),
//! linfa's params pattern for the options (`ExportParams` -> `ValidExportParams` ->
//! export), writing the artifact, loading it back, and the public `verify` that also records
//! what the session builds on. It sits on everything below: an export writes the format,
//! hashes with integrity, and takes the session's record; a load verifies under a trust
//! policy and records the parent. Only the tools use it.

pub(crate) mod artifact;
pub(crate) mod exportable;
pub(crate) mod load;
pub(crate) mod params;
pub(crate) mod verify;
