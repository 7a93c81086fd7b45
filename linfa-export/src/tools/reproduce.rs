//! Whether a re-run reproduced an artifact, and if not, what came out differently.
//!
//! An artifact claims that its cells, run under its seed, give exactly its files. The check is
//! to run them again (`repronote nb reproduce DIR`) and compare: the same artifact digest
//! means every file and every recorded fact came out byte for byte the same, which is the
//! whole answer. Otherwise a person wants to know which files moved and by how much the
//! metrics and the model's parameters did, before anything else [`diff`](crate::diff) finds,
//! and whether both runs used the same numeric profile: under `portable-v1` a difference is
//! never rounding of another CPU, under different profiles (or `native` on two machines) the
//! relative differences tell last bits from another model.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::format::error::VerifyError;
use crate::format::manifest::{FileRole, Manifest};
use crate::tools::diff::{Difference, diff};
use crate::tools::numeric_diff::{ParameterChange, compare_parameters, relative_difference};
use crate::trust::verify::{self, VerifyOptions};

/// One file whose sha256 differs, or that only one side has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// Path inside the artifact.
    pub path: String,
    /// Its sha256 in the original, `None` when the original has no such file.
    pub original: Option<String>,
    /// Its sha256 in the re-run, `None` when the re-run has no such file.
    pub rerun: Option<String>,
}

/// One metric that differs, or that only one side records.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricChange {
    pub name: String,
    pub original: Option<f64>,
    pub rerun: Option<f64>,
}

impl MetricChange {
    /// `rerun - original`, when both sides record the metric.
    pub fn difference(&self) -> Option<f64> {
        Some(self.rerun? - self.original?)
    }

    /// `|rerun - original| / max(|rerun|, |original|)`, when both sides record the metric.
    pub fn relative_difference(&self) -> Option<f64> {
        Some(relative_difference(self.original?, self.rerun?))
    }
}

/// The numeric profiles of the two runs (`portable-v1`, `native`; `None` for an export made
/// before kernels recorded one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profiles {
    pub original: Option<String>,
    pub rerun: Option<String>,
}

impl Profiles {
    fn of(a: &Manifest, b: &Manifest) -> Self {
        let profile = |m: &Manifest| {
            m.provenance
                .as_ref()
                .and_then(|p| p.numerics.as_ref())
                .map(|n| n.profile.clone())
        };
        Self {
            original: profile(a),
            rerun: profile(b),
        }
    }

    pub fn differ(&self) -> bool {
        self.original != self.rerun
    }
}

impl fmt::Display for Profiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Kernels before profiles ran the C library's math and the CPU's gemm: native.
        let name = |p: &Option<String>| {
            p.clone()
                .unwrap_or_else(|| "not recorded (a kernel before profiles: native)".to_owned())
        };
        if self.differ() {
            return write!(
                f,
                "numeric profile: {} in the original, {} in the re-run. Different profiles \
                 round differently: relative differences near 1e-16 (growing through an \
                 iterative fit) are last bits, larger ones another model. To compare like with \
                 like, re-run with REPRONOTE_NUMERICS set to the original's profile.",
                name(&self.original),
                name(&self.rerun)
            );
        }
        match self.original.as_deref() {
            Some("native") => write!(
                f,
                "numeric profile: native in both runs, whose results also depend on the CPU \
                 and math library: on another machine, differences near 1e-16 are last bits."
            ),
            Some(profile) => write!(
                f,
                "numeric profile: {profile} in both runs, which gives the same bits on every \
                 CPU: this difference is not rounding."
            ),
            None => write!(f, "numeric profile: not recorded in either run."),
        }
    }
}

/// What comparing an artifact with its re-run found.
#[derive(Debug, Clone, PartialEq)]
pub struct Reproduction {
    /// The original artifact's folder.
    pub original: PathBuf,
    /// The re-run's folder.
    pub rerun: PathBuf,
    pub original_digest: String,
    pub rerun_digest: String,
    /// Files that differ, by path.
    pub files: Vec<FileChange>,
    /// Metrics that differ, by name.
    pub metrics: Vec<MetricChange>,
    /// The numeric profiles the two runs used.
    pub profiles: Profiles,
    /// The model's parameter arrays that differ (from its JSON), by path.
    pub parameters: Vec<ParameterChange>,
    /// Every other manifest field that differs (seed, data, versions…), as `diff` reports it.
    pub other: Vec<Difference>,
}

impl Reproduction {
    /// True when the re-run has the original's artifact digest: it reproduced the artifact.
    pub fn is_identical(&self) -> bool {
        self.original_digest == self.rerun_digest
    }
}

