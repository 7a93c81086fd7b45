//! Export fitted [linfa](https://docs.rs/linfa) models into verifiable,
//! reproducible artifact folders, and load them back only when they verify.
//!
//! An artifact folder holds:
//!
//! - `model.json`: the model as canonical JSON (sorted keys, floats that
//!   round-trip exactly: the same model always gives the same bytes);
//! - `model.cbor`: the same canonical tree as CBOR, smaller (optional);
//! - `MODEL_CARD.md`: a Hugging Face style model card generated from the manifest;
//! - attachments the caller chose (optional);
//! - `training_record.json`: the session's cells and seed, to re-run them
//!   (inside a repronote session, unless withheld);
//! - `manifest.json`: format version, model type and crate versions, sha256
//!   and size of every file, training-data fingerprint, seed and session
//!   provenance, hyper-parameters, metrics, toolchain, and one artifact
//!   digest over all of it except the export time.
//!
//! ```
//! use linfa::prelude::*;
//! use linfa_export::{DataFingerprint, ExportParams, load, verify};
//! use linfa_trees::DecisionTree;
//!
//! let data = linfa::Dataset::new(
//!     ndarray::array![[1.0, 2.0], [1.5, 1.8], [5.0, 8.0], [6.0, 9.0]],
//!     ndarray::array![0usize, 0, 1, 1],
//! );
//! let tree = DecisionTree::params().fit(&data).unwrap();
//!
//! let dir = tempfile::tempdir().unwrap();
//! let target = dir.path().join("tree");
//! let report = ExportParams::new("toy tree")
//!     .description("Separates two blobs.")
//!     .data(DataFingerprint::from_dataset(&data).with_name("toy"))
//!     .metric("train_accuracy", 1.0)
//!     .seed(42)
//!     .check()
//!     .unwrap()
//!     .export(&tree, &target)
//!     .unwrap();
//!
//! assert!(verify(&target).is_ok());
//! let loaded = load::<DecisionTree<f64, usize>>(&target).unwrap();
//! assert_eq!(loaded.model.predict(&data.records), tree.predict(&data.records));
//! assert_eq!(loaded.manifest.artifact_sha256, report.digest());
//! ```
//!
//! # Models that cannot be exported
//!
//! linfa 0.8.1 cannot serialize RandomForest/bagging ensembles, AdaBoost or
//! BernoulliNb. Rather than writing something that would not load, the
//! library refuses them at compile time: [`ExportableModel`] is implemented
//! only for the serializable fitted models, and its compiler message says
//! that the model type cannot be exported and why.
//!
//! # Verification
//!
//! [`verify`] and [`load`] re-hash every file (streaming, in parallel) and
//! refuse missing, unexpected, resized, modified or symlinked files, paths
//! that leave the folder, absurd declared sizes, an edited or non-canonical
//! manifest, an unknown format version, a `model.sig` that does not parse or
//! lists other files or digests than the folder holds; [`load`] also refuses
//! another model type or a model written by an incompatible version of its crate.
//!
//! # Trust beyond consistency
//!
//! A manifest proves that the files agree with each other, not that they are
//! the ones their author published: whoever changes a model can re-hash the
//! files and re-seal the manifest. [`verify_trusted`] and [`load_trusted`] take a
//! [`Trust`] policy that also requires a pinned artifact digest (the one a
//! paper cites, [`Trust::digest`]), a signature by a known key
//! ([`Trust::key`]), or both. [`sign`] writes `model.sig`, a signature in the
//! format of OpenSSF model_signing 1.1.1 (`model_signing verify key` accepts
//! it, and signatures made by `model_signing sign key` verify here).
//!
//! ```
//! # use linfa::prelude::*;
//! # use linfa_trees::DecisionTree;
//! use linfa_export::{Curve, ExportParams, PrivateKey, Trust, load_trusted, sign, verify_trusted};
//! # let data = linfa::Dataset::new(
//! #     ndarray::array![[1.0, 2.0], [1.5, 1.8], [5.0, 8.0], [6.0, 9.0]],
//! #     ndarray::array![0usize, 0, 1, 1],
//! # );
//! # let tree = DecisionTree::params().fit(&data).unwrap();
//! # let dir = tempfile::tempdir().unwrap();
//! # let target = dir.path().join("tree");
//! let report = ExportParams::new("toy tree").check().unwrap().export(&tree, &target).unwrap();
//! let key = PrivateKey::generate(Curve::P256);
//! sign(&target, &key).unwrap();
//!
//! let trust = Trust::key(key.public_key()).and_digest(report.digest()).unwrap();
//! let verified = verify_trusted(&target, &trust).unwrap();
//! assert_eq!(verified.assurance.signer, Some(key.public_key().fingerprint()));
//! let loaded = load_trusted::<DecisionTree<f64, usize>>(&target, &trust).unwrap();
//! # let _ = loaded;
//! let stranger = Trust::key(PrivateKey::generate(Curve::P256).public_key());
//! assert!(verify_trusted(&target, &stranger).is_err());
//! ```
//!
//! Inside a repronote notebook session, exports also record the session's
//! provenance (seed, executed cells, kernel) without being asked
//! ([`SESSION_PROVENANCE_ENV`]).
//!
//! # Building on a shared model, and checking its claim
//!
//! - **Lineage.** Every successful [`load`] (and every verification that
//!   holds, except of an artifact this session exported itself) adds the
//!   artifact to the session's lineage: the file named by
//!   [`SESSION_LINEAGE_ENV`] in a kernel, where each cell is a separate
//!   library, or a process-wide list in a plain program. Every later export
//!   records those parents in its manifest (`lineage`, a [`Parent`] each,
//!   with the parent's own lineage nested, and the signer's key when a
//!   signature was checked); [`ExportParams::parent`] adds one,
//!   [`ExportParams::without_session_lineage`] leaves the session's out. The
//!   card names the direct parents as the Hub's `base_model`; `linfa-export
//!   verify DIR --lineage PARENT…` checks them ([`check_parents`]).
//! - **Training record.** When the kernel provides the cells' source
//!   ([`TRAINING_RECORD_ENV`]) and it is the record of what the provenance
//!   lists, the export ships it as `training_record.json`
//!   ([`ArtifactTrainingRecord`], read back with [`read_training_record`]);
//!   a mismatch is an error at `check`. [`ExportParams::without_training_record`]
//!   withholds it, and the manifest says so (`"training_record": "withheld"`).
//! - **Reproduction.** [`compare_reproduction`] verifies an artifact and its
//!   re-run and says whether the artifact digest is the same, or which files
//!   and metrics differ and by how much; [`check_data_folder`] and
//!   [`missing_data`] say which data file a re-run lacks, with the
//!   fingerprint it must have.
//!
//! Both new manifest fields are left out when empty, so every manifest
//! written before them keeps its bytes and its artifact digest. [`relaunch`] turns a verified artifact into
//! a repository that relaunches the environment that made it (Binder badge,
//! pinned `binder/`, a notebook that verifies, loads and uses the model).

