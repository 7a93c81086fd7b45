//! Export options, following linfa's params pattern.
//!
//! Options are collected with a builder ([`ExportParams`]), validated once
//! into [`ValidExportParams`] (`check`, or linfa's `ParamGuard`), and only
//! validated options can run an export. Mistakes in the options are reported
//! before any byte is written, and the export itself only fails for reasons
//! outside the caller's control. Running an export (`ValidExportParams::export`) is the
//! artifact writer's (`model::artifact`), which reads these options; they do not know it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use linfa::ParamGuard;
use serde_json::Value;

use crate::format::digest::is_sha256_hex;
use crate::format::error::ParamsError;
use crate::format::fingerprint::DataFingerprint;
use crate::format::manifest::{CardFields, Provenance, RESERVED_FILES, check_relative_path};
use crate::format::parent::{Parent, add as add_parent};
use crate::format::training_record::{TrainingRecord, TrainingRecordStatus};
use crate::record::lineage;
use crate::record::session::{self, SessionContext};
use crate::record::training;

/// When the export says it happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timestamp {
    /// The time of the export (default).
    Now,
    /// A fixed time.
    At(SystemTime),
    /// No time at all (`exported_at: null`).
    Omit,
}

/// Validated export options; build them with [`ExportParams`].
#[derive(Debug, Clone, PartialEq)]
pub struct ValidExportParams {
    pub(crate) card: CardFields,
    pub(crate) data: Option<DataFingerprint>,
    pub(crate) provenance: Option<Provenance>,
    pub(crate) hyperparameters: Option<Value>,
    pub(crate) metrics: BTreeMap<String, f64>,
    pub(crate) binary: bool,
    pub(crate) overwrite: bool,
    pub(crate) timestamp: Timestamp,
    pub(crate) attachments: Vec<(String, PathBuf)>,
    /// Parents given with [`ExportParams::parent`]; once checked, the whole lineage.
    pub(crate) lineage: Vec<Parent>,
    pub(crate) session_lineage: bool,
    pub(crate) withhold_training_record: bool,
    /// The session's training record, once checked against the provenance.
    pub(crate) training_record: Option<TrainingRecord>,
    pub(crate) training_record_status: Option<TrainingRecordStatus>,
}

/// Export options under construction.
///
/// ```
/// use linfa_export::ExportParams;
/// let params = ExportParams::new("iris-tree")
///     .description("Decision tree on the iris flowers")
///     .license("mit")
///     .metric("accuracy", 0.96)
///     .seed(42)
///     .check()
///     .unwrap();
/// # let _ = params;
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ExportParams(ValidExportParams);

impl ExportParams {
    /// Starts options for a model called `name` (the model card's title).
    pub fn new(name: impl Into<String>) -> Self {
        Self(ValidExportParams {
            card: CardFields {
                name: name.into(),
                ..CardFields::default()
            },
            data: None,
            provenance: None,
            hyperparameters: None,
            metrics: BTreeMap::new(),
            binary: true,
            overwrite: false,
            timestamp: Timestamp::Now,
            attachments: Vec::new(),
            lineage: Vec::new(),
            session_lineage: true,
            withhold_training_record: false,
            training_record: None,
            training_record_status: None,
        })
    }

