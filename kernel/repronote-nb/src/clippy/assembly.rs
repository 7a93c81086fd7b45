//! A notebook's code cells as one Rust program, and the way back from its lines to the cells.
//!
//! clippy checks crates, not cells. In a session every binding of a cell is visible to the cells
//! after it, so the cells go, in order, into the body of one `main` (which returns a `Result`,
//! as a cell may use `?`), after the import the kernel gives every session. Each cell keeps its
//! text and its columns; its magic lines (`:dep`, `:seed 7`, ...) become empty lines, so a
//! line of the program is a line of one cell. What the cells do not write (the function, the
//! import, a comment naming each cell) is glue, and no advice is ever reported on it.
//!
//! A cell may end with an expression whose value the notebook shows (`accuracy`, `(a, b)`); in
//! the middle of a function that would not compile, so a `;` goes after it, on the same line.
//! The resulting statement discards a value on purpose; [`Assembly`] remembers where each one
//! starts so that advice about that (an unused value, a statement with no effect) is not
//! reported. A cell that does not parse is left out with a reason: an unclosed brace or string
//! would otherwise swallow the cells after it.

use std::ops::Range;

use nbformat::v4::{Cell, Notebook};
use ra_ap_syntax::{AstNode, Edition, SourceFile, ast};

use crate::is_magic_line;
use repronote_prelude::contract::STACK_IMPORT;

/// The first line of the program, which says where it comes from.
const HEADER: &str =
    "// The code cells of a notebook, assembled by `repronote nb lint` for clippy.\n";
const MAIN_OPEN: &str = "fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {\n";
const MAIN_CLOSE: &str = "std::result::Result::Ok(())\n}\n";
/// What a cell's text is parsed inside, to find its statements.
const PARSE_WRAPPER: &str = "fn cell() {\n";

/// A code cell that takes part, as [`Assembly`] placed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedCell {
    /// 1-based position among all cells, as in every `nb` message.
    pub number: usize,
    pub id: String,
    /// 1-based line of the program on which the cell's first line is.
    pub first_line: usize,
    /// How many lines of the program the cell fills.
    pub lines: usize,
    /// Byte offsets in the program where the cell's trailing expression starts (the one whose
    /// value the notebook would show, now a statement); `None` if it ends with a statement.
    pub tail_start: Option<usize>,
    /// Byte ranges in the program of the patterns of the cell's top-level `let` statements: the
    /// bindings a session keeps for later cells.
    pub bindings: Vec<Range<usize>>,
}

/// A code cell that was left out of the program, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftOut {
    pub number: usize,
    pub id: String,
    pub reason: String,
}

/// The program and the way back from it to the cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assembly {
    /// The text of `src/main.rs`.
    pub source: String,
    /// The cells in the program, in order.
    pub cells: Vec<PlacedCell>,
    /// Cells that do not parse (cells tagged `raises-exception` and cells listed in `exclude`
    /// are skipped without a word).
    pub left_out: Vec<LeftOut>,
}

/// Where a line of the program comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CellLine<'a> {
    pub cell: &'a PlacedCell,
    /// 1-based line within the cell.
    pub line: usize,
}

impl Assembly {
    /// The cell (and line in it) that line `line` (1-based) of the program comes from; `None`
    /// for glue.
    pub fn locate(&self, line: usize) -> Option<CellLine<'_>> {
        let cell = self
            .cells
            .iter()
            .find(|c| (c.first_line..c.first_line + c.lines).contains(&line))?;
        Some(CellLine {
            cell,
            line: line - cell.first_line + 1,
        })
    }
}

