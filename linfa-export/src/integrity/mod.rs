//! The second layer: whether a folder holds exactly the bytes its manifest describes.
//!
//! Hashing (streamed, in parallel), the data fingerprint's computation, the folder walk that
//! never follows a link, and the consistency check itself, `model.sig`'s listing included.
//! It sits on the format, whose types it reads and whose digests it recomputes, and below
//! trust: a consistency check needs no key and no policy, and records nothing, so it never
//! imports the layers that do (a verified artifact becoming the session's parent is the model
//! layer's business).

pub(crate) mod fingerprint;
pub(crate) mod folder;
pub(crate) mod hashing;
pub(crate) mod signed_files;
pub(crate) mod verify;
