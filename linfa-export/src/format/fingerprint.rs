//! The training data's fingerprint as a manifest records it.
//!
//! Only the fields live here: what a manifest's `data` holds and how it reads and writes. How a
//! fingerprint is computed from an array (the canonical bytes, the hashing) is the integrity
//! layer's (`integrity::fingerprint`), whose constructors these types gain there.

use serde::{Deserialize, Serialize};

/// Shape, element type and digest of one array.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArrayFingerprint {
    /// Length of each axis.
    pub shape: Vec<usize>,
    /// Element type name, e.g. `f64`.
    pub element_type: String,
    /// Lowercase hex SHA-256 of the canonical bytes.
    pub sha256: String,
}

/// What the model was trained on, as recorded in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataFingerprint {
    /// Human name of the data set, e.g. `iris`.
    pub name: Option<String>,
    /// Where it came from, e.g. a URL or `linfa-datasets 0.8.1`.
    pub source: Option<String>,
    /// The feature matrix.
    pub records: ArrayFingerprint,
    /// The targets, when the model is supervised.
    pub targets: Option<ArrayFingerprint>,
}

impl DataFingerprint {
    /// Sets the data set's name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets where the data came from.
    pub fn with_source(mut self, source: impl Into<String>) -> Self {
        self.source = Some(source.into());
        self
    }
}
