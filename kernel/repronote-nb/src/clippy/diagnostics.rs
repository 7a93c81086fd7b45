//! From compiler messages on the assembled program back to findings on cells.
//!
//! A warning is reported on the cell its primary span lies in (following a macro's expansion
//! back to where the cell called it), with its lint name, the line within the cell and, when
//! it is short, clippy's suggestion. A warning on glue is the assembly's doing, not the cell's,
//! and is dropped. So are a few warnings that are true of the program but not of the notebook,
//! where cells are run one at a time in a session (see [`is_notebook_noise`]).
//!
//! An error means the program did not compile, and then rustc reports no lints at all; the
//! caller leaves the failing cells out and asks again (see [`super`]).

use cargo_metadata::diagnostic::{Diagnostic, DiagnosticLevel, DiagnosticSpan};

use super::assembly::{Assembly, CellLine};
use crate::lint::Finding;

/// The file the assembly is compiled as.
pub const SOURCE_FILE: &str = "src/main.rs";
/// Help and suggestions longer than this are left out of a finding (the lint's name says where
/// to read more).
const SHORT: usize = 80;

/// The compiler messages of one check, sorted out.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sorted {
    /// Warnings on cells, in cell order.
    pub findings: Vec<Finding>,
    /// The first error in each cell that has one: (cell number, a one-line description).
    pub errors: Vec<(usize, String)>,
    /// Errors that are not in any cell (on glue, or without a place).
    pub other_errors: Vec<String>,
}

/// Sorts the compiler messages of a check of `assembly`.
pub fn sort(messages: &[Diagnostic], assembly: &Assembly) -> Sorted {
    let mut sorted = Sorted::default();
    let mut placed: Vec<((usize, usize, usize), Finding)> = Vec::new();
    for message in messages {
        let place = primary_span(message).and_then(|span| {
            let at = assembly.locate(span.line_start)?;
            Some((span, at))
        });
        match message.level {
            DiagnosticLevel::Error | DiagnosticLevel::Ice => match place {
                Some((_, at)) => {
                    if !sorted.errors.iter().any(|(n, _)| *n == at.cell.number) {
                        sorted.errors.push((
                            at.cell.number,
                            format!("line {}: {}", at.line, first_line(&message.message)),
                        ));
                    }
                }
                None => sorted
                    .other_errors
                    .push(first_line(&message.message).to_owned()),
            },
            DiagnosticLevel::Warning => {
                let Some((span, at)) = place else { continue };
                let lint = lint_name(message);
                if is_notebook_noise(lint, span, at) {
                    continue;
                }
                let mut text =
                    format!("line {}: {lint}: {}", at.line, first_line(&message.message));
                if let Some(help) = short_help(message) {
                    text.push_str("; help: ");
                    text.push_str(&help);
                }
                let finding = Finding {
                    number: at.cell.number,
                    id: at.cell.id.clone(),
                    message: text,
                };
                if !placed.iter().any(|(_, f)| *f == finding) {
                    placed.push(((at.cell.number, at.line, span.column_start), finding));
                }
            }
            _ => {}
        }
    }
    placed.sort_by_key(|(key, _)| *key);
    sorted.findings = placed.into_iter().map(|(_, f)| f).collect();
    sorted.errors.sort();
    sorted
}

/// Whether a warning is true of the assembled program but not advice for the notebook:
///
/// - an unused value or a statement with no effect, where a cell ends with an expression: the
///   notebook shows that value;
/// - an unused variable bound by a cell's top-level `let`: the session keeps it, to be looked at
///   or used later, perhaps in a cell not written yet (an unused loop variable or closure
///   parameter is still reported);
/// - `dead_code`: a cell defines a function or type for the reader, and a struct's fields that
///   only `{:?}` reads count as never read.
fn is_notebook_noise(lint: &str, span: &DiagnosticSpan, at: CellLine<'_>) -> bool {
    let start = span.byte_start as usize;
    match lint {
        "path_statements"
        | "unused_must_use"
        | "clippy::no_effect"
        | "clippy::unnecessary_operation" => at.cell.tail_start == Some(start),
        "unused_variables" => at.cell.bindings.iter().any(|b| b.contains(&start)),
        "dead_code" => true,
        _ => false,
    }
}

/// The span a message is about, in the assembled file: the primary one, or for a span inside
/// a macro's expansion, the place the macro was called from.
fn primary_span(message: &Diagnostic) -> Option<&DiagnosticSpan> {
    let mut span = message.spans.iter().find(|s| s.is_primary)?;
    while span.file_name != SOURCE_FILE {
        span = &span.expansion.as_ref()?.span;
    }
    Some(span)
}

/// `clippy::needless_range_loop`, `unused_mut`, ...; `warning` for a warning without a lint.
fn lint_name(message: &Diagnostic) -> &str {
    message
        .code
        .as_ref()
        .map_or("warning", |code| code.code.as_str())
}

