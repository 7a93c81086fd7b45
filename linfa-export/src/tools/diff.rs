//! What differs between two artifacts.
//!
//! When two exports of "the same" model disagree, the question is why: other
//! data, another seed, other crate versions, different metrics. Comparing the
//! manifests field by field answers that without loading either model.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::Value;

use crate::format::fingerprint::ArrayFingerprint;
use crate::format::manifest::{Manifest, Provenance};

/// One field that differs; `None` means absent on that side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// Dotted path of the field, e.g. `metrics.accuracy`.
    pub field: String,
    pub left: Option<String>,
    pub right: Option<String>,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let side = |s: &Option<String>| s.clone().unwrap_or_else(|| "(absent)".to_owned());
        write!(
            f,
            "{}: {} -> {}",
            self.field,
            side(&self.left),
            side(&self.right)
        )
    }
}

struct Diff(Vec<Difference>);

impl Diff {
    fn field(&mut self, field: impl Into<String>, left: Option<String>, right: Option<String>) {
        if left != right {
            self.0.push(Difference {
                field: field.into(),
                left,
                right,
            });
        }
    }

    fn same(&mut self, field: impl Into<String>, left: impl ToString, right: impl ToString) {
        self.field(field, Some(left.to_string()), Some(right.to_string()));
    }

    fn maps<V: PartialEq>(
        &mut self,
        prefix: &str,
        a: &BTreeMap<String, V>,
        b: &BTreeMap<String, V>,
        show: impl Fn(&V) -> String,
    ) {
        let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
        for k in keys {
            self.field(
                format!("{prefix}.{k}"),
                a.get(k).map(&show),
                b.get(k).map(&show),
            );
        }
    }

    fn array(&mut self, prefix: &str, a: Option<&ArrayFingerprint>, b: Option<&ArrayFingerprint>) {
        self.field(
            format!("{prefix}.shape"),
            a.map(|f| format!("{:?}", f.shape)),
            b.map(|f| format!("{:?}", f.shape)),
        );
        self.field(
            format!("{prefix}.element_type"),
            a.map(|f| f.element_type.clone()),
            b.map(|f| f.element_type.clone()),
        );
        self.field(
            format!("{prefix}.sha256"),
            a.map(|f| f.sha256.clone()),
            b.map(|f| f.sha256.clone()),
        );
    }
}