    /// What the model does.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.0.card.description = Some(text.into());
        self
    }

    /// What the model is meant to be used for.
    pub fn intended_use(mut self, text: impl Into<String>) -> Self {
        self.0.card.intended_use = Some(text.into());
        self
    }

    /// Known limitations.
    pub fn limitations(mut self, text: impl Into<String>) -> Self {
        self.0.card.limitations = Some(text.into());
        self
    }

    /// License id, e.g. `mit` or `apache-2.0`.
    pub fn license(mut self, id: impl Into<String>) -> Self {
        self.0.card.license = Some(id.into());
        self
    }

    /// Adds an author.
    pub fn author(mut self, name: impl Into<String>) -> Self {
        self.0.card.authors.push(name.into());
        self
    }

    /// Adds a tag to the card's front matter.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.0.card.tags.push(tag.into());
        self
    }

    /// States how predictions may differ across groups.
    pub fn bias_risk(mut self, text: impl Into<String>) -> Self {
        self.0.card.risks.bias = Some(text.into());
        self
    }

    /// States whether the training data held private data.
    pub fn private_data_risk(mut self, text: impl Into<String>) -> Self {
        self.0.card.risks.private_data = Some(text.into());
        self
    }

    /// States the limits of the training environment.
    pub fn environment_risk(mut self, text: impl Into<String>) -> Self {
        self.0.card.risks.environment = Some(text.into());
        self
    }

    /// States any other risk.
    pub fn risk(mut self, text: impl Into<String>) -> Self {
        self.0.card.risks.other.push(text.into());
        self
    }

    /// Records the training data's fingerprint.
    pub fn data(mut self, fingerprint: DataFingerprint) -> Self {
        self.0.data = Some(fingerprint);
        self
    }

    /// Records the session provenance (replaces any earlier one, seed included).
    pub fn provenance(mut self, provenance: Provenance) -> Self {
        self.0.provenance = Some(provenance);
        self
    }

    /// Records the training seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.0
            .provenance
            .get_or_insert_with(Provenance::default)
            .seed = Some(seed);
        self
    }

    /// Records hyper-parameters; without this the model's own shape facts are used.
    pub fn hyperparameters(mut self, value: Value) -> Self {
        self.0.hyperparameters = Some(value);
        self
    }

    /// Records one evaluation metric (must be finite).
    pub fn metric(mut self, name: impl Into<String>, value: f64) -> Self {
        self.0.metrics.insert(name.into(), value);
        self
    }

    /// Whether to write `model.cbor` beside `model.json` (default `true`).
    pub fn binary(mut self, yes: bool) -> Self {
        self.0.binary = yes;
        self
    }

    /// Whether an existing folder at the target may be replaced (default `false`).
    pub fn overwrite(mut self, yes: bool) -> Self {
        self.0.overwrite = yes;
        self
    }

    /// Sets the export time (default: the time of export).
    pub fn timestamp(mut self, timestamp: Timestamp) -> Self {
        self.0.timestamp = timestamp;
        self
    }

    /// Copies the file at `source` into the artifact as `name` (a relative
    /// path such as `data/sample.csv`); it is hashed and verified like the rest.
    pub fn attach_file(mut self, name: impl Into<String>, source: impl Into<PathBuf>) -> Self {
        self.0.attachments.push((name.into(), source.into()));
        self
    }

    /// Records `parent` as an artifact this model was built on, besides the ones the session
    /// loaded: a [`&Verified`](crate::Verified), a [`&Loaded`](crate::Loaded) or a
    /// [`Parent`]. The same artifact given twice (or also loaded) is recorded once.
    pub fn parent(mut self, parent: impl Into<Parent>) -> Self {
        add_parent(&mut self.0.lineage, parent.into());
        self
    }

    /// Leaves out the parents the session loaded or verified (see
    /// [`session_lineage`](crate::session_lineage)); only those given with
    /// [`parent`](Self::parent) are recorded.
    pub fn without_session_lineage(mut self) -> Self {
        self.0.session_lineage = false;
        self
    }

    /// Leaves the session's training record (the source of its cells) out of the artifact,
    /// for code that must stay private; the manifest then says `"training_record":
    /// "withheld"`, and the model cannot be re-run from the artifact.
    pub fn without_training_record(mut self) -> Self {
        self.0.withhold_training_record = true;
        self
    }
}

impl ParamGuard for ExportParams {
    type Checked = ValidExportParams;
    type Error = ParamsError;

