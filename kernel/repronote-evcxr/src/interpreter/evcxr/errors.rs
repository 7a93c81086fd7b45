//! Failures in the user's terms: compiler messages against the cell's own lines, a panic's
//! message, what an interrupt or a dead evaluation process cost, why a binding cannot be kept.

use super::super::type_probe;
use super::super::{CellError, CellErrorKind};

pub(super) fn untypable(name: &str, ty: Option<&str>, why: Option<&str>) -> CellError {
    let mut traceback = vec![format!(
        "The variable `{name}` cannot be kept for later cells: {}.",
        why.unwrap_or("neither evcxr nor rustc could name its type")
    )];
    match ty {
        Some(ty) => traceback.push(format!("rustc says its type is `{ty}`.")),
        // The reason says what to write instead.
        None if why.is_some() => {}
        None => traceback.push(format!(
            "Give it a type: `let {name}: TheType = ...;`, or wrap the cell in braces \
             `{{ ... }}` to keep it inside this cell."
        )),
    }
    CellError {
        kind: CellErrorKind::UnpersistableVariable,
        evalue: traceback[0].clone(),
        traceback,
    }
}

pub(super) fn interrupted_error() -> CellError {
    CellError {
        kind: CellErrorKind::Interrupted,
        evalue: "the cell was interrupted".to_owned(),
        traceback: vec![
            "Interrupted: the evaluation process was stopped and started again.".to_owned(),
            "Variables from earlier cells are gone; functions, types and `use` items are kept."
                .to_owned(),
            "Re-run the cells that define the variables you need.".to_owned(),
        ],
    }
}

pub(super) fn process_died_error(message: &str) -> CellError {
    let status = message
        .lines()
        .rev()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("it stopped")
        .to_owned();
    let mut traceback = vec![
        format!("The evaluation process stopped while running this cell ({status})."),
        "The kernel started a new one: variables from earlier cells are gone; functions, types \
         and `use` items are kept. Re-run the cells that define the variables you need."
            .to_owned(),
    ];
    traceback.extend(
        message
            .lines()
            .filter(|line| !line.trim().is_empty())
            .take(20)
            .map(str::to_owned),
    );
    CellError {
        kind: CellErrorKind::EvaluationProcessDied,
        evalue: status,
        traceback,
    }
}

/// Renders compiler errors against the cell's own lines, the way rustc would show a file.
pub(super) fn compile_error(code: &str, errors: &[evcxr::CompilationError]) -> CellError {
    let source: Vec<&str> = code.lines().collect();
    let mut traceback = Vec::new();
    for error in errors {
        let code_suffix = error.code().map(|c| format!("[{c}]")).unwrap_or_default();
        traceback.push(format!(
            "{}{code_suffix}: {}",
            error.level(),
            error.message()
        ));
        for spanned in error.spanned_messages() {
            let Some(span) = spanned.span else {
                if !spanned.label.is_empty() {
                    traceback.push(format!("  = {}", spanned.label));
                }
                continue;
            };
            traceback.push(format!(
                "  --> cell line {}, column {}",
                span.start_line, span.start_column
            ));
            if let Some(line) = source.get(span.start_line.saturating_sub(1)) {
                let width = if span.end_line == span.start_line {
                    span.end_column.saturating_sub(span.start_column).max(1)
                } else {
                    line.chars()
                        .count()
                        .saturating_sub(span.start_column - 1)
                        .max(1)
                };
                traceback.push(format!("{:>4} | {line}", span.start_line));
                traceback.push(format!(
                    "     | {}{} {}",
                    " ".repeat(span.start_column.saturating_sub(1)),
                    "^".repeat(width),
                    spanned.label
                ));
            }
        }
        for help in error.help() {
            traceback.push(format!("  = help: {help}"));
        }
        let message = error.message();
        if let Some(note) = inference_note(code, &source, error, &message)
            .or_else(|| type_probe::borrow_note(&message))
        {
            traceback.push(format!("  = {note}"));
        }
        traceback.push(String::new());
    }
    if traceback.last().is_some_and(String::is_empty) {
        traceback.pop();
    }
    CellError {
        kind: CellErrorKind::CompilationError,
        evalue: errors
            .first()
            .map(|e| e.message())
            .unwrap_or_else(|| "the cell did not compile".to_owned()),
        traceback,
    }
}

/// The notebook's note for rustc's "type annotations needed" on a top-level binding.
pub(super) fn inference_note(
    code: &str,
    lines: &[&str],
    error: &evcxr::CompilationError,
    message: &str,
) -> Option<String> {
    let error_code = error.code()?;
    let spans: Vec<&str> = error
        .spanned_messages()
        .iter()
        .filter_map(|spanned| {
            let span = spanned.span.as_ref()?;
            if span.start_line != span.end_line {
                return None;
            }
            let line = lines.get(span.start_line.checked_sub(1)?)?;
            let start = line
                .char_indices()
                .nth(span.start_column.checked_sub(1)?)?
                .0;
            let end = line
                .char_indices()
                .nth(span.end_column.checked_sub(1)?)
                .map_or(line.len(), |(at, _)| at);
            line.get(start..end)
        })
        .collect();
    type_probe::inference_note(code, error_code, message, &spans)
}

/// What a panic printed: its message lines, without the backtrace.
#[derive(Debug, Default)]
pub(super) struct PanicReport {
    /// The `thread '...' panicked at ...` line; its location is in generated code.
    pub(super) header: String,
    pub(super) message: Vec<String>,
}

impl PanicReport {
    pub(super) fn into_cell_error(self) -> CellError {
        let evalue = if self.message.is_empty() {
            "the cell panicked".to_owned()
        } else {
            self.message.join("\n")
        };
        // The header ends `panicked at LOCATION:`; the kernel rewrote a location in the cell.
        let location = self
            .header
            .split_once(" panicked at cell line ")
            .map(|(_, at)| at.trim_end_matches(':').to_owned());
        let mut traceback = vec![match location {
            Some(at) => format!("panic: the cell panicked at line {at}"),
            None => "panic: the cell panicked".to_owned(),
        }];
        traceback.extend(self.message);
        traceback.push(
            "Variables from earlier cells are kept; variables this cell defined are not."
                .to_owned(),
        );
        CellError {
            kind: CellErrorKind::Panic,
            evalue,
            traceback,
        }
    }
}
