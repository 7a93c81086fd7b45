//! Typing the bindings evcxr cannot: run the cell, and when evcxr cannot name a top-level
//! binding's type, ask rustc with a probe and run the cell again annotated.

use std::collections::HashMap;
use std::path::Path;

use evcxr::{CommandContext, EvalCallbacks};

use super::super::CellError;
use super::super::type_probe;
use super::errors::untypable;

/// How a cell failed, with the code that was last compiled (the cell, perhaps annotated).
pub(super) enum RunFailure {
    Evcxr {
        error: evcxr::Error,
        code: String,
    },
    /// A top-level binding whose type cannot be kept: what to tell the user.
    Untypable(CellError),
}

/// The most bindings of one cell the kernel types for evcxr before giving up.
pub(super) const MAX_TYPED_BINDINGS: usize = 8;

/// Runs `code`; when evcxr cannot type a top-level binding, asks rustc (see [`type_probe`]) and
/// runs the cell again with the annotation added.
pub(super) fn run_with_types(
    context: &mut CommandContext,
    code: &str,
    callbacks: &mut EvalCallbacks,
    probe_flag: &Path,
    typed_cells: &mut HashMap<String, String>,
) -> Result<evcxr::EvalOutputs, RunFailure> {
    // A cell typed before runs with its annotations at once (a re-run, a re-fit): one compile.
    if let Some(annotated) = typed_cells.get(code).cloned() {
        match context.execute_with_callbacks(&annotated, callbacks) {
            Ok(outputs) => return Ok(outputs),
            // The annotations no longer fit (an earlier variable changed type): nothing ran, so
            // type the cell afresh below.
            Err(evcxr::Error::CompilationErrors(_)) => {
                typed_cells.remove(code);
            }
            Err(error) => {
                return Err(RunFailure::Evcxr {
                    error,
                    code: annotated,
                });
            }
        }
    }
    let original = code;
    let mut code = code.to_owned();
    let mut annotated = Vec::new();
    for _ in 0..=MAX_TYPED_BINDINGS {
        let error = match context.execute_with_callbacks(&code, callbacks) {
            Ok(outputs) => {
                if !annotated.is_empty() {
                    typed_cells.insert(original.to_owned(), code);
                }
                return Ok(outputs);
            }
            Err(error) => error,
        };
        let message = error.to_string();
        let unknown = match &error {
            evcxr::Error::Message(_) => type_probe::unknown_variable(&message),
            _ => None,
        };
        let (Some(name), true) = (unknown, annotated.len() < MAX_TYPED_BINDINGS) else {
            return Err(RunFailure::Evcxr { error, code });
        };
        let name = name.to_owned();
        let Some(site) = type_probe::find_let(&code, &name) else {
            return Err(RunFailure::Evcxr { error, code });
        };
        let probe_at = |at| type_probe::probe_code(&code, &name, at);
        let ty = match probe_type(context, &probe_at(site.after_statement), probe_flag) {
            // Later lines of the cell may settle it: ask again after them.
            Some(ty)
                if type_probe::has_placeholder(&ty)
                    && site.after_cell_statements > site.after_statement =>
            {
                probe_type(context, &probe_at(site.after_cell_statements), probe_flag).or(Some(ty))
            }
            found => found,
        };
        let ty = match ty {
            Some(ty) => ty,
            None => return Err(RunFailure::Untypable(untypable(&name, None, None))),
        };
        if let Some(why) = type_probe::unwritable(&ty) {
            return Err(RunFailure::Untypable(untypable(
                &name,
                Some(&ty),
                Some(why),
            )));
        }
        if annotated.contains(&name) {
            // Annotated already and still refused: evcxr cannot keep this type.
            return Err(RunFailure::Untypable(untypable(
                &name,
                Some(&ty),
                Some("evcxr refused the type rustc reported"),
            )));
        }
        tracing::info!("typed `{name}` as `{ty}` for evcxr");
        code = type_probe::annotated_code(&code, &ty, &site);
        annotated.push(name);
    }
    unreachable!("the loop returns once MAX_TYPED_BINDINGS bindings were annotated")
}

/// Checks the probe with `cargo check` (which cannot succeed; nothing is built or run) and
/// reads the type rustc reports. A check, not an evaluation: evcxr would ask rust-analyzer
/// again, build, and on failure build once more for its error message, about 1 s for nothing.
pub(super) fn probe_type(
    context: &mut CommandContext,
    probe: &str,
    probe_flag: &Path,
) -> Option<String> {
    let raised = std::fs::write(probe_flag, b"");
    let result = context.check(probe);
    if raised.is_ok() {
        let _ = std::fs::remove_file(probe_flag);
    }
    match result {
        Ok(errors) => {
            let ty = errors
                .iter()
                .filter(|e| e.code() == Some("E0308"))
                .find_map(|e| type_probe::type_from_rendered(&e.rendered()));
            if ty.is_none() {
                tracing::debug!("type probe reported no type ({} errors)", errors.len());
            }
            ty
        }
        Err(error) => {
            tracing::debug!("type probe failed: {error}");
            None
        }
    }
}
