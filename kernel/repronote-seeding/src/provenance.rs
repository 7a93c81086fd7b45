//! The session's provenance: what an export made in this session records about how it came to be.
//!
//! The kernel keeps the session seed, the sha256 of every cell that ran (its source as the user
//! wrote it, magics included, in execution order; cells refused or rejected by the compiler ran
//! nothing and are left out, and so are cells interrupted or killed with their evaluation
//! process, whose effects were lost with it), whether the session was marked non-reproducible and why, and the
//! kernel's name and version. Before each cell it writes this record as JSON to the file named by
//! [`PROVENANCE_FILE_ENV`] in the evaluation process's environment, where linfa-export reads it.
//! Beside it goes the training record ([`TrainingRecord`]): the same cells' sources and the
//! identities their seeds came from, which an export carries so that `nb reproduce` can re-run
//! it and `:replay` can rebuild a lost session.
//! The record is the prelude's [`Provenance`], the very struct linfa-export deserializes; the
//! crate versions and toolchain are recorded by linfa-export itself, which is compiled inside the
//! session with the stack's lock and the session's compiler.

pub use repronote_prelude::contract::{PROVENANCE_FILE_ENV, TRAINING_RECORD_FILE_ENV};
use repronote_prelude::numerics::NumericProfile;
use repronote_prelude::provenance::{KernelInfo, Provenance, RecordedCell, TrainingRecord};

/// The session's record, whose seed is always set (a session always has one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionProvenance {
    record: Provenance,
    /// `training.cells[i]` is the cell whose digest is `record.cells[i]`.
    training: TrainingRecord,
    seed: u64,
}

impl SessionProvenance {
    pub fn new(seed: u64) -> Self {
        Self {
            record: Provenance {
                seed: Some(seed),
                kernel: Some(KernelInfo {
                    name: repronote_core::language::KERNEL_NAME.to_owned(),
                    version: repronote_core::language::KERNEL_VERSION.to_owned(),
                }),
                ..Provenance::default()
            },
            training: TrainingRecord {
                seed,
                cells: Vec::new(),
            },
            seed,
        }
    }

    /// Records the session's numeric profile (the kernel's, fixed for the session).
    pub fn with_numerics(mut self, profile: NumericProfile) -> Self {
        self.record.numerics = Some(profile.into());
        self
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn set_seed(&mut self, seed: u64) {
        self.seed = seed;
        self.record.seed = Some(seed);
    }

    /// Adds a cell that is about to run: its source as the user wrote it, and the identity its
    /// seed is derived from when that is not the source (a re-run of an older record's cell).
    pub fn record_cell(&mut self, source: &str, id: Option<&str>) {
        self.record.record_cell(source);
        self.training.cells.push(RecordedCell {
            source: source.to_owned(),
            id: id.map(str::to_owned),
        });
    }

    /// Takes back the cell recorded last: it turned out not to run, or what it did was lost.
    pub fn forget_last_cell(&mut self) {
        self.record.cells.pop();
        self.training.cells.pop();
    }

    /// The seed the session's first cell ran under.
    pub fn initial_seed(&self) -> u64 {
        self.training.seed
    }

    /// Marks the session non-reproducible; the first reason stays.
    pub fn mark_non_reproducible(&mut self, reason: &str) {
        self.record.mark_non_reproducible(reason);
    }

    /// Why the session cannot be replayed, if it cannot.
    pub fn non_reproducible_reason(&self) -> Option<&str> {
        self.record
            .non_reproducible
            .then_some(self.record.non_reproducible_reason.as_deref())
            .flatten()
    }

    pub fn is_reproducible(&self) -> bool {
        !self.record.non_reproducible
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.record).expect("the record has only strings and numbers")
    }

    /// The training record as JSON, for the file named by [`TRAINING_RECORD_FILE_ENV`].
    pub fn training_record_json(&self) -> String {
        serde_json::to_string(&self.training).expect("the record has only strings and numbers")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_is_what_linfa_export_reads() {
        let mut record = SessionProvenance::new(42);
        record.record_cell(":seed 42", None);
        record.record_cell("let x = 1;", Some("cell-2"));
        record.record_cell("broken(", None);
        record.forget_last_cell();
        record.mark_non_reproducible("entropy was allowed with `:allow_entropy`");
        record.mark_non_reproducible("a later reason");
        // The reader's own type, which refuses unknown fields.
        let read: Provenance = serde_json::from_str(&record.to_json()).unwrap();
        assert_eq!(read.seed, Some(42));
        // sha256("let x = 1;")
        assert_eq!(
            read.cells[1],
            "aad7378dfeb851703927a534da47d0d02be7f54cf8c1751a37734d515811dafe"
        );
        assert_eq!(read.cells.len(), 2);
        assert_eq!(
            read.non_reproducible_reason.as_deref(),
            Some("entropy was allowed with `:allow_entropy`")
        );
        assert_eq!(read.kernel.unwrap().name, "repronote");
        let value: serde_json::Value = serde_json::from_str(&record.to_json()).unwrap();
        let fields: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            fields,
            [
                "cells",
                "kernel",
                "non_reproducible",
                "non_reproducible_reason",
                "seed"
            ]
        );
        let training: TrainingRecord =
            serde_json::from_str(&record.training_record_json()).unwrap();
        assert_eq!(training.seed, 42);
        let digests: Vec<String> = training.cells.iter().map(RecordedCell::sha256).collect();
        assert_eq!(
            digests, read.cells,
            "the record's sources are the cells the digests name"
        );
        assert_eq!(training.cells[1].id.as_deref(), Some("cell-2"));
    }

    #[test]
    fn the_numeric_profile_is_recorded_with_what_it_pins() {
        let portable = SessionProvenance::new(42).with_numerics(NumericProfile::Portable);
        let read: Provenance = serde_json::from_str(&portable.to_json()).unwrap();
        let numerics = read.numerics.unwrap();
        assert_eq!(numerics.profile, "portable-v1");
        assert!(
            numerics
                .pins
                .iter()
                .any(|pin| pin.contains("matrixmultiply"))
        );
        assert!(numerics.pins.iter().any(|pin| pin.contains("sincos")));
        let native = SessionProvenance::new(42).with_numerics(NumericProfile::Native);
        let read: Provenance = serde_json::from_str(&native.to_json()).unwrap();
        assert_eq!(read.numerics.unwrap().profile, "native");
    }
}
