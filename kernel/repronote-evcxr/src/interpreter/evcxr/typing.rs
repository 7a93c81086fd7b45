//! Typing the bindings evcxr cannot. rust-analyzer sees only std (the stack reaches rustc by
//! flags, see [`crate::stack_externs`]), and not even std until the kernel has been idle (see
//! [`super::deferred_std`]), so evcxr cannot type a binding of a stack type. The
//! kernel therefore asks rustc first: one `cargo check` of the cell with a probe for every
//! untyped top-level binding, then the cell runs annotated (one build). What the probe could
//! not settle is left to evcxr; when evcxr then cannot name a binding's type, the kernel probes
//! that binding alone and runs the cell again. A probed type whose path runs through a private
//! module is written through the public alias that names it (see [`super::public_types`]).

use std::collections::HashMap;
use std::path::Path;

use evcxr::{CommandContext, EvalCallbacks};

use super::super::CellError;
use super::super::stack_index::SessionIndex;
use super::super::type_probe;
use super::errors::untypable;
use super::literal_bindings::LiteralBindings;
use super::locations::CellLocations;
use super::public_types;

/// How a cell failed, with the code that was last compiled (the cell, perhaps annotated).
pub(super) enum RunFailure {
    Evcxr {
        error: evcxr::Error,
        code: String,
    },
    /// A top-level binding whose type cannot be kept: what to tell the user.
    Untypable(CellError),
}

/// What the kernel keeps between cells about typing them.
#[derive(Debug, Default)]
pub(super) struct TypingMemory {
    /// Each cell the kernel had to annotate, by its code, with the annotated code: run again,
    /// it compiles once.
    pub(super) typed_cells: HashMap<String, String>,
    /// Kept variables typed from a number literal's default, which a later cell may retype.
    pub(super) literals: LiteralBindings,
}

/// The most bindings of one cell the kernel types for evcxr before giving up.
pub(super) const MAX_TYPED_BINDINGS: usize = 8;

/// What probing a cell's types needs besides evcxr.
pub(super) struct Probe<'a> {
    /// Present while a probe compiles (see [`crate::rustc_wrapper`]).
    pub(super) flag: &'a Path,
    /// The stack's crate names, which probes import.
    pub(super) stack_crates: &'a [String],
    /// The stack's index, which writes private paths through public aliases.
    pub(super) index: &'a mut SessionIndex,
}

impl Probe<'_> {
    /// A probed type as it can be written into the cell (see [`public_types`]).
    fn writable(&mut self, ty: String) -> String {
        public_types::publicly_named(self.index, self.stack_crates, ty)
    }
}