    fn check_ref(&self) -> Result<&ValidExportParams, ParamsError> {
        let p = &self.0;
        if p.card.name.trim().is_empty() {
            return Err(ParamsError::EmptyName);
        }
        for (name, &value) in &p.metrics {
            if name.trim().is_empty() {
                return Err(ParamsError::EmptyMetricName);
            }
            if !value.is_finite() {
                return Err(ParamsError::NonFiniteMetric {
                    name: name.clone(),
                    value,
                });
            }
        }
        let mut seen = BTreeSet::new();
        for (name, _) in &p.attachments {
            check_relative_path(name).map_err(|reason| ParamsError::BadAttachmentName {
                name: name.clone(),
                reason,
            })?;
            if RESERVED_FILES.contains(&name.as_str()) {
                return Err(ParamsError::BadAttachmentName {
                    name: name.clone(),
                    reason: "reserved for the artifact's own files".to_owned(),
                });
            }
            if !seen.insert(name.as_str()) {
                return Err(ParamsError::DuplicateAttachment { name: name.clone() });
            }
        }
        // A file and a folder of the same name cannot both exist.
        for name in &seen {
            let mut prefix = Path::new(name).parent();
            while let Some(dir) = prefix.filter(|d| !d.as_os_str().is_empty()) {
                if seen.contains(dir.to_str().unwrap_or_default()) {
                    return Err(ParamsError::BadAttachmentName {
                        name: (*name).to_owned(),
                        reason: format!("`{}` is also attached as a file", dir.display()),
                    });
                }
                prefix = dir.parent();
            }
        }
        if let Some(prov) = &p.provenance {
            for (index, digest) in prov.cells.iter().enumerate() {
                if !is_sha256_hex(digest) {
                    return Err(ParamsError::BadCellDigest {
                        index,
                        digest: digest.clone(),
                    });
                }
            }
            if prov.non_reproducible
                && prov
                    .non_reproducible_reason
                    .as_deref()
                    .is_none_or(|r| r.trim().is_empty())
            {
                return Err(ParamsError::MissingNonReproducibleReason);
            }
        }
        fn check_parents(parents: &[Parent]) -> Result<(), ParamsError> {
            for parent in parents {
                if !is_sha256_hex(&parent.artifact_sha256) {
                    return Err(ParamsError::BadParentDigest {
                        name: parent.name.clone(),
                        digest: parent.artifact_sha256.clone(),
                    });
                }
                check_parents(&parent.lineage)?;
            }
            Ok(())
        }
        check_parents(&p.lineage)?;
        if let Some(data) = &p.data {
            let targets = data.targets.iter().map(|t| ("targets", &t.sha256));
            for (which, digest) in std::iter::once(("records", &data.records.sha256)).chain(targets)
            {
                if !is_sha256_hex(digest) {
                    return Err(ParamsError::BadDataDigest {
                        which,
                        digest: digest.clone(),
                    });
                }
            }
        }
        Ok(p)
    }

    /// Validates the options; inside a repronote session the session's provenance, training
    /// record and lineage are added first (see [`SessionContext::from_env`]), each only when
    /// these options use it.
    fn check(self) -> Result<ValidExportParams, ParamsError> {
        let session = SessionContext {
            provenance: session::session_provenance()?,
            training_record: if self.0.withhold_training_record {
                None
            } else {
                session::session_training_record()?
            },
            lineage: if self.0.session_lineage {
                lineage::session_lineage()?
            } else {
                Vec::new()
            },
        };
        self.check_in(session)
    }
}

impl ExportParams {
    /// Validates the options (same as [`ParamGuard::check`], without the import).
    pub fn check(self) -> Result<ValidExportParams, ParamsError> {
        ParamGuard::check(self)
    }

    /// Validates the options with `session` as the notebook session's provenance: what
    /// [`check`](Self::check) reads from the environment, passed in instead, so this reads
    /// neither the environment nor a file.
    pub fn check_in_session(
        self,
        session: Option<Provenance>,
    ) -> Result<ValidExportParams, ParamsError> {
        self.check_in(SessionContext {
            provenance: session,
            ..SessionContext::default()
        })
    }

    /// Validates the options with `session` as everything the notebook session hands an
    /// export (provenance, training record, lineage), reading neither the environment nor a
    /// file. The training record must be the record of the merged provenance's cells
    /// ([`ParamsError::TrainingRecordLength`], [`ParamsError::TrainingRecordCell`]).
    pub fn check_in(mut self, session: SessionContext) -> Result<ValidExportParams, ParamsError> {
        let p = &mut self.0;
        p.provenance = session::merge(p.provenance.take(), session.provenance);
        if p.session_lineage {
            let explicit = std::mem::replace(&mut p.lineage, session.lineage);
            for parent in explicit {
                add_parent(&mut p.lineage, parent);
            }
        }
        if p.withhold_training_record {
            p.training_record = None;
            p.training_record_status = Some(TrainingRecordStatus::Withheld);
        } else if let Some(record) = session.training_record {
            training::check_matches(&record, p.provenance.as_ref())?;
            p.training_record = Some(record);
            p.training_record_status = Some(TrainingRecordStatus::Included);
        } else {
            p.training_record = None;
            p.training_record_status = None;
        }
        self.check_ref()?;
        Ok(self.0)
    }
}

impl ValidExportParams {
    /// The model card fields these options give.
    pub fn card(&self) -> &CardFields {
        &self.card
    }
}
