//! The cell's own lines in place of evcxr's generated file, for panics and `dbg!`.
//!
//! A cell runs as part of a crate evcxr generates, so a panic or `dbg!(x)` reports a location
//! such as `src/lib.rs:304:5`: rustc's line in that file, where the cell's statements sit among
//! evcxr's own code (loading and storing variables, items from earlier cells). The user never
//! sees that file. evcxr copies the cell's statements into it as they are written, so the
//! generated lines can be matched to the cell's: in order for the statements (after the
//! function evcxr wraps them in), by unique text for the items the cell defines. Each location
//! on stderr is then rewritten as `cell line 3, column 5`, the form compile errors use.
//!
//! The code matched is what was compiled (the cell with the kernel's type annotations), whose
//! lines are the cell's own: annotations are written on the lines they annotate. A column is
//! given only where the compiled line is the line the user wrote; on an annotated line it
//! would count the annotation's characters.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// The file rustc's locations name.
const GENERATED_FILE: &str = "src/lib.rs:";
/// The first line of the function evcxr wraps a cell's statements in.
const CELL_FUNCTION: &str = "pub extern \"C\" fn run_user_code_";

/// Shared by the cell runner, which says what is being compiled, and the output pump, which
/// rewrites locations in what the cell prints.
#[derive(Clone, Default)]
pub(super) struct CellLocations {
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    /// evcxr's generated file for the cells (none when the kernel does not know where it is).
    generated: Option<PathBuf>,
    /// The code being compiled and run, and the cell as the user wrote it.
    code: String,
    written: String,
    /// Generated line → where it is in the cell, built at the first location asked for.
    lines: Option<HashMap<usize, CellLine>>,
}

impl CellLocations {
    pub(super) fn new(generated: Option<PathBuf>) -> Self {
        let locations = Self::default();
        locations.lock().generated = generated;
        locations
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// `code` (the cell `written` by the user, perhaps annotated) is about to be compiled and
    /// run.
    pub(super) fn compiling(&self, written: &str, code: &str) {
        let mut state = self.lock();
        state.code = code.to_owned();
        state.written = written.to_owned();
        state.lines = None;
    }

    /// `text` with each `src/lib.rs:LINE:COLUMN` of the cell's code as `cell line L, column C`;
    /// locations outside the cell (evcxr's code, earlier cells' items) stay as they are.
    pub(super) fn in_cell_terms(&self, text: &str) -> String {
        if !text.contains(GENERATED_FILE) {
            return text.to_owned();
        }
        let mut state = self.lock();
        if state.lines.is_none() {
            let generated = state
                .generated
                .as_ref()
                .and_then(|path| std::fs::read_to_string(path).ok())
                .unwrap_or_default();
            state.lines = Some(line_map(&generated, &state.code, &state.written));
        }
        let lines = state.lines.as_ref().expect("built just above");
        rewrite_locations(text, lines)
    }
}

/// Where a generated line is in the cell: its line, and what to add to a column of the
/// generated line to get the cell's (`None` when the line was annotated).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct CellLine {
    pub(super) line: usize,
    pub(super) column_shift: Option<isize>,
}

