//! Randomness that repeats: every cell gets a seed, entropy the kernel cannot reproduce is
//! refused before compiling, and the session keeps the record an export carries.
//!
//! - [`policy`]: the session seed, per-cell seed derivation and the entropy rules (pure
//!   functions, also used by `nb lint`);
//! - [`seeded`]: an interpreter wrapper that applies them to every cell (magics `:seed` and
//!   `:allow_entropy`, refusals with the seeded replacement);
//! - [`provenance`]: the session's record (seed, cells run, reproducibility) that linfa-export
//!   reads on every export.

pub mod policy;
pub mod provenance;
pub mod seeded;
