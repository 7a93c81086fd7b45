//! The session's provenance record, defined once: the kernel writes it before every cell (to
//! the file named by [`crate::contract::PROVENANCE_FILE_ENV`]) and linfa-export reads it into
//! every export's manifest. One struct for both sides, so the JSON cannot drift between the
//! writer and the reader (linfa-export re-exports it as its `Provenance`).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How a model came to be: the session's seed, the cells that ran, and whether it can be
/// replayed. Every field is optional so partial knowledge fits without a format change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// Seed of the generator used for training (the session seed in a notebook).
    pub seed: Option<u64>,
    /// SHA-256 (lowercase hex) of the source of every executed cell, in execution order.
    pub cells: Vec<String>,
    /// Set when the session did something that cannot be replayed.
    pub non_reproducible: bool,
    /// Why, when `non_reproducible` is set.
    pub non_reproducible_reason: Option<String>,
    /// The kernel that ran the session.
    pub kernel: Option<KernelInfo>,
    /// The session's numeric profile: whether its floating-point results are the same bits on
    /// every CPU. Absent from records made before kernels had profiles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numerics: Option<NumericsRecord>,
}

impl Provenance {
    /// Appends the SHA-256 of an executed cell's source, in execution order.
    pub fn record_cell(&mut self, source: &str) {
        self.cells
            .push(crate::contract::hex_payload(&Sha256::digest(
                source.as_bytes(),
            )));
    }

    /// Marks the session as not reproducible, keeping the first reason given.
    pub fn mark_non_reproducible(&mut self, reason: impl Into<String>) {
        if !self.non_reproducible {
            self.non_reproducible = true;
            self.non_reproducible_reason = Some(reason.into());
        }
    }
}

/// A session's numeric profile, as recorded: its name (`portable-v1`, `native`) and what it pins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumericsRecord {
    pub profile: String,
    /// What the profile holds fixed, in words; empty for `native`, which pins nothing.
    pub pins: Vec<String>,
}

impl From<crate::numerics::NumericProfile> for NumericsRecord {
    fn from(profile: crate::numerics::NumericProfile) -> Self {
        Self {
            profile: profile.name().to_owned(),
            pins: profile.pins(),
        }
    }
}

/// Name and version of a notebook kernel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KernelInfo {
    pub name: String,
    pub version: String,
}

/// What re-runs a session: its seed and every cell the provenance lists, in the same order, with
/// the identity each cell's seed was derived from. The kernel writes it beside the provenance
/// (to the file named by [`crate::contract::TRAINING_RECORD_FILE_ENV`]); linfa-export copies it
/// into an export; `nb reproduce` and `:replay` run it again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingRecord {
    /// The session seed the first cell ran under.
    pub seed: u64,
    /// The cells, in execution order: `cells[i]`'s source hashes to the provenance's `cells[i]`.
    pub cells: Vec<RecordedCell>,
}

/// One cell of a [`TrainingRecord`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedCell {
    /// The cell's source as the user wrote it, magics included.
    pub source: String,
    /// The identity the cell's seed came from when it was not the source: the `cellId` a
    /// JupyterLab session sent, in records made before seeds always came from the source
    /// (`nb reproduce` sends it back); `None` when the seed came from the
    /// source itself.
    pub id: Option<String>,
}

impl RecordedCell {
    /// SHA-256 (lowercase hex) of the source: the digest the provenance lists for this cell.
    pub fn sha256(&self) -> String {
        crate::contract::hex_payload(&Sha256::digest(self.source.as_bytes()))
    }
}
