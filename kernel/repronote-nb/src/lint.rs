//! `nb lint`: the kernel's seeding policy, cell by cell, without running anything.
//!
//! Each finding names the cell (its position among all cells and its id), the call, and the
//! seeded replacement, exactly as the kernel would refuse it. A notebook that opts out with
//! `:allow_entropy` is reported once, as not reproducible. A cell tagged `raises-exception`
//! demonstrates an error on purpose and is left alone.
//!
//! clippy's advice, the other half of `nb lint`, comes from [`super::clippy`] as findings of the
//! same kind.

use nbformat::v4::{Cell, Notebook};

use repronote_seeding::policy::{self, SeedingMagic};

/// One problem in one cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// 1-based position among all cells.
    pub number: usize,
    pub id: String,
    pub message: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cell {} ({}): {}", self.number, self.id, self.message)
    }
}

/// Every finding in `notebook`, in cell order.
pub fn lint_notebook(notebook: &Notebook) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut entropy_allowed = false;
    for (index, cell) in notebook.cells.iter().enumerate() {
        let Cell::Code { id, source, .. } = cell else {
            continue;
        };
        if super::expected_to_fail(cell) {
            continue;
        }
        let finding = |message: String| Finding {
            number: index + 1,
            id: id.to_string(),
            message,
        };
        let code = source.concat();
        let (magics, rest) = match policy::take_magics(&code) {
            Ok(parsed) => parsed,
            Err(error) => {
                findings.push(finding(error.to_string()));
                continue;
            }
        };
        if magics.contains(&SeedingMagic::AllowEntropy) && !entropy_allowed {
            entropy_allowed = true;
            findings.push(finding(
                "`:allow_entropy` makes every later cell's randomness unrepeatable; the session \
                 and its exports are marked non-reproducible"
                    .to_owned(),
            ));
        }
        if entropy_allowed {
            continue;
        }
        for source in policy::entropy_in(&rest) {
            findings.push(finding(format!(
                "`{}` draws from the operating system; use {}",
                source.call, source.replacement
            )));
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_that_demonstrates_a_refusal_is_left_alone() {
        let mut demo = notebook(&["let r = rand::thread_rng();"]);
        let Cell::Code { metadata, .. } = &mut demo.cells[0] else {
            unreachable!()
        };
        metadata.tags = Some(vec![crate::RAISES_EXCEPTION.to_owned()]);
        assert!(lint_notebook(&demo).is_empty());
    }

    fn notebook(cells: &[&str]) -> Notebook {
        let cells: Vec<serde_json::Value> = cells
            .iter()
            .enumerate()
            .map(|(i, source)| {
                serde_json::json!({"cell_type": "code", "id": format!("c{i}"), "metadata": {},
                    "execution_count": null, "source": source, "outputs": []})
            })
            .collect();
        serde_json::from_value(serde_json::json!({
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5, "cells": cells
        }))
        .unwrap()
    }

    #[test]
    fn findings_name_the_cell_the_call_and_the_replacement() {
        let findings = lint_notebook(&notebook(&[
            "let x = 1;",
            "// thread_rng() in a comment is fine\nlet r = rand::thread_rng();",
            ":seed lots",
        ]));
        let text: Vec<String> = findings.iter().map(ToString::to_string).collect();
        assert_eq!(text.len(), 2, "{text:?}");
        assert!(text[0].starts_with("cell 2 (c1): `thread_rng()`") && text[0].contains("rng()"));
        assert!(text[1].starts_with("cell 3 (c2):") && text[1].contains(":seed lots"));
    }

    #[test]
    fn an_opt_out_is_reported_once_and_silences_later_cells() {
        let findings = lint_notebook(&notebook(&[
            ":allow_entropy",
            "let r = rand::thread_rng();",
        ]));
        assert_eq!(findings.len(), 1);
        assert!(findings[0].message.contains("non-reproducible"));
    }
}
