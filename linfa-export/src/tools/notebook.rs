//! How artifacts show themselves in a notebook.
//!
//! A cell that ends with a loaded model, a verification or a model card should show what a
//! reader needs to decide whether to trust it, not a `Debug` dump: which artifact (its
//! digest), what was established (consistency only, a pinned digest, a signer's key), and the
//! card the way a model hub shows it, its YAML front matter as a metadata table rather than a
//! run-on line. evcxr shows a cell's final value through an `evcxr_display` method when the
//! type has one, so each type here has one; the same text is available as Markdown for other
//! front ends (`to_markdown`).

use std::path::Path;

use crate::format::manifest::{MODEL_CARD_FILE, Manifest};
use crate::model::load::Loaded;
use crate::trust::policy::{Assurance, Verified};

/// A model card split as a hub reads it: the front matter's fields, then the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelCard {
    /// `(field, value)` in the card's order; a list's items are joined with ", ".
    pub metadata: Vec<(String, String)>,
    /// The Markdown after the front matter.
    pub body: String,
}

impl ModelCard {
    /// Reads `MODEL_CARD.md` from an artifact folder.
    pub fn read(dir: impl AsRef<Path>) -> std::io::Result<ModelCard> {
        let text = std::fs::read_to_string(dir.as_ref().join(MODEL_CARD_FILE))?;
        Ok(ModelCard::parse(&text))
    }

    /// Splits a card's text. The front matter is the YAML subset the cards are written in
    /// (`key: "value"`, `key:` followed by `- "item"` lines, or `key:` followed by an indented
    /// block such as `model-index`, shown as a summary); text without front matter is all
    /// body.
    pub fn parse(text: &str) -> ModelCard {
        let Some(rest) = text.strip_prefix("---\n") else {
            return ModelCard {
                metadata: Vec::new(),
                body: text.to_owned(),
            };
        };
        let Some((front, body)) = rest.split_once("\n---\n") else {
            return ModelCard {
                metadata: Vec::new(),
                body: text.to_owned(),
            };
        };
        // Each top-level field with the lines of its block (its `- ` items or indented lines).
        let mut fields: Vec<(String, String, Vec<&str>)> = Vec::new();
        for line in front.lines() {
            if line.starts_with("- ") || line.starts_with(' ') {
                if let Some((_, _, block)) = fields.last_mut() {
                    block.push(line);
                }
            } else if let Some((key, value)) = line.split_once(':') {
                fields.push((key.trim().to_owned(), value.trim().to_owned(), Vec::new()));
            }
        }
        let metadata = fields
            .into_iter()
            .map(|(key, value, block)| {
                let shown = if value.is_empty() && block.iter().any(|line| line.starts_with(' ')) {
                    nested_summary(&key, &block)
                } else {
                    let items: Vec<String> = (!value.is_empty())
                        .then_some(value.as_str())
                        .into_iter()
                        .chain(block.iter().filter_map(|line| line.strip_prefix("- ")))
                        .map(unquote)
                        .collect();
                    items.join(", ")
                };
                (key, shown)
            })
            .collect();
        ModelCard {
            metadata,
            body: body.trim_start_matches('\n').to_owned(),
        }
    }

    /// The card as Markdown: a metadata table, then the text.
    pub fn to_markdown(&self) -> String {
        let mut text = String::new();
        if !self.metadata.is_empty() {
            text.push_str("| metadata | |\n|---|---|\n");
            for (key, value) in &self.metadata {
                text.push_str(&format!("| {} | {} |\n", cell(key), cell(value)));
            }
            text.push('\n');
        }
        text.push_str(&self.body);
        text
    }

    /// Shows the card in a notebook (evcxr calls this for a cell's final value).
    pub fn evcxr_display(&self) {
        show(&self.to_markdown());
    }
}

impl Verified {
    /// The verification as a table: the artifact, its digest, what was established.
    pub fn to_markdown(&self) -> String {
        summary(&self.manifest, &self.assurance, self.files_hashed)
    }

