//! `nb fmt`: rustfmt on every code cell, magic lines untouched.
//!
//! A cell is a sequence of statements and items, which rustfmt cannot take as a file; each run
//! of lines between magic lines (`:dep`, `:seed`, ...) is formatted as the body of a function and
//! taken out again, one indent level less. A cell rustfmt cannot parse is reported and left as
//! it is.

use std::io::Write;
use std::process::{Command, Stdio};

use nbformat::v4::{Cell, Notebook};

use super::file::source_lines;

const WRAPPER_OPEN: &str = "fn repronote_cell() {";
const INDENT: &str = "    ";

/// A cell rustfmt could not format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unformattable {
    /// 1-based position among all cells.
    pub number: usize,
    pub reason: String,
}

/// What formatting a notebook did.
#[derive(Debug, Default)]
pub struct Formatted {
    /// 1-based positions of the cells whose text changed.
    pub changed: Vec<usize>,
    pub unformattable: Vec<Unformattable>,
}

/// Formats every code cell of `notebook` in place.
pub fn format_notebook(notebook: &mut Notebook) -> Formatted {
    let mut report = Formatted::default();
    for (index, cell) in notebook.cells.iter_mut().enumerate() {
        let Cell::Code { source, .. } = cell else {
            continue;
        };
        let original = source.concat();
        match format_cell(&original) {
            Ok(formatted) if formatted != original => {
                *source = source_lines(&formatted);
                report.changed.push(index + 1);
            }
            Ok(_) => {}
            Err(reason) => report.unformattable.push(Unformattable {
                number: index + 1,
                reason,
            }),
        }
    }
    report
}

/// The cell's text formatted; magic lines and the presence of a final newline are kept.
pub fn format_cell(code: &str) -> Result<String, String> {
    let mut out: Vec<String> = Vec::new();
    let mut segment: Vec<&str> = Vec::new();
    for line in code.lines() {
        if super::is_magic_line(line) {
            out.extend(format_segment(&segment)?);
            segment.clear();
            out.push(line.to_owned());
        } else {
            segment.push(line);
        }
    }
    out.extend(format_segment(&segment)?);
    let mut text = out.join("\n");
    if code.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

fn format_segment(lines: &[&str]) -> Result<Vec<String>, String> {
    if lines.iter().all(|line| line.trim().is_empty()) {
        return Ok(lines.iter().map(|_| String::new()).collect());
    }
    // Lines go in one level deep, as rustfmt would put them, so that the level taken off
    // afterwards is one that was added: continuation lines of string literals, which rustfmt
    // leaves alone, come out as they went in.
    let indented: Vec<String> = lines
        .iter()
        .map(|line| {
            if line.is_empty() {
                String::new()
            } else {
                format!("{INDENT}{line}")
            }
        })
        .collect();
    let wrapped = format!("{WRAPPER_OPEN}\n{}\n}}\n", indented.join("\n"));
    let formatted = rustfmt(&wrapped)?;
    let body: Vec<&str> = formatted.lines().collect();
    let (first, rest) = body.split_first().ok_or("rustfmt returned nothing")?;
    let (last, inner) = rest.split_last().ok_or("rustfmt returned one line")?;
    if first.trim() != WRAPPER_OPEN || last.trim() != "}" {
        return Err("the cell closes more braces than it opens".to_owned());
    }
    Ok(inner
        .iter()
        .map(|line| line.strip_prefix(INDENT).unwrap_or(line).to_owned())
        .collect())
}

fn rustfmt(code: &str) -> Result<String, String> {
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2024", "--emit", "stdout", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            format!("cannot run rustfmt ({e}); install it with `rustup component add rustfmt`")
        })?;
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(code.as_bytes())
        .map_err(|e| format!("cannot talk to rustfmt: {e}"))?;
    let output = child
        .wait_with_output()
        .map_err(|e| format!("rustfmt failed: {e}"))?;
    if !output.status.success() {
        let errors = String::from_utf8_lossy(&output.stderr);
        let first = errors
            .lines()
            .find(|line| line.starts_with("error"))
            .unwrap_or("rustfmt could not parse it");
        return Err(first.to_owned());
    }
    String::from_utf8(output.stdout).map_err(|e| format!("rustfmt wrote invalid UTF-8: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_items_and_final_expressions_are_formatted() {
        let code = "use linfa::prelude::*;\nlet x=vec![1,2,3];\nfn double(v:i32)->i32{v*2}\nx.iter().map(|v|double(*v)).sum::<i32>()";
        assert_eq!(
            format_cell(code).unwrap(),
            "use linfa::prelude::*;\nlet x = vec![1, 2, 3];\nfn double(v: i32) -> i32 {\n    v * 2\n}\nx.iter().map(|v| double(*v)).sum::<i32>()"
        );
    }

    #[test]
    fn magic_lines_are_kept_where_they_are() {
        let code = ":dep itoa = \"1\"\nlet a=1;\n:seed 7\nlet b=a+1;";
        assert_eq!(
            format_cell(code).unwrap(),
            ":dep itoa = \"1\"\nlet a = 1;\n:seed 7\nlet b = a + 1;"
        );
        assert_eq!(format_cell(":seed").unwrap(), ":seed");
    }

    #[test]
    fn formatted_cells_stay_as_they_are_and_broken_ones_are_refused() {
        let tidy = "let x = 1;\nx + 1\n";
        assert_eq!(format_cell(tidy).unwrap(), tidy);
        assert!(format_cell("let x = (1;").is_err());
        assert!(format_cell("}\nfn f() {").is_err());
    }

    #[test]
    fn string_literals_spanning_lines_keep_their_text() {
        let code = "println!(\n    \"one \\\n     two\",\n);\nlet s = \"a\nb\";\n";
        assert_eq!(
            format_cell(code).unwrap(),
            "println!(\n    \"one \\\n     two\",\n);\nlet s = \"a\nb\";\n"
        );
    }
}