/// Replaces each `src/lib.rs:L:C` whose line `lines` maps.
fn rewrite_locations(text: &str, lines: &HashMap<usize, CellLine>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(GENERATED_FILE) {
        out.push_str(&rest[..at]);
        let after = &rest[at + GENERATED_FILE.len()..];
        let number = |s: &str| -> Option<(usize, usize)> {
            let digits = s.bytes().take_while(u8::is_ascii_digit).count();
            Some((s[..digits].parse().ok()?, digits))
        };
        let parsed = number(after).and_then(|(line, line_len)| {
            let tail = after[line_len..].strip_prefix(':')?;
            let (column, column_len) = number(tail)?;
            Some((line, column, line_len + 1 + column_len))
        });
        match parsed.and_then(|(line, column, len)| Some((*lines.get(&line)?, column, len))) {
            Some((at, column, len)) => {
                let column = at
                    .column_shift
                    .and_then(|shift| usize::try_from(column as isize + shift).ok())
                    .filter(|column| *column > 0);
                out.push_str(&match column {
                    Some(column) => format!("cell line {}, column {column}", at.line),
                    None => format!("cell line {}", at.line),
                });
                rest = &after[len..];
            }
            None => {
                out.push_str(GENERATED_FILE);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A line with something to match on (not only braces and punctuation).
fn significant(line: &str) -> bool {
    line.chars().filter(|c| c.is_alphanumeric()).count() >= 2
}

/// Generated line → where it is in the cell (lines 1-based). `code` is what was compiled,
/// `written` the cell as the user wrote it (the same lines, some perhaps annotated).
pub(super) fn line_map(generated: &str, code: &str, written: &str) -> HashMap<usize, CellLine> {
    let raw_generated: Vec<&str> = generated.lines().collect();
    let raw_cell: Vec<&str> = code.lines().collect();
    let raw_written: Vec<&str> = written.lines().collect();
    let generated: Vec<&str> = raw_generated.iter().map(|line| line.trim()).collect();
    let cell: Vec<&str> = raw_cell.iter().map(|line| line.trim()).collect();
    let indent = |line: &str| (line.len() - line.trim_start().len()) as isize;
    // Where the generated line's text starts in the cell line, minus where it starts in the
    // generated line; none if the user wrote that line otherwise.
    let shift = |index: usize, at: usize| -> Option<isize> {
        if raw_written.get(at) != raw_cell.get(at) {
            return None;
        }
        let start = raw_cell[at].find(generated[index])? as isize;
        Some(start - indent(raw_generated[index]))
    };
    let place = |index: usize, at: usize| CellLine {
        line: at + 1,
        column_shift: shift(index, at),
    };
    let mut map = HashMap::new();
    let Some(function) = generated
        .iter()
        .rposition(|line| line.starts_with(CELL_FUNCTION))
    else {
        return map;
    };
    // Items the cell defines come before the function: by text, where it is unique in the cell.
    for (index, line) in generated[..function].iter().enumerate() {
        if !significant(line) {
            continue;
        }
        let mut found = cell.iter().enumerate().filter(|(_, c)| *c == line);
        if let (Some((at, _)), None) = (found.next(), found.next()) {
            map.insert(index + 1, place(index, at));
        }
    }
    // Statements, in order. evcxr puts each statement on a line of its own (`let a = 1; let b
    // = 2;` becomes two lines), so a line also matches a cell line that contains it.
    let mut next = 0;
    for (index, line) in generated.iter().enumerate().skip(function + 1) {
        if !significant(line) {
            continue;
        }
        let matched = (next..cell.len()).find_map(|at| {
            let candidate = cell[at];
            if candidate == *line {
                Some((at, at + 1))
            } else if candidate.contains(line) {
                Some((at, at))
            } else {
                None
            }
        });
        if let Some((at, resume)) = matched {
            map.insert(index + 1, place(index, at));
            next = resume;
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    const GENERATED: &str = "#![allow(unused_imports, unused_mut, dead_code)]
use linfa::prelude::*;
fn double(x: u32) -> u32 {
    x.checked_mul(2).expect(\"too big\")
}
#[unsafe(no_mangle)]
pub extern \"C\" fn run_user_code_3(
mut evcxr_variable_store: *mut evcxr_internal_runtime::VariableStore)
  -> *mut evcxr_internal_runtime::VariableStore {
let evcxr_variable_store = unsafe {&mut *evcxr_variable_store};
let x: u32 = 5;
let y = 6;
dbg!(x + y);
let v: Vec<u32> = vec![];
v[3];
evcxr_variable_store.put_variable::<u32>(stringify!(x), x);
evcxr_variable_store
}";

    const CELL: &str = "fn double(x: u32) -> u32 {
    x.checked_mul(2).expect(\"too big\")
}
let x: u32 = 5; let y = 6;

dbg!(x + y);
let v: Vec<u32> = vec![];
v[3];";

    #[test]
    fn statements_and_items_map_to_the_cells_lines() {
        let map = line_map(GENERATED, CELL, CELL);
        let line = |generated| map.get(&generated).map(|at: &CellLine| at.line);
        assert_eq!(line(4), Some(2), "the item's body");
        assert_eq!(line(11), Some(4));
        assert_eq!(line(12), Some(4), "two statements on one cell line");
        assert_eq!(
            map[&12].column_shift,
            Some(16),
            "the second statement's column"
        );
        assert_eq!(line(13), Some(6));
        assert_eq!(line(15), Some(8));
        assert_eq!(line(16), None, "evcxr's own line");
    }

    #[test]
    fn an_annotated_line_is_named_without_a_column() {
        let written = CELL.replace("let v: Vec<u32> = vec![];", "let v = vec![];");
        let map = line_map(GENERATED, CELL, &written);
        assert_eq!(map[&14].column_shift, None);
        assert_eq!(
            rewrite_locations("at src/lib.rs:14:19", &map),
            "at cell line 7"
        );
    }

    #[test]
    fn panics_and_dbg_output_name_the_cells_line() {
        let map = line_map(GENERATED, CELL, CELL);
        assert_eq!(
            rewrite_locations("[src/lib.rs:13:1] x + y = 11\n", &map),
            "[cell line 6, column 1] x + y = 11\n"
        );
        assert_eq!(
            rewrite_locations("thread '<unnamed>' panicked at src/lib.rs:15:1:", &map),
            "thread '<unnamed>' panicked at cell line 8, column 1:"
        );
        // Not the cell's: left as rustc wrote it.
        assert_eq!(
            rewrite_locations("at src/lib.rs:16:1 and src/lib.rs:x", &map),
            "at src/lib.rs:16:1 and src/lib.rs:x"
        );
    }
}