/// The first short `help:` of a message, with its replacement when there is exactly one (and it
/// is not a removal: "remove this `mut`" says it all).
fn short_help(message: &Diagnostic) -> Option<String> {
    let help = message.children.iter().find(|child| {
        child.level == DiagnosticLevel::Help
            && !child.message.starts_with("for further information")
            && child.message.len() <= SHORT
    })?;
    let replacements: Vec<&str> = help
        .spans
        .iter()
        .filter_map(|span| span.suggested_replacement.as_deref())
        .collect();
    match replacements.as_slice() {
        [one] if !one.is_empty() && !one.contains('\n') && one.len() <= SHORT => {
            Some(format!("{}: `{one}`", first_line(&help.message)))
        }
        _ => Some(first_line(&help.message).to_owned()),
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::super::assembly::{assemble, tests::notebook};
    use super::*;

    /// What `cargo clippy --message-format=json` printed for [`needless_range_loop_notebook`],
    /// assembled: the compiler messages, one JSON object a line. Recorded with the kernel's
    /// toolchain (rustc and clippy 1.95.0); re-record it if the assembly's glue changes.
    const RECORDED: &str = include_str!("testdata/needless_range_loop.jsonl");

    fn needless_range_loop_notebook() -> nbformat::v4::Notebook {
        notebook(&[
            "let v = vec![1, 2, 3];",
            "# markdown",
            "let n = v.len();\nfor i in 0..n {\n    println!(\"{}\", v[i]);\n}",
            "let unused = 1;\nlet mut total = 0;\nfor j in 0..3 {\n    total += 1;\n}\ntotal",
            "struct Point { x: f64 }\nlet p = Point { x: 1.0 };\n(p.x, n)",
            "let mut shown = 2;\nprintln!(\"{shown}\");",
            "let broken: u32 = \"text\";",
        ])
    }

    fn recorded() -> Vec<Diagnostic> {
        RECORDED
            .lines()
            .filter_map(|line| match serde_json::from_str(line).unwrap() {
                cargo_metadata::Message::CompilerMessage(message) => Some(message.message),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn warnings_map_back_to_their_cells_with_line_lint_and_help() {
        // The recording is of the program without cell 7, which does not compile.
        let assembly = assemble(&needless_range_loop_notebook(), &[7]);
        let sorted = sort(&recorded(), &assembly);
        let text: Vec<String> = sorted.findings.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "cell 1 (c0): line 1: clippy::useless_vec: useless use of `vec!`; help: you can \
                 use an array directly: `[1, 2, 3]`",
                "cell 3 (c2): line 2: clippy::needless_range_loop: the loop variable `i` is only \
                 used to index `v`; help: consider using an iterator",
                "cell 4 (c3): line 3: unused_variables: unused variable: `j`; help: if this is \
                 intentional, prefix it with an underscore: `_j`",
                "cell 6 (c5): line 1: unused_mut: variable does not need to be mutable; help: \
                 remove this `mut`",
            ],
            "top-level bindings, the shown value `total`, the tuple and dead code are left out"
        );
        assert!(sorted.errors.is_empty() && sorted.other_errors.is_empty());
    }

    #[test]
    fn errors_name_their_cell_once_and_glue_warnings_are_dropped() {
        let assembly = assemble(&needless_range_loop_notebook(), &[]);
        let broken = assembly.cells.last().unwrap().first_line;
        let error = serde_json::json!({
            "message": "mismatched types", "code": {"code": "E0308", "explanation": null},
            "level": "error", "children": [], "rendered": null,
            "spans": [span(broken, 19, true), span(broken, 13, false)],
        });
        let again = serde_json::json!({
            "message": "another", "code": null, "level": "error", "children": [],
            "rendered": null, "spans": [span(broken, 1, true)],
        });
        let unplaced = serde_json::json!({
            "message": "aborting due to 1 previous error", "code": null, "level": "error",
            "children": [], "rendered": null, "spans": [],
        });
        let glue = serde_json::json!({
            "message": "unused import: `repronote_prelude::*`",
            "code": {"code": "unused_imports", "explanation": null}, "level": "warning",
            "children": [], "rendered": null, "spans": [span(3, 5, true)],
        });
        let messages: Vec<Diagnostic> = [error, again, unplaced, glue]
            .into_iter()
            .map(|m| serde_json::from_value(m).unwrap())
            .collect();
        let sorted = sort(&messages, &assembly);
        assert_eq!(sorted.errors, [(7, "line 1: mismatched types".to_owned())]);
        assert_eq!(sorted.other_errors, ["aborting due to 1 previous error"]);
        assert!(sorted.findings.is_empty());
    }

    fn span(line: usize, column: usize, primary: bool) -> serde_json::Value {
        serde_json::json!({
            "file_name": SOURCE_FILE, "byte_start": 0, "byte_end": 1, "line_start": line,
            "line_end": line, "column_start": column, "column_end": column + 1,
            "is_primary": primary, "text": [], "label": null, "suggested_replacement": null,
            "suggestion_applicability": null, "expansion": null,
        })
    }
}
