//! The third layer: whether an artifact is the one its author published.
//!
//! Keys, writing and checking `model.sig`, the [`Trust`](policy::Trust) policy (a pinned
//! digest, a required key) and what a verification hands back ([`Verified`](policy::Verified)
//! with its assurance). It sits on integrity, because a signature or a pin only means
//! something about files that agree with their manifest, and below the record: recording a
//! verified artifact as a parent needs to know who signed it, never the other way round.

pub(crate) mod keys;
pub(crate) mod policy;
pub(crate) mod sign;
pub(crate) mod signature;
pub(crate) mod verify;