    /// Shows the verification in a notebook.
    pub fn evcxr_display(&self) {
        show(&self.to_markdown());
    }
}

impl<M> Loaded<M> {
    /// The loaded model's artifact as a table: what it is, its digest, what was established.
    pub fn to_markdown(&self) -> String {
        summary(&self.manifest, &self.assurance, self.manifest.files.len())
    }

    /// Shows the loaded model's artifact in a notebook.
    pub fn evcxr_display(&self) {
        show(&self.to_markdown());
    }
}

fn summary(manifest: &Manifest, assurance: &Assurance, files: usize) -> String {
    let signer = match &assurance.signer {
        Some(key) => format!("key `{key}`"),
        None => "not checked (no key was required)".to_owned(),
    };
    let rows = [
        ("artifact", manifest.card.name.clone()),
        ("model", format!("`{}`", manifest.model.full_type())),
        ("artifact_sha256", format!("`{}`", manifest.artifact_sha256)),
        ("files verified", files.to_string()),
        (
            "digest pinned",
            if assurance.pinned { "yes" } else { "no" }.to_owned(),
        ),
        ("signed by", signer),
        ("trust", assurance.to_string()),
    ];
    let mut text = String::from("| | |\n|---|---|\n");
    for (field, value) in rows {
        text.push_str(&format!("| {field} | {} |\n", cell(&value)));
    }
    text
}

/// A value as it can stand in a Markdown table cell.
fn cell(value: &str) -> String {
    value.replace('|', "\\|").replace('\n', " ")
}

/// The leaves of a nested front-matter block as `(dotted path, value)`, in order: the path
/// holds the keys above the leaf, by indentation (a `- ` list item's key counts as two
/// columns deeper than its dash).
fn leaves(block: &[&str]) -> Vec<(String, String)> {
    let mut above: Vec<(usize, String)> = Vec::new();
    let mut found = Vec::new();
    for line in block {
        let mut rest = line.trim_start();
        let mut indent = line.len() - rest.len();
        while let Some(item) = rest.strip_prefix("- ") {
            indent += 2;
            rest = item;
        }
        let Some((key, value)) = rest.split_once(':') else {
            continue;
        };
        while above.last().is_some_and(|(depth, _)| *depth >= indent) {
            above.pop();
        }
        let (key, value) = (key.trim(), value.trim());
        if value.is_empty() {
            above.push((indent, key.to_owned()));
        } else {
            let mut path: Vec<&str> = above.iter().map(|(_, k)| k.as_str()).collect();
            path.push(key);
            found.push((path.join("."), unquote(value)));
        }
    }
    found
}

/// One line for a nested block: `model-index` as its metrics with their values, then the
/// task and data set (`accuracy: 0.96 (tabular-classification on iris)`); any other block as
/// its leaves.
fn nested_summary(key: &str, block: &[&str]) -> String {
    let leaves = leaves(block);
    if key != "model-index" {
        let shown: Vec<String> = leaves.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        return shown.join(", ");
    }
    let find = |path: &str| {
        leaves
            .iter()
            .find(|(k, _)| k == path)
            .map(|(_, v)| v.as_str())
    };
    let mut metrics = Vec::new();
    for (path, value) in &leaves {
        match path.as_str() {
            "results.metrics.type" => metrics.push(format!("{value}: ?")),
            "results.metrics.value" => {
                if let Some(last) = metrics.last_mut()
                    && last.ends_with(": ?")
                {
                    last.truncate(last.len() - 1);
                    last.push_str(value);
                }
            }
            _ => {}
        }
    }
    let task = find("results.task.type").unwrap_or("unknown task");
    let data = find("results.dataset.name").unwrap_or("unnamed");
    format!("{} ({task} on {data})", metrics.join(", "))
}

/// A front-matter scalar: JSON-quoted as the cards write it, else as it stands.
fn unquote(value: &str) -> String {
    serde_json::from_str::<String>(value.trim()).unwrap_or_else(|_| value.trim().to_owned())
}

