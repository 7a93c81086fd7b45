//! The session's provenance: what an export made in this session records about how it came to be.
//!
//! The kernel keeps the session seed, the sha256 of every cell that ran (its source as the user
//! wrote it, magics included, in execution order; cells refused or rejected by the compiler ran
//! nothing and are left out), whether the session was marked non-reproducible and why, and the
//! kernel's name and version. Before each cell it writes this record as JSON to the file named by
//! [`PROVENANCE_FILE_ENV`] in the evaluation process's environment, where linfa-export reads it
//! (`linfa_export::session_provenance`): the JSON has exactly the fields of linfa-export's
//! `Provenance`, and the crate versions and toolchain are recorded by linfa-export itself,
//! which is compiled inside the session with the stack's lock and the session's compiler.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The variable linfa-export reads (`linfa_export::SESSION_PROVENANCE_ENV`).
pub const PROVENANCE_FILE_ENV: &str = "LINFA_KERNEL_PROVENANCE_FILE";

/// The record, in linfa-export's `Provenance` format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionProvenance {
    pub seed: u64,
    /// sha256 (lowercase hex) of each executed cell's source, in execution order.
    pub cells: Vec<String>,
    pub non_reproducible: bool,
    pub non_reproducible_reason: Option<String>,
    pub kernel: KernelName,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KernelName {
    pub name: String,
    pub version: String,
}

impl SessionProvenance {
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            cells: Vec::new(),
            non_reproducible: false,
            non_reproducible_reason: None,
            kernel: KernelName {
                name: env!("CARGO_PKG_NAME").to_owned(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
            },
        }
    }

    /// Adds a cell that is about to run.
    pub fn record_cell(&mut self, source: &str) {
        self.cells
            .push(hex::encode(Sha256::digest(source.as_bytes())));
    }

    /// Takes back the cell recorded last: it turned out not to run.
    pub fn forget_last_cell(&mut self) {
        self.cells.pop();
    }

    /// Marks the session non-reproducible; the first reason stays.
    pub fn mark_non_reproducible(&mut self, reason: &str) {
        if !self.non_reproducible {
            self.non_reproducible = true;
            self.non_reproducible_reason = Some(reason.to_owned());
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("the record has only strings and numbers")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_has_linfa_exports_fields() {
        let mut record = SessionProvenance::new(42);
        record.record_cell(":seed 42");
        record.record_cell("let x = 1;");
        record.record_cell("broken(");
        record.forget_last_cell();
        record.mark_non_reproducible("entropy was allowed with `:allow_entropy`");
        record.mark_non_reproducible("a later reason");
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
        assert_eq!(value["seed"], 42);
        // sha256("let x = 1;")
        assert_eq!(
            value["cells"][1],
            "aad7378dfeb851703927a534da47d0d02be7f54cf8c1751a37734d515811dafe"
        );
        assert_eq!(value["cells"].as_array().unwrap().len(), 2);
        assert_eq!(
            value["non_reproducible_reason"],
            "entropy was allowed with `:allow_entropy`"
        );
        assert_eq!(value["kernel"]["name"], "linfa-kernel");
    }
}