/// Runs `code`; when evcxr cannot type a top-level binding, asks rustc (see [`type_probe`]) and
/// runs the cell again with the annotation added.
pub(super) fn run_with_types(
    context: &mut CommandContext,
    code: &str,
    callbacks: &mut EvalCallbacks,
    probe: &mut Probe<'_>,
    memory: &mut TypingMemory,
    locations: &CellLocations,
) -> Result<evcxr::EvalOutputs, RunFailure> {
    let (probe_flag, stack_crates) = (probe.flag, probe.stack_crates);
    let TypingMemory {
        typed_cells,
        literals,
    } = memory;
    // A cell typed before runs with its annotations at once (a re-run, a re-fit): one compile.
    if let Some(annotated) = typed_cells.get(code).cloned() {
        locations.compiling(code, &annotated);
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
    let (mut code, defaulted) = annotate_before_running(context, code, probe);
    let mut annotated = Vec::new();
    for _ in 0..=MAX_TYPED_BINDINGS {
        locations.compiling(original, &code);
        let error = match context.execute_with_callbacks(&code, callbacks) {
            Ok(outputs) => {
                literals.record(original, &defaulted);
                if code != original {
                    typed_cells.insert(original.to_owned(), code);
                }
                return Ok(outputs);
            }
            Err(error) => error,
        };
        if let Some(refused) = static_reference_refused(original, &code, &error) {
            return Err(RunFailure::Untypable(refused));
        }
        if literals.retype_for(context, &code, &error, callbacks, probe_flag, stack_crates) {
            continue;
        }
        let message = error.to_string();
        if annotated.len() < MAX_TYPED_BINDINGS
            && let Some((name, public)) = private_type_reannotated(&code, &message, probe)
        {
            tracing::info!("wrote `{name}`'s private type through public aliases for evcxr");
            annotated.push(name);
            code = public;
            continue;
        }
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
        let probe_at = |at| type_probe::probes_code(&code, &[name.as_str()], at, stack_crates);
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
            Some(ty) => probe.writable(ty),
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

/// When evcxr refused a variable's type as private and the cell has that annotation: the
/// variable, and the cell with its type written through public aliases (see [`public_types`]).
fn private_type_reannotated(
    code: &str,
    message: &str,
    probe: &mut Probe<'_>,
) -> Option<(String, String)> {
    let (name, ty) = public_types::refused_private_type(message)?;
    let public = probe.writable(ty.to_owned());
    if public == ty {
        return None;
    }
    let code = public_types::reannotated(code, name, ty, &public)?;
    Some((name.to_owned(), code))
}

/// Borrow-checker errors that a reference made `'static` for keeping causes: the value
/// really borrows from another one.
const BORROW_ERRORS: [&str; 6] = ["E0597", "E0716", "E0521", "E0515", "E0505", "E0759"];

/// When the kernel wrote `&'static` into a binding's type and the borrow checker refuses it,
/// the error to show instead: why the binding cannot be kept and what to write.
fn static_reference_refused(original: &str, code: &str, error: &evcxr::Error) -> Option<CellError> {
    let evcxr::Error::CompilationErrors(errors) = error else {
        return None;
    };
    let borrows = errors
        .iter()
        .any(|e| e.code().is_some_and(|code| BORROW_ERRORS.contains(&code)));
    if !borrows || original.contains("&'static") || !code.contains("&'static") {
        return None;
    }
    let (lets, _) = type_probe::untyped_bindings(original);
    let name = lets
        .iter()
        .flat_map(|found| &found.names)
        .find(|name| {
            code.lines()
                .any(|line| line.contains(&format!("{name}: ")) && line.contains("&'static"))
        })
        .map_or("a variable", String::as_str);
    Some(untypable(name, None, Some(type_probe::BORROW_ADVICE)))
}

/// The cell with every untyped top-level binding annotated with the type rustc reports for it,
/// from one check with a probe per binding. Bindings whose type cannot be written down (a
/// closure, a borrow, an unsettled `_`) stay as they are, for evcxr and its messages.
fn annotate_before_running(
    context: &mut CommandContext,
    code: &str,
    probe: &mut Probe<'_>,
) -> (String, Vec<String>) {
    let (probe_flag, stack_crates) = (probe.flag, probe.stack_crates);
    let (lets, at) = type_probe::untyped_bindings(code);
    if lets.is_empty() {
        return (code.to_owned(), Vec::new());
    }
    let names: Vec<&str> = lets
        .iter()
        .flat_map(|found| found.names.iter().map(String::as_str))
        .collect();
    let probe_code = type_probe::probes_code(code, &names, at, stack_crates);
    let Some(errors) = check_probe(context, &probe_code, probe_flag) else {
        return (code.to_owned(), Vec::new());
    };
    let mut types: Vec<Option<String>> = vec![None; names.len()];
    let mut defaulted = Vec::new();
    for error in errors.iter().filter(|e| e.code() == Some("E0308")) {
        let rendered = error.rendered();
        if let Some((name, _)) = type_probe::probed_type(&rendered)
            && type_probe::defaulted(&rendered)
        {
            defaulted.push(name);
        }
        if let Some((name, ty)) = type_probe::probed_type(&rendered)
            && let Some(index) = names.iter().position(|n| *n == name)
            && let Some(ty) = type_probe::with_static_references(&probe.writable(ty))
            && type_probe::unwritable(&ty).is_none()
        {
            types[index] = Some(ty);
        }
    }
    let mut next = 0;
    let mut annotations = Vec::new();
    for found in &lets {
        let these = &types[next..next + found.names.len()];
        next += found.names.len();
        if let Some(these) = these.iter().cloned().collect::<Option<Vec<String>>>() {
            annotations.push((found, these));
        }
    }
    tracing::debug!(
        "probed {} binding(s), annotated {} let(s)",
        names.len(),
        annotations.len()
    );
    (type_probe::annotate_lets(code, &annotations), defaulted)
}

/// Runs `cargo check` on a probe, with rustc asked for full paths (see [`crate::rustc_wrapper`]).
fn check_probe(
    context: &mut CommandContext,
    probe: &str,
    probe_flag: &Path,
) -> Option<Vec<evcxr::CompilationError>> {
    let raised = std::fs::write(probe_flag, b"");
    let result = context.check(probe);
    if raised.is_ok() {
        let _ = std::fs::remove_file(probe_flag);
    }
    result
        .map_err(|error| tracing::debug!("type probe failed: {error}"))
        .ok()
}

/// Checks the probe with `cargo check` (which cannot succeed; nothing is built or run) and
/// reads the type rustc reports. A check, not an evaluation: evcxr would ask rust-analyzer
/// again, build, and on failure build once more for its error message, about 1 s for nothing.
pub(super) fn probe_type(
    context: &mut CommandContext,
    probe: &str,
    probe_flag: &Path,
) -> Option<String> {
    let errors = check_probe(context, probe, probe_flag)?;
    let ty = errors
        .iter()
        .filter(|e| e.code() == Some("E0308"))
        .find_map(|e| type_probe::probed_type(&e.rendered()).map(|(_, ty)| ty));
    if ty.is_none() {
        tracing::debug!("type probe reported no type ({} errors)", errors.len());
    }
    ty
}