/// Assembles the code cells of `notebook` except those whose 1-based number is in `exclude`
/// and those tagged `raises-exception` (they fail on purpose).
pub fn assemble(notebook: &Notebook, exclude: &[usize]) -> Assembly {
    let mut source = format!("{HEADER}{MAIN_OPEN}{STACK_IMPORT}\n");
    let mut cells = Vec::new();
    let mut left_out = Vec::new();
    for (index, cell) in notebook.cells.iter().enumerate() {
        let number = index + 1;
        let Cell::Code {
            id, source: text, ..
        } = cell
        else {
            continue;
        };
        if super::super::expected_to_fail(cell) || exclude.contains(&number) {
            continue;
        }
        let id = id.to_string();
        let code = without_magics(&text.concat());
        let shape = match parse_cell(&code) {
            Ok(shape) => shape,
            Err(reason) => {
                left_out.push(LeftOut { number, id, reason });
                continue;
            }
        };
        source.push_str(&format!("// cell {number} ({id})\n"));
        let start = source.len();
        let first_line = source.lines().count() + 1;
        let mut code = code;
        if let Some(tail) = &shape.tail {
            code.insert(tail.end, ';');
        }
        let lines = code.split('\n').count();
        source.push_str(&code);
        source.push('\n');
        cells.push(PlacedCell {
            number,
            id,
            first_line,
            lines,
            tail_start: shape.tail.map(|tail| start + tail.start),
            bindings: shape
                .bindings
                .into_iter()
                .map(|b| start + b.start..start + b.end)
                .collect(),
        });
    }
    source.push_str(MAIN_CLOSE);
    Assembly {
        source,
        cells,
        left_out,
    }
}

/// The cell's text with every magic line (one that starts with `:`) made empty.
fn without_magics(code: &str) -> String {
    code.split('\n')
        .map(|line| if is_magic_line(line) { "" } else { line })
        .collect::<Vec<_>>()
        .join("\n")
}

/// What assembling needs to know about a cell's statements (byte ranges in the cell's text).
#[derive(Debug, Default)]
struct Shape {
    tail: Option<Range<usize>>,
    bindings: Vec<Range<usize>>,
}

