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

use crate::load::Loaded;
use crate::manifest::{MODEL_CARD_FILE, Manifest};
use crate::trust::{Assurance, Verified};

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
    /// (`key: "value"`, or `key:` followed by `- "item"` lines); text without front matter is
    /// all body.
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
        let mut metadata: Vec<(String, Vec<String>)> = Vec::new();
        for line in front.lines() {
            if let Some(item) = line.strip_prefix("- ") {
                if let Some((_, items)) = metadata.last_mut() {
                    items.push(unquote(item));
                }
            } else if let Some((key, value)) = line.split_once(':') {
                let value = value.trim();
                let items = if value.is_empty() {
                    Vec::new()
                } else {
                    vec![unquote(value)]
                };
                metadata.push((key.trim().to_owned(), items));
            }
        }
        ModelCard {
            metadata: metadata
                .into_iter()
                .map(|(key, items)| (key, items.join(", ")))
                .collect(),
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
    fn a_card_without_front_matter_is_all_text() {
        let card = ModelCard::parse("# plain\n---\nnot front matter\n");
        assert!(card.metadata.is_empty());
        assert_eq!(card.to_markdown(), "# plain\n---\nnot front matter\n");
        let unterminated = ModelCard::parse("---\nlicense: \"mit\"\n# no end\n");
        assert!(unterminated.metadata.is_empty());
    }
}