/// Writes Markdown (with the same text as plain text) the way evcxr reads a display.
fn show(markdown: &str) {
    use std::io::Write;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for mime in ["text/markdown", "text/plain"] {
        let _ = writeln!(
            out,
            "EVCXR_BEGIN_CONTENT {mime}\n{markdown}\nEVCXR_END_CONTENT"
        );
    }
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_becomes_a_metadata_table() {
        let card = ModelCard::parse(
            "---\nlicense: \"mit\"\nlibrary_name: \"linfa\"\ntags:\n- \"linfa\"\n- \"rust\"\n\
             base_model:\n- \"sha256:ab|cd\"\n---\n\n# iris-tree\n\nA tree.\n",
        );
        assert_eq!(
            card.metadata,
            [
                ("license".to_owned(), "mit".to_owned()),
                ("library_name".to_owned(), "linfa".to_owned()),
                ("tags".to_owned(), "linfa, rust".to_owned()),
                ("base_model".to_owned(), "sha256:ab|cd".to_owned()),
            ]
        );
        assert_eq!(card.body, "# iris-tree\n\nA tree.\n");
        let markdown = card.to_markdown();
        assert!(markdown.starts_with("| metadata | |\n|---|---|\n| license | mit |\n"));
        assert!(markdown.contains("| tags | linfa, rust |\n"), "{markdown}");
        assert!(
            markdown.contains("| base_model | sha256:ab\\|cd |\n"),
            "{markdown}"
        );
        assert!(markdown.ends_with("\n# iris-tree\n\nA tree.\n"));
    }

    #[test]
    fn evaluation_results_are_summarised_in_one_row() {
        let card = ModelCard::parse(
            "---\nmetrics:\n- \"accuracy\"\n- \"f1\"\nmodel-index:\n- name: \"iris tree\"\n  \
             results:\n  - task:\n      type: \"tabular-classification\"\n    dataset:\n      \
             name: \"iris\"\n      type: \"iris\"\n    metrics:\n    - type: \"accuracy\"\n      \
             value: 0.96\n    - type: \"f1\"\n      value: 1\nbase_model: \"b\"\n---\n\n# iris tree\n",
        );
        assert_eq!(
            card.metadata,
            [
                ("metrics".to_owned(), "accuracy, f1".to_owned()),
                (
                    "model-index".to_owned(),
                    "accuracy: 0.96, f1: 1 (tabular-classification on iris)".to_owned()
                ),
                ("base_model".to_owned(), "b".to_owned()),
            ]
        );
    }

    #[test]
    fn a_rendered_card_reads_back_with_its_parents_and_results() {
        use crate::format::card::render;
        use crate::format::fixtures;
        use crate::format::manifest::{CardFields, Manifest};
        let parent = |name: &str, digest: char| {
            fixtures::parent(name, digest, "linfa_trees::DecisionTree<f64, usize>", None)
        };
        let manifest = Manifest {
            lineage: vec![parent("b", 'b'), parent("c", 'c')],
            metrics: [("r2".to_owned(), 0.75)].into(),
            card: CardFields {
                name: "child".to_owned(),
                ..CardFields::default()
            },
            ..fixtures::manifest(
                "linfa_linear::FittedLinearRegression",
                &["f64"],
                "linfa-linear",
            )
        };
        let card = ModelCard::parse(&render(&manifest));
        let field = |key: &str| {
            card.metadata
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(field("base_model"), Some("b, c"));
        assert_eq!(
            field("model-index"),
            Some("r2: 0.75 (tabular-regression on unnamed)")
        );
        assert!(card.body.starts_with("# child\n"), "{}", card.body);
    }

    #[test]
    fn a_card_without_front_matter_is_all_text() {
        let card = ModelCard::parse("# plain\n---\nnot front matter\n");
        assert!(card.metadata.is_empty());
        assert_eq!(card.to_markdown(), "# plain\n---\nnot front matter\n");
        let unterminated = ModelCard::parse("---\nlicense: \"mit\"\n# no end\n");
        assert!(unterminated.metadata.is_empty());
    }
}
