//! The model card: what a person (and the Hugging Face Hub) reads first.
//!
//! It is generated from the manifest so it can never disagree with it: YAML
//! front matter in the shape the Hub expects of a model README (license,
//! library_name, tags, datasets, metrics, and the metrics' values as `model-index`
//! evaluation results), then a human part. The card is one
//! of the artifact's hashed files, so it is rendered from every manifest field
//! except the file table, the artifact digest and the export time. The
//! toolchain stays in the manifest only, so the card's bytes do not change
//! with a compiler update. It ends with how to cite the model by its digest
//! and how a reader checks that digest. A model built on others names them: the Hub's
//! `base_model` in the front matter (the direct parents), and a "Lineage" section with the
//! whole chain.
//!
//! The card sits in the format layer although people read it: its bytes are one of the
//! artifact's files, written at export and covered by the digest, so the model layer that
//! exports must be able to render it. Reading a card back for display is a tool
//! (`tools::notebook`).

use std::fmt::Write as _;

use serde_json::Value;

use crate::format::fingerprint::ArrayFingerprint;
use crate::format::manifest::{Manifest, ModelInfo, Risks};
use crate::format::parent::Parent;
use crate::format::training_record::describe_training_record;

const NOT_STATED: &str = "_Not stated by the exporter._";

/// Renders the model card for `manifest`.
pub fn render(manifest: &Manifest) -> String {
    let card = &manifest.card;
    let mut out = String::new();

    // Front matter. Every scalar is written as a JSON string, which is also a
    // valid YAML double-quoted scalar, so no user text can break the YAML.
    let q = |s: &str| serde_json::to_string(s).expect("strings always serialize");
    out.push_str("---\n");
    let license = card.license.as_deref().unwrap_or("other");
    let _ = writeln!(out, "license: {}", q(license));
    out.push_str("library_name: \"linfa\"\n");
    let mut tags = vec![
        "linfa".to_owned(),
        "rust".to_owned(),
        manifest.model.crate_name.clone(),
        short_type(&manifest.model.model_type).to_owned(),
    ];
    for tag in &card.tags {
        if !tags.contains(tag) {
            tags.push(tag.clone());
        }
    }
    out.push_str("tags:\n");
    for tag in &tags {
        let _ = writeln!(out, "- {}", q(tag));
    }
    if let Some(name) = manifest.data.as_ref().and_then(|d| d.name.as_deref()) {
        let _ = writeln!(out, "datasets:\n- {}", q(name));
    }
    if !manifest.metrics.is_empty() {
        out.push_str("metrics:\n");
        for name in manifest.metrics.keys() {
            let _ = writeln!(out, "- {}", q(name));
        }
    }
    model_index(&mut out, manifest);
    // The Hub's `base_model`: one name, or a list when the model has several parents.
    match manifest.lineage.as_slice() {
        [] => {}
        [parent] => {
            let _ = writeln!(out, "base_model: {}", q(&parent.name));
        }
        parents => {
            out.push_str("base_model:\n");
            for parent in parents {
                let _ = writeln!(out, "- {}", q(&parent.name));
            }
        }
    }
    out.push_str("---\n\n");

    let _ = writeln!(out, "# {}\n", one_line(&card.name));
    let _ = writeln!(
        out,
        "{}\n",
        card.description.as_deref().unwrap_or(NOT_STATED)
    );

    out.push_str("## Model details\n\n");
    out.push_str("| | |\n|---|---|\n");
    let mut row = |k: &str, v: &str| {
        let _ = writeln!(out, "| {k} | {} |", cell(v));
    };
    row("Model type", &format!("`{}`", manifest.model.full_type()));
    row(
        "Crate",
        &format!(
            "{} {}",
            manifest.model.crate_name, manifest.model.crate_version
        ),
    );
    let authors = card.authors.join(", ");
    row(
        "Authors",
        if authors.is_empty() {
            "not stated"
        } else {
            &authors
        },
    );
    row("License", license);
    row(
        "Artifact format",
        &format!("linfa-export v{}", manifest.format_version),
    );
    out.push('\n');

    section(&mut out, "Intended use", card.intended_use.as_deref());
    section(&mut out, "Limitations", card.limitations.as_deref());

    out.push_str("## Training data\n\n");
    match &manifest.data {
        None => out.push_str("_No data fingerprint was recorded._\n\n"),
        Some(data) => {
            let _ = writeln!(
                out,
                "- Name: {}",
                data.name.as_deref().unwrap_or("not stated")
            );
            let _ = writeln!(
                out,
                "- Source: {}",
                data.source.as_deref().unwrap_or("not stated")
            );
            let fp = |f: &ArrayFingerprint| {
                format!(
                    "shape {:?} of `{}`, sha256 `{}`",
                    f.shape, f.element_type, f.sha256
                )
            };
            let _ = writeln!(out, "- Records: {}", fp(&data.records));
            if let Some(t) = &data.targets {
                let _ = writeln!(out, "- Targets: {}", fp(t));
            }
            out.push('\n');
        }
    }

    if !manifest.lineage.is_empty() {
        out.push_str("## Lineage\n\n");
        out.push_str(
            "Built on these artifacts, verified when they were loaded (each with the lineage \
             it records):\n\n",
        );
        lineage_list(&mut out, &manifest.lineage, 0);
        out.push('\n');
    }

    out.push_str("## Reproducibility\n\n");
    match &manifest.provenance {
        None => out.push_str("_No seed or session history was recorded._\n\n"),
        Some(p) => {
            let seed = p.seed.map_or("not recorded".to_owned(), |s| s.to_string());
            let _ = writeln!(out, "- Seed: {seed}");
            let _ = writeln!(out, "- Executed cells recorded: {}", p.cells.len());
            if let Some(k) = &p.kernel {
                let _ = writeln!(out, "- Kernel: {} {}", k.name, k.version);
            }
            if p.non_reproducible {
                let _ = writeln!(
                    out,
                    "- **Not reproducible**: {}",
                    p.non_reproducible_reason
                        .as_deref()
                        .unwrap_or("no reason given")
                );
            } else {
                out.push_str("- No non-reproducible step was recorded.\n");
            }
            // Said whenever a session could have recorded the cells (and left out for exports
            // without any, whose cards keep the bytes they had before the record existed).
            if manifest.training_record.is_some() || !p.cells.is_empty() {
                let _ = writeln!(
                    out,
                    "- Training record: {}",
                    describe_training_record(manifest.training_record)
                );
            }
            out.push('\n');
        }
    }

    if let Some(h) = &manifest.hyperparameters {
        out.push_str("## Hyper-parameters\n\n| name | value |\n|---|---|\n");
        for (k, v) in hyperparameter_lines(h) {
            let _ = writeln!(out, "| {} | {} |", cell(&k), cell(&v));
        }
        out.push('\n');
    }

    out.push_str("## Evaluation\n\n");
    if manifest.metrics.is_empty() {
        out.push_str("_No metrics were given._\n\n");
    } else {
        out.push_str("| metric | value |\n|---|---|\n");
        for (k, v) in &manifest.metrics {
            let _ = writeln!(out, "| {} | {v} |", cell(k));
        }
        out.push('\n');
    }

    risks(&mut out, &card.risks);

    out.push_str("## Verifying this artifact\n\n");
    out.push_str(
        "Every file is listed with its size and sha256 in `manifest.json`. \
         Run `linfa-export verify <folder>` before use; loading with \
         `linfa_export::load` re-checks everything and refuses a modified artifact.\n\n",
    );
    citation(&mut out, &card.name);
    out
}

