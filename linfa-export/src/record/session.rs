//! The provenance a notebook session hands to every export made in it.
//!
//! repronote knows what the user should not have to type: the session's seed, the digest of
//! every cell it ran, whether entropy was allowed, and which kernel ran them. Before each cell
//! it writes that record as JSON (the [`Provenance`] fields) to a file and names the file in
//! [`SESSION_PROVENANCE_ENV`]. [`ExportParams::check`](crate::ExportParams::check) reads it, so
//! an export from a notebook carries the session's provenance without a line of code. Outside a
//! kernel the variable is unset and nothing changes.
//!
//! What the caller set explicitly wins (a seed, a list of cells, a kernel), except that an
//! export can never claim more reproducibility than the session had: a non-reproducible session
//! marks the export non-reproducible whatever the caller said.
//!
//! The kernel names three files, one per variable: the provenance, the training record
//! ([`TRAINING_RECORD_ENV`]) and the lineage (`record::lineage`, which also writes its file).
//! This module reads the first two.

use std::path::PathBuf;

use crate::format::error::ParamsError;
use crate::format::manifest::Provenance;
use crate::format::parent::Parent;
use crate::format::training_record::TrainingRecord;
use crate::record::lineage;

/// Everything a notebook session hands an export: what
/// [`ExportParams::check`](crate::ExportParams::check) reads, and what
/// [`ExportParams::check_in`](crate::ExportParams::check_in) takes instead.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionContext {
    /// The session's provenance (seed, cell digests, kernel).
    pub provenance: Option<Provenance>,
    /// The session's cells with their source, to ship as `training_record.json`.
    pub training_record: Option<TrainingRecord>,
    /// The artifacts the session loaded or verified, in order of first use.
    pub lineage: Vec<Parent>,
}

impl SessionContext {
    /// Reads all three from the running session ([`SESSION_PROVENANCE_ENV`],
    /// [`TRAINING_RECORD_ENV`](crate::TRAINING_RECORD_ENV),
    /// [`SESSION_LINEAGE_ENV`](crate::SESSION_LINEAGE_ENV)); outside a kernel, the provenance
    /// and training record are `None` and the lineage is this process's.
    pub fn from_env() -> Result<SessionContext, ParamsError> {
        Ok(SessionContext {
            provenance: session_provenance()?,
            training_record: session_training_record()?,
            lineage: lineage::session_lineage()?,
        })
    }
}

/// Names the file holding the running session's provenance.
pub use repronote_prelude::contract::PROVENANCE_FILE_ENV as SESSION_PROVENANCE_ENV;

/// The running session's provenance, or `None` outside a kernel session.
pub fn session_provenance() -> Result<Option<Provenance>, ParamsError> {
    read_session_file(SESSION_PROVENANCE_ENV, |path, reason| {
        ParamsError::SessionProvenance { path, reason }
    })
}

/// Names the file holding the running session's training record (set by the kernel).
pub use repronote_prelude::contract::TRAINING_RECORD_FILE_ENV as TRAINING_RECORD_ENV;

/// The running session's training record, or `None` outside a kernel session.
pub fn session_training_record() -> Result<Option<TrainingRecord>, ParamsError> {
    read_session_file(TRAINING_RECORD_ENV, |path, reason| {
        ParamsError::SessionTrainingRecord { path, reason }
    })
}

/// The JSON file the kernel names in `env`, or `None` when `env` is unset (outside a kernel);
/// `problem` makes the error that names the file and what went wrong.
fn read_session_file<T: serde::de::DeserializeOwned>(
    env: &str,
    problem: impl Fn(PathBuf, String) -> ParamsError,
) -> Result<Option<T>, ParamsError> {
    let Some(path) = std::env::var_os(env).map(PathBuf::from) else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(&path).map_err(|e| problem(path.clone(), e.to_string()))?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| problem(path, e.to_string()))
}

/// `explicit` completed by the session's record; see the module docs for who wins.
pub fn merge(explicit: Option<Provenance>, session: Option<Provenance>) -> Option<Provenance> {
    let Some(session) = session else {
        return explicit;
    };
    let Some(mut merged) = explicit else {
        return Some(session);
    };
    merged.seed = merged.seed.or(session.seed);
    if merged.cells.is_empty() {
        merged.cells = session.cells;
    }
    merged.kernel = merged.kernel.or(session.kernel);
    merged.numerics = merged.numerics.or(session.numerics);
    if session.non_reproducible {
        let reason = session
            .non_reproducible_reason
            .unwrap_or_else(|| "the notebook session was not reproducible".to_owned());
        if merged.non_reproducible {
            let own = merged.non_reproducible_reason.take().unwrap_or_default();
            merged.non_reproducible_reason = Some(format!("{reason}; {own}"));
        } else {
            merged.mark_non_reproducible(reason);
        }
    }
    Some(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::manifest::{KernelInfo, NumericsRecord};

    fn session() -> Provenance {
        Provenance {
            seed: Some(42),
            cells: vec!["a".repeat(64), "b".repeat(64)],
            non_reproducible: false,
            non_reproducible_reason: None,
            kernel: Some(KernelInfo {
                name: "repronote".to_owned(),
                version: "0.1.0".to_owned(),
            }),
            numerics: Some(NumericsRecord {
                profile: "portable-v1".to_owned(),
                pins: vec!["everything".to_owned()],
            }),
        }
    }

    #[test]
    fn outside_a_session_the_callers_record_is_kept() {
        let own = Provenance {
            seed: Some(7),
            ..Provenance::default()
        };
        assert_eq!(merge(Some(own.clone()), None), Some(own));
        assert_eq!(merge(None, None), None);
    }

    #[test]
    fn the_session_fills_what_the_caller_left_out() {
        assert_eq!(merge(None, Some(session())), Some(session()));
        let own = Provenance {
            seed: Some(7),
            ..Provenance::default()
        };
        let merged = merge(Some(own), Some(session())).unwrap();
        assert_eq!(merged.seed, Some(7), "an explicit seed wins");
        assert_eq!(merged.cells, session().cells);
        assert_eq!(merged.kernel, session().kernel);
        assert_eq!(merged.numerics, session().numerics);
        assert!(!merged.non_reproducible);
    }

    #[test]
    fn a_non_reproducible_session_cannot_be_exported_as_reproducible() {
        let mut unrepeatable = session();
        unrepeatable.mark_non_reproducible("entropy was allowed with `:allow_entropy`");
        let merged = merge(Some(Provenance::default()), Some(unrepeatable.clone())).unwrap();
        assert!(merged.non_reproducible);
        assert_eq!(
            merged.non_reproducible_reason.as_deref(),
            Some("entropy was allowed with `:allow_entropy`")
        );
        let mut own = Provenance::default();
        own.mark_non_reproducible("data read from the network");
        let merged = merge(Some(own), Some(unrepeatable)).unwrap();
        let reason = merged.non_reproducible_reason.unwrap();
        assert!(
            reason.contains(":allow_entropy") && reason.contains("network"),
            "{reason}"
        );
    }
}