fn parse_cell(code: &str) -> Result<Shape, String> {
    let wrapped = format!("{PARSE_WRAPPER}{code}\n}}");
    let parse = SourceFile::parse(&wrapped, Edition::Edition2024);
    if let Some(error) = parse.errors().first() {
        let at = usize::from(error.range().start()).saturating_sub(PARSE_WRAPPER.len());
        let line = code[..at.min(code.len())].matches('\n').count() + 1;
        return Err(format!("it does not parse (line {line}: {error})"));
    }
    let file = parse.tree();
    let body = file
        .syntax()
        .descendants()
        .find_map(ast::StmtList::cast)
        .filter(|body| usize::from(body.syntax().text_range().end()) == wrapped.len())
        .ok_or("it closes more braces than it opens")?;
    let range = |node: &ra_ap_syntax::SyntaxNode| {
        let range = node.text_range();
        usize::from(range.start()) - PARSE_WRAPPER.len()
            ..usize::from(range.end()) - PARSE_WRAPPER.len()
    };
    let bindings = body
        .statements()
        .filter_map(|statement| match statement {
            ast::Stmt::LetStmt(statement) => statement.pat(),
            _ => None,
        })
        .map(|pattern| range(pattern.syntax()))
        .collect();
    Ok(Shape {
        tail: body.tail_expr().map(|tail| range(tail.syntax())),
        bindings,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A notebook of code cells with ids `c0`, `c1`, ...; a source starting with `#tag `
    /// marks the cell `raises-exception` and a source `# markdown` is a markdown cell.
    pub(crate) fn notebook(cells: &[&str]) -> Notebook {
        let cells: Vec<serde_json::Value> = cells
            .iter()
            .enumerate()
            .map(|(i, source)| {
                if *source == "# markdown" {
                    return serde_json::json!({"cell_type": "markdown", "id": format!("c{i}"),
                        "metadata": {}, "source": source});
                }
                let (tags, source) = match source.strip_prefix("#tag ") {
                    Some(rest) => (serde_json::json!(["raises-exception"]), rest),
                    None => (serde_json::json!([]), *source),
                };
                serde_json::json!({"cell_type": "code", "id": format!("c{i}"),
                    "metadata": {"tags": tags}, "execution_count": null, "source": source,
                    "outputs": []})
            })
            .collect();
        serde_json::from_value(serde_json::json!({
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5, "cells": cells
        }))
        .unwrap()
    }

    fn line_of(assembly: &Assembly, text: &str) -> usize {
        assembly
            .source
            .lines()
            .position(|line| line == text)
            .unwrap_or_else(|| panic!("no line {text:?} in\n{}", assembly.source))
            + 1
    }

    #[test]
    fn cells_follow_each_other_in_one_main_with_their_trailing_values_discarded() {
        let assembly = assemble(
            &notebook(&[
                "let x = 1;\nx + 1",
                "# markdown",
                "let (a, b) = (x, 2);\n(a, b) // shown",
                "for i in 0..3 {\n    println!(\"{i}\");\n}",
            ]),
            &[],
        );
        let expected = format!(
            "{HEADER}{MAIN_OPEN}{STACK_IMPORT}\n\
             // cell 1 (c0)\nlet x = 1;\nx + 1;\n\
             // cell 3 (c2)\nlet (a, b) = (x, 2);\n(a, b); // shown\n\
             // cell 4 (c3)\nfor i in 0..3 {{\n    println!(\"{{i}}\");\n}};\n\
             {MAIN_CLOSE}"
        );
        assert_eq!(assembly.source, expected);
        let numbers: Vec<usize> = assembly.cells.iter().map(|c| c.number).collect();
        assert_eq!(numbers, [1, 3, 4]);
        let tail = assembly.cells[1].tail_start.unwrap();
        assert!(assembly.source[tail..].starts_with("(a, b);"));
        let binding = assembly.cells[1].bindings[0].clone();
        assert_eq!(&assembly.source[binding], "(a, b)");
        assert_eq!(assembly.cells[0].bindings.len(), 1);
    }

    #[test]
    fn every_line_of_a_cell_maps_back_and_glue_maps_nowhere() {
        let assembly = assemble(
            &notebook(&["let v = vec![1];", "let w = v.len();\nlet z = w * 2;"]),
            &[],
        );
        let z = line_of(&assembly, "let z = w * 2;");
        let found = assembly.locate(z).unwrap();
        assert_eq!(
            (found.cell.number, found.cell.id.as_str(), found.line),
            (2, "c1", 2)
        );
        let v = assembly
            .locate(line_of(&assembly, "let v = vec![1];"))
            .unwrap();
        assert_eq!((v.cell.number, v.line), (1, 1));
        for glue in [
            STACK_IMPORT,
            "// cell 2 (c1)",
            "std::result::Result::Ok(())",
            "}",
        ] {
            assert_eq!(assembly.locate(line_of(&assembly, glue)), None, "{glue}");
        }
        assert_eq!(assembly.locate(1), None);
    }

    #[test]
    fn magic_lines_become_empty_and_keep_the_lines_in_place() {
        let assembly = assemble(
            &notebook(&[":dep itoa = \"1\"\nlet a = 1;\n  :seed 7\nlet b = a;\n:allow_entropy"]),
            &[],
        );
        assert!(!assembly.source.contains(":dep") && !assembly.source.contains(":seed"));
        assert!(!assembly.source.contains(":allow_entropy"));
        let b = assembly.locate(line_of(&assembly, "let b = a;")).unwrap();
        assert_eq!(b.line, 4);
        assert_eq!(assembly.cells[0].lines, 5);
        assert_eq!(assembly.cells[0].tail_start, None);
    }

    #[test]
    fn failing_excluded_and_unparsable_cells_stay_out() {
        let assembly = assemble(
            &notebook(&[
                "let a = 1;",
                "#tag let r = rand::thread_rng();",
                "let b = (a;",
                "}\nfn f() {",
                "let c = a;",
                "let d = c;",
            ]),
            &[5],
        );
        let numbers: Vec<usize> = assembly.cells.iter().map(|c| c.number).collect();
        assert_eq!(numbers, [1, 6]);
        assert!(!assembly.source.contains("thread_rng"));
        let reasons: Vec<(usize, &str)> = assembly
            .left_out
            .iter()
            .map(|l| (l.number, l.reason.as_str()))
            .collect();
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert_eq!(reasons[0].0, 3);
        assert!(
            reasons[0].1.starts_with("it does not parse (line 1:"),
            "{reasons:?}"
        );
        assert_eq!(reasons[1].0, 4);
    }
}