/// The Hub's `model-index`: the metrics as evaluation results, with the task the model type
/// performs and the data set the fingerprint names. Nothing when there is no metric.
///
/// Every string is JSON-quoted like the rest of the front matter. A value is written as Rust
/// displays an `f64` (`0.75`, `1`, `0.0000001`: never an exponent), which YAML 1.1 and 1.2
/// both read as a number; a `1e-7` would be a string to YAML 1.1 readers such as PyYAML.
fn model_index(out: &mut String, manifest: &Manifest) {
    if manifest.metrics.is_empty() {
        return;
    }
    let q = |s: &str| serde_json::to_string(s).expect("strings always serialize");
    let data = manifest.data.as_ref().and_then(|d| d.name.as_deref());
    let data = data
        .filter(|name| !name.trim().is_empty())
        .unwrap_or("unnamed");
    out.push_str(
        "model-index:
",
    );
    let _ = writeln!(out, "- name: {}", q(&manifest.card.name));
    out.push_str(
        "  results:
",
    );
    let _ = writeln!(
        out,
        "  - task:
      type: {}",
        q(task_type(&manifest.model))
    );
    let _ = writeln!(
        out,
        "    dataset:
      name: {}
      type: {}",
        q(data),
        q(&slug(data))
    );
    out.push_str(
        "    metrics:
",
    );
    for (name, value) in &manifest.metrics {
        let _ = writeln!(
            out,
            "    - type: {}
      value: {}",
            q(name),
            yaml_number(*value)
        );
    }
}