// The layers, bottom to top: format, integrity, trust, record, model, tools. A module imports
// only from its own layer and the ones below it (`tests/layers.rs` checks that); each folder's
// `mod.rs` says why its layer sits where it does.
mod format;
mod integrity;
mod model;
mod record;
mod tools;
mod trust;

pub use format::card::render as render_card;
pub use format::digest::{is_sha256_hex, sha256_hex};
pub use format::error::{ExportError, ParamsError, Refused, SignError, TrustError, VerifyError};
pub use format::fingerprint::{ArrayFingerprint, DataFingerprint};
pub use format::manifest::{
    CardFields, FORMAT_VERSION, FileEntry, FileRole, KernelInfo, MANIFEST_FILE, MODEL_CARD_FILE,
    MODEL_CBOR_FILE, MODEL_JSON_FILE, Manifest, ModelInfo, NumericsRecord, Provenance, Risks,
    SIGNATURE_FILE, Toolchain, check_relative_path,
};
pub use format::parent::{Parent, lineage_tree};
pub use format::statement::SignedFile;
pub use format::training_record::{
    ArtifactTrainingRecord, RecordedCell, TRAINING_RECORD_FILE, TrainingRecord,
    TrainingRecordStatus, describe_training_record,
};
pub use integrity::fingerprint::CanonicalElement;
pub use integrity::hashing::HASH_BUFFER_SIZE;
pub use model::artifact::{ExportReport, Prepared, PreparedFile, export, prepare};
pub use model::exportable::{ExportableModel, TypeTag};
pub use model::load::{Loaded, load, load_trusted, load_with};
pub use model::params::{ExportParams, Timestamp, ValidExportParams};
pub use model::verify::{verify, verify_trusted, verify_with};
pub use record::build_info::{
    LINFA_EXPORT_VERSION, RUSTC_VERSION, TARGET, format_compatible, locked_crates, locked_version,
};
pub use record::lineage::{LineageMismatch, SESSION_LINEAGE_ENV, check_parents, session_lineage};
pub use record::session::{
    SESSION_PROVENANCE_ENV, SessionContext, TRAINING_RECORD_ENV, session_provenance,
    session_training_record,
};
pub use record::training::{read_training_record, read_training_record_with};
pub use tools::data_folder::{DataCheck, MissingData, check_data_folder, missing_data};
pub use tools::diff::{Difference, diff};
pub use tools::notebook::ModelCard;
pub use tools::numeric_diff::{ParameterChange, relative_difference};
pub use tools::relaunch::{
    JUPYTERLAB_VERSION, NOTEBOOK_FILE, PYTHON_VERSION, RelaunchError, RelaunchOptions,
    RelaunchReport, relaunch, rust_type, rustc_version,
};
pub use tools::reproduce::{
    FileChange, MetricChange, Profiles, Reproduction, compare_reproduction,
};
pub use trust::keys::{Curve, PrivateKey, PublicKey};
pub use trust::policy::{Assurance, Trust, Verified};
pub use trust::sign::{Signed, sign};
pub use trust::signature::{SignatureInfo, read_signature};
pub use trust::verify::{VerifyOptions, VerifyReport, read_manifest};