/// Fields that differ between manifests `a` and `b`, in a fixed order: the
/// artifact digest, model, files, data, provenance, training record, lineage
/// (direct parents by digest), hyper-parameters,
/// metrics, toolchain, crate versions, card. The export time is ignored, as
/// it is by the digest.
pub fn diff(a: &Manifest, b: &Manifest) -> Vec<Difference> {
    let mut d = Diff(Vec::new());
    d.same("artifact_sha256", &a.artifact_sha256, &b.artifact_sha256);
    d.same("format_version", a.format_version, b.format_version);
    d.same("model.type", a.model.full_type(), b.model.full_type());
    d.same("model.crate", &a.model.crate_name, &b.model.crate_name);
    d.same(
        "model.crate_version",
        &a.model.crate_version,
        &b.model.crate_version,
    );
    d.maps("files", &a.files, &b.files, |e| {
        format!("{} ({} bytes)", e.sha256, e.size)
    });

    let (da, db) = (a.data.as_ref(), b.data.as_ref());
    d.field(
        "data.name",
        da.and_then(|x| x.name.clone()),
        db.and_then(|x| x.name.clone()),
    );
    d.field(
        "data.source",
        da.and_then(|x| x.source.clone()),
        db.and_then(|x| x.source.clone()),
    );
    d.array(
        "data.records",
        da.map(|x| &x.records),
        db.map(|x| &x.records),
    );
    d.array(
        "data.targets",
        da.and_then(|x| x.targets.as_ref()),
        db.and_then(|x| x.targets.as_ref()),
    );

    let (pa, pb) = (a.provenance.as_ref(), b.provenance.as_ref());
    d.field(
        "provenance.seed",
        pa.and_then(|p| p.seed).map(|s| s.to_string()),
        pb.and_then(|p| p.seed).map(|s| s.to_string()),
    );
    let cells = |p: Option<&Provenance>| p.map(|p| p.cells.clone()).unwrap_or_default();
    let (ca, cb) = (cells(pa), cells(pb));
    if ca != cb {
        let first = ca
            .iter()
            .zip(&cb)
            .position(|(x, y)| x != y)
            .unwrap_or(ca.len().min(cb.len()));
        d.field(
            "provenance.cells",
            Some(format!("{} cells", ca.len())),
            Some(format!(
                "{} cells, first difference at cell {}",
                cb.len(),
                first + 1
            )),
        );
    }
    d.field(
        "provenance.non_reproducible",
        pa.map(|p| p.non_reproducible.to_string()),
        pb.map(|p| p.non_reproducible.to_string()),
    );
    d.field(
        "provenance.kernel",
        pa.and_then(|p| p.kernel.as_ref())
            .map(|k| format!("{} {}", k.name, k.version)),
        pb.and_then(|p| p.kernel.as_ref())
            .map(|k| format!("{} {}", k.name, k.version)),
    );
    d.field(
        "provenance.numerics",
        pa.and_then(|p| p.numerics.as_ref())
            .map(|n| n.profile.clone()),
        pb.and_then(|p| p.numerics.as_ref())
            .map(|n| n.profile.clone()),
    );

    d.field(
        "training_record",
        a.training_record.map(|s| s.as_str().to_owned()),
        b.training_record.map(|s| s.as_str().to_owned()),
    );
    // Direct parents by digest (a parent's own lineage is covered by its digest).
    let parents = |m: &Manifest| -> BTreeMap<String, String> {
        m.lineage
            .iter()
            .map(|p| {
                let signer = p
                    .signer
                    .as_deref()
                    .map_or(String::new(), |k| format!(", signed by key {k}"));
                (
                    p.artifact_sha256.clone(),
                    format!("{} ({}){signer}", p.name, p.model_type),
                )
            })
            .collect()
    };
    d.maps("lineage", &parents(a), &parents(b), String::clone);

    match (&a.hyperparameters, &b.hyperparameters) {
        (Some(Value::Object(x)), Some(Value::Object(y))) => {
            let x: BTreeMap<String, Value> = x.clone().into_iter().collect();
            let y: BTreeMap<String, Value> = y.clone().into_iter().collect();
            d.maps("hyperparameters", &x, &y, Value::to_string);
        }
        (x, y) => d.field(
            "hyperparameters",
            x.as_ref().map(Value::to_string),
            y.as_ref().map(Value::to_string),
        ),
    }

    let keys: BTreeSet<&String> = a.metrics.keys().chain(b.metrics.keys()).collect();
    for k in keys {
        let (x, y) = (a.metrics.get(k), b.metrics.get(k));
        if x != y {
            let right = match (x, y) {
                (Some(x), Some(y)) => Some(format!("{y} (change {:+})", y - x)),
                (_, y) => y.map(f64::to_string),
            };
            d.0.push(Difference {
                field: format!("metrics.{k}"),
                left: x.map(f64::to_string),
                right,
            });
        }
    }

    d.same("toolchain.rustc", &a.toolchain.rustc, &b.toolchain.rustc);
    d.same("toolchain.target", &a.toolchain.target, &b.toolchain.target);
    d.same(
        "toolchain.linfa_export",
        &a.toolchain.linfa_export,
        &b.toolchain.linfa_export,
    );
    d.maps("crates", &a.crates, &b.crates, String::clone);

    d.same("card.name", &a.card.name, &b.card.name);
    d.field(
        "card.license",
        a.card.license.clone(),
        b.card.license.clone(),
    );
    d.field(
        "card.description",
        a.card.description.clone(),
        b.card.description.clone(),
    );
    if a.card != b.card && !d.0.iter().any(|x| x.field.starts_with("card.")) {
        d.field(
            "card",
            Some("model card text".to_owned()),
            Some("differs (see MODEL_CARD.md)".to_owned()),
        );
    }
    d.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::fixtures;
    use crate::format::manifest::Toolchain;
    use crate::format::training_record::TrainingRecordStatus;

    fn base() -> Manifest {
        Manifest {
            hyperparameters: Some(serde_json::json!({"k": 2})),
            metrics: [("r2".to_owned(), 0.5)].into(),
            crates: [("ndarray".to_owned(), "0.16.1".to_owned())].into(),
            toolchain: Toolchain {
                rustc: "rustc 1".to_owned(),
                target: "t".to_owned(),
                linfa_export: "0.1.0".to_owned(),
            },
            ..fixtures::manifest("linfa_reduction::Pca", &["f64"], "linfa-reduction")
        }
    }

    #[test]
    fn lineage_and_training_record_changes_are_named() {
        let a = base();
        let mut b = base();
        b.training_record = Some(TrainingRecordStatus::Withheld);
        b.lineage = vec![fixtures::parent(
            "parent",
            'a',
            "linfa_reduction::Pca<f64>",
            Some("f00d"),
        )];
        let fields: Vec<String> = diff(&a, &b).into_iter().map(|d| d.to_string()).collect();
        assert_eq!(
            fields,
            [
                "training_record: (absent) -> withheld".to_owned(),
                format!(
                    "lineage.{}: (absent) -> parent (linfa_reduction::Pca<f64>), signed by key f00d",
                    "a".repeat(64)
                ),
            ]
        );
    }

    #[test]
    fn identical_manifests_have_no_difference_even_at_other_times() {
        let mut a = base();
        a.seal();
        let mut b = a.clone();
        b.exported_at = Some("2030-01-01T00:00:00Z".to_owned());
        assert!(diff(&a, &b).is_empty());
    }

    #[test]
    fn each_changed_field_is_named() {
        let mut a = base();
        let mut b = base();
        b.provenance = Some(Provenance {
            seed: Some(3),
            ..Provenance::default()
        });
        b.hyperparameters = Some(serde_json::json!({"k": 3}));
        b.metrics.insert("r2".to_owned(), 0.75);
        b.crates.insert("ndarray".to_owned(), "0.16.2".to_owned());
        b.toolchain.rustc = "rustc 2".to_owned();
        a.seal();
        b.seal();
        let fields: Vec<String> = diff(&a, &b).into_iter().map(|d| d.to_string()).collect();
        assert_eq!(
            fields,
            [
                format!(
                    "artifact_sha256: {} -> {}",
                    a.artifact_sha256, b.artifact_sha256
                ),
                "provenance.seed: (absent) -> 3".to_owned(),
                "provenance.non_reproducible: (absent) -> false".to_owned(),
                "hyperparameters.k: 2 -> 3".to_owned(),
                "metrics.r2: 0.5 -> 0.75 (change +0.25)".to_owned(),
                "toolchain.rustc: rustc 1 -> rustc 2".to_owned(),
                "crates.ndarray: 0.16.1 -> 0.16.2".to_owned(),
            ]
        );
    }
}