/// The Hub task a model type performs, for `model-index`:
///
/// | model type | task |
/// |---|---|
/// | `linfa_trees::DecisionTree`, `linfa_logistic::*`, `linfa_bayes::*`, `linfa_svm::Svm` with a non-float target (`bool`, `Pr`) | `tabular-classification` |
/// | `linfa_linear::FittedLinearRegression`, `linfa_svm::Svm` with an `f32`/`f64` target | `tabular-regression` |
/// | `linfa_clustering::KMeans`, `linfa_clustering::GaussianMixtureModel` | `clustering` |
/// | `linfa_reduction::Pca` | `dimensionality-reduction` |
/// | anything else | `other` |
///
/// The first two are the Hub's own task ids for tabular models; the Hub has none for
/// clustering or dimensionality reduction, so those are named plainly.
pub(crate) fn task_type(model: &ModelInfo) -> &'static str {
    match model.model_type.as_str() {
        "linfa_linear::FittedLinearRegression" => "tabular-regression",
        "linfa_svm::Svm" => match model.type_params.get(1).map(String::as_str) {
            Some("f32" | "f64") => "tabular-regression",
            _ => "tabular-classification",
        },
        "linfa_trees::DecisionTree"
        | "linfa_logistic::FittedLogisticRegression"
        | "linfa_logistic::MultiFittedLogisticRegression"
        | "linfa_bayes::GaussianNb"
        | "linfa_bayes::MultinomialNb" => "tabular-classification",
        "linfa_clustering::KMeans" | "linfa_clustering::GaussianMixtureModel" => "clustering",
        "linfa_reduction::Pca" => "dimensionality-reduction",
        _ => "other",
    }
}

/// A data set name as a Hub-style id: lowercase ASCII letters and digits, `-` between words.
fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-');
    if out.is_empty() {
        "unnamed".to_owned()
    } else {
        out.to_owned()
    }
}

/// An `f64` as a YAML number (see [`model_index`]); YAML's own spelling for what is not finite.
fn yaml_number(value: f64) -> String {
    if value.is_nan() {
        ".nan".to_owned()
    } else if value.is_infinite() {
        if value > 0.0 { ".inf" } else { "-.inf" }.to_owned()
    } else {
        value.to_string()
    }
}

/// How to cite the model by its digest. The card is one of the files the digest covers, so
/// it cannot hold the digest itself: it says where to read it and how to check it.
fn citation(out: &mut String, name: &str) {
    out.push_str("## Citing this model\n\n");
    let _ = writeln!(
        out,
        "The model is identified by its artifact digest, `artifact_sha256` in `manifest.json` \
         (also printed by `linfa-export verify <folder>`). Cite it with the digest, for example: \
         {} (linfa-export artifact, sha256 `<artifact_sha256>`).\n",
        one_line(name)
    );
    out.push_str(
        "Whoever is given the digest can check that they hold exactly this model, and not one \
         whose files were changed and re-hashed: `linfa-export verify <folder> --expect \
         <artifact_sha256>`, or `linfa_export::load_trusted` with `Trust::digest`. If the \
         author signed it (`model.sig`, OpenSSF model_signing format), `linfa-export verify \
         <folder> --public-key <author's key>.pem` checks the signature too.\n",
    );
}

/// The parents as a nested Markdown list.
fn lineage_list(out: &mut String, parents: &[Parent], depth: usize) {
    for parent in parents {
        let signer = match &parent.signer {
            Some(key) => format!("signed by key `{key}`"),
            None => "signature not checked".to_owned(),
        };
        let _ = writeln!(
            out,
            "{:indent$}- **{}** (`{}`), sha256 `{}`, {signer}",
            "",
            one_line(&parent.name),
            parent.model_type,
            parent.artifact_sha256,
            indent = depth * 2
        );
        lineage_list(out, &parent.lineage, depth + 1);
    }
}

fn risks(out: &mut String, risks: &Risks) {
    out.push_str("## Risks\n\n");
    let _ = writeln!(
        out,
        "- **Bias across groups**: {}",
        risks.bias.as_deref().unwrap_or(NOT_STATED)
    );
    let _ = writeln!(
        out,
        "- **Private data**: {}",
        risks.private_data.as_deref().unwrap_or(NOT_STATED)
    );
    let _ = writeln!(
        out,
        "- **Environment limits**: {}",
        risks.environment.as_deref().unwrap_or(NOT_STATED)
    );
    for other in &risks.other {
        let _ = writeln!(out, "- {other}");
    }
    out.push('\n');
}

fn section(out: &mut String, title: &str, body: Option<&str>) {
    let _ = writeln!(out, "## {title}\n\n{}\n", body.unwrap_or(NOT_STATED));
}

/// The hyper-parameters of a manifest as an object, for display.
fn hyperparameter_lines(value: &Value) -> Vec<(String, String)> {
    match value {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| (k.clone(), v.to_string()))
            .collect(),
        other => vec![("value".to_owned(), other.to_string())],
    }
}

fn short_type(path: &str) -> &str {
    path.rsplit("::").next().unwrap_or(path)
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Makes text safe inside a Markdown table cell.
fn cell(s: &str) -> String {
    one_line(s).replace('|', "\\|")
}

#[cfg(test)]
mod tests;