impl fmt::Display for Reproduction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_identical() {
            return writeln!(
                f,
                "reproduced: identical artifact digest {}",
                self.original_digest
            );
        }
        writeln!(
            f,
            "not reproduced: artifact digest {} ({}) but {} in the re-run ({})",
            self.original_digest,
            self.original.display(),
            self.rerun_digest,
            self.rerun.display()
        )?;
        writeln!(f, "{}", self.profiles)?;
        for file in &self.files {
            match (&file.original, &file.rerun) {
                (Some(a), Some(b)) => writeln!(f, "file {}: sha256 {a} -> {b}", file.path)?,
                (Some(a), None) => writeln!(
                    f,
                    "file {}: missing in the re-run (original sha256 {a})",
                    file.path
                )?,
                (None, Some(b)) => {
                    writeln!(f, "file {}: only in the re-run (sha256 {b})", file.path)?
                }
                (None, None) => {}
            }
        }
        for metric in &self.metrics {
            match (metric.original, metric.rerun, metric.difference()) {
                (Some(a), Some(b), Some(delta)) => writeln!(
                    f,
                    "metric {}: original {a}, re-run {b}, difference {delta:+}, relative {:.1e}",
                    metric.name,
                    relative_difference(a, b)
                )?,
                (Some(a), None, _) => writeln!(
                    f,
                    "metric {}: only in the original ({a}), missing in the re-run",
                    metric.name
                )?,
                (None, Some(b), _) => writeln!(
                    f,
                    "metric {}: only in the re-run ({b}), missing in the original",
                    metric.name
                )?,
                _ => {}
            }
        }
        for parameter in &self.parameters {
            writeln!(f, "{parameter}")?;
        }
        for other in &self.other {
            writeln!(f, "{other}")?;
        }
        Ok(())
    }
}

/// Verifies both artifacts (consistency) and compares the re-run with the original: the
/// same artifact digest, or every file and metric that differs, then anything else.
/// Comparing does not make either artifact a parent of later exports.
pub fn compare_reproduction(
    original: impl AsRef<Path>,
    rerun: impl AsRef<Path>,
) -> Result<Reproduction, VerifyError> {
    let (original, rerun) = (original.as_ref(), rerun.as_ref());
    let options = VerifyOptions::default();
    let a = verify::verified_manifest(original, &options)?;
    let b = verify::verified_manifest(rerun, &options)?;
    let mut reproduction = Reproduction {
        original: original.to_path_buf(),
        rerun: rerun.to_path_buf(),
        original_digest: a.artifact_sha256.clone(),
        rerun_digest: b.artifact_sha256.clone(),
        files: Vec::new(),
        metrics: Vec::new(),
        profiles: Profiles::of(&a, &b),
        parameters: Vec::new(),
        other: Vec::new(),
    };
    if reproduction.is_identical() {
        return Ok(reproduction);
    }
    let paths: std::collections::BTreeSet<&String> = a.files.keys().chain(b.files.keys()).collect();
    for path in paths {
        let (x, y) = (
            a.files.get(path).map(|e| e.sha256.clone()),
            b.files.get(path).map(|e| e.sha256.clone()),
        );
        if x != y {
            reproduction.files.push(FileChange {
                path: path.clone(),
                original: x,
                rerun: y,
            });
        }
    }
    let names: std::collections::BTreeSet<&String> =
        a.metrics.keys().chain(b.metrics.keys()).collect();
    for name in names {
        let (x, y) = (a.metrics.get(name).copied(), b.metrics.get(name).copied());
        if x != y {
            reproduction.metrics.push(MetricChange {
                name: name.clone(),
                original: x,
                rerun: y,
            });
        }
    }
    reproduction.parameters = model_parameters(original, &a, rerun, &b);
    reproduction.other = diff(&a, &b)
        .into_iter()
        .filter(|d| {
            d.field != "artifact_sha256"
                && d.field != "provenance.numerics"
                && !d.field.starts_with("files.")
                && !d.field.starts_with("metrics.")
        })
        .collect();
    tracing::debug!(
        original = %original.display(),
        rerun = %rerun.display(),
        files = reproduction.files.len(),
        metrics = reproduction.metrics.len(),
        "not reproduced"
    );
    Ok(reproduction)
}

/// The parameter arrays of the two artifacts' JSON models that differ; none when the model
/// files are the same, or either side has no JSON model that parses.
fn model_parameters(
    original: &Path,
    a: &Manifest,
    rerun: &Path,
    b: &Manifest,
) -> Vec<ParameterChange> {
    let model_json = |m: &Manifest| {
        m.files
            .iter()
            .find(|(_, entry)| entry.role == FileRole::ModelJson)
            .map(|(path, entry)| (path.clone(), entry.sha256.clone()))
    };
    let (Some((path_a, digest_a)), Some((path_b, digest_b))) = (model_json(a), model_json(b))
    else {
        return Vec::new();
    };
    if digest_a == digest_b {
        return Vec::new();
    }
    let read = |folder: &Path, path: &str| -> Option<serde_json::Value> {
        serde_json::from_slice(&std::fs::read(folder.join(path)).ok()?).ok()
    };
    match (read(original, &path_a), read(rerun, &path_b)) {
        (Some(x), Some(y)) => compare_parameters(&x, &y),
        _ => Vec::new(),
    }
}
