//! The bottom layer: what an artifact's files say, as types and their exact bytes.
//!
//! The manifest, the training record's file, the lineage a manifest records, the data
//! fingerprint's fields, the model encodings, and the signature file's bundle and statement
//! are plain data with one (de)serialisation each. They sit at the bottom because every
//! other layer reads or writes them and none of them needs to know how a folder is walked,
//! a key checked or a session recorded: a type as basic as the manifest must not depend on
//! the loader. The errors live here too ([`error`]), since reading a manifest's bytes is
//! already the first thing that can refuse an artifact. Nothing here imports from a layer
//! above.

pub(crate) mod bundle;
pub(crate) mod card;
pub(crate) mod digest;
pub(crate) mod encode;
pub(crate) mod error;
pub(crate) mod fingerprint;
#[cfg(test)]
pub(crate) mod fixtures;
pub(crate) mod manifest;
pub(crate) mod parent;
pub(crate) mod parse;
pub(crate) mod statement;
pub(crate) mod training_record;
