//! Start-up: evcxr with the evaluation process, the cells' rustc wrapper, the prelude and the
//! preloaded stack, in as few builds as possible; and rust-analyzer's warm-up when idle.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use evcxr::{CommandContext, EvalContext};
use repronote_stack::Session;

use super::super::Interpreter;
use super::super::evcxr_stack::{StackError, StackPlan};
use super::super::stack_index::SessionIndex;
use super::deferred_std::DeferredStd;
use super::interrupt::EvcxrInterrupter;
use super::output_pump::OutputPump;
use super::session_files::SessionFiles;
use super::{Evaluator, EvcxrInterpreter};
use crate::prelude;
use crate::rustc_wrapper::UnknownCellLto;

/// The preloaded stack for this kernel: what to load and the session folder to load it into.
#[derive(Debug)]
pub struct StackSetup {
    pub plan: StackPlan,
    pub session: Arc<Session>,
}

/// Why the evaluator could not start: every cell then answers with this message.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot prepare the evaluation process: {0}")]
    Binary(#[source] std::io::Error),
    #[error(transparent)]
    CellLto(#[from] UnknownCellLto),
    #[error("cannot start evcxr: {0}")]
    Evcxr(#[source] evcxr::Error),
    #[error("cannot configure evcxr's builds: {0}")]
    Configure(#[source] evcxr::Error),
    #[error("the cell prelude did not compile: {0}")]
    Prelude(#[source] evcxr::Error),
}

/// Starts evcxr with the prelude evaluated; runs on the interpreter thread. `files` are the
/// session's side files, which the caller owns (and removes) whatever happens here;
/// `build_lines` carries cargo's progress lines (see [`crate::build_progress`]).
///
/// With a prebuilt stack the session starts from it and the stack is loaded here, in the same
/// build as the prelude. Without one, the stack is built by the first cell, where cargo's
/// progress can be shown; if the stack cannot be used at all (`stack` is an error), cells run
/// without it and the first one says why.
pub fn start(
    files: &SessionFiles,
    build_lines: crossbeam_channel::Receiver<String>,
    stack: Result<StackSetup, StackError>,
) -> Result<Box<dyn Interpreter>, StartError> {
    let cell_lto = std::env::var(crate::rustc_wrapper::CELL_LTO_ENV).ok();
    crate::rustc_wrapper::cell_lto_flag(cell_lto.as_deref())?;
    let seed_file = files.seed_file();
    let mut command = crate::evaluation_process::command().map_err(StartError::Binary)?;
    command.env(prelude::FLUSH_FIFO_ENV, files.flush_fifo());
    command.env(prelude::CELL_SEED_FILE_ENV, &seed_file);
    let provenance_file = files.provenance_file();
    command.env(
        repronote_seeding::provenance::PROVENANCE_FILE_ENV,
        &provenance_file,
    );
    let training_record_file = files.training_record_file();
    command.env(
        repronote_seeding::provenance::TRAINING_RECORD_FILE_ENV,
        &training_record_file,
    );
    command.env(prelude::LINEAGE_FILE_ENV, files.lineage_file());
    // For rust-analyzer in this process only (see `deferred_std`), not for cells.
    command.env_remove(super::deferred_std::LIBRARY_ENV);

    // The session folder exists whether or not the stack loads.
    let session = stack.as_ref().ok().map(|setup| setup.session.clone());
    let stack_location = stack.as_ref().ok().map(|setup| {
        format!(
            "Build key {} in {}",
            setup.plan.key,
            setup.plan.cache.root().display()
        )
    });
    let stack_target = stack
        .as_ref()
        .ok()
        .map(|setup| setup.plan.index_dir(&setup.session));
    let mut stack_note = None;
    let stack = match stack {
        Ok(setup) => match setup.plan.start_session(&setup.session) {
            Ok(prebuilt) => Some((setup, prebuilt)),
            Err(error) => {
                stack_note = Some(stack_unavailable(&error.to_string()));
                None
            }
        },
        Err(error) => {
            stack_note = Some(stack_unavailable(&error.to_string()));
            None
        }
    };

    let deferred_std = session.as_ref().and_then(|session| {
        DeferredStd::prepare(session.folder(), &session.crate_dir())
            .map_err(|error| tracing::warn!("rust-analyzer loads std at start: {error}"))
            .ok()
            .flatten()
    });
    let (mut eval_context, outputs) =
        EvalContext::with_subprocess_command(command).map_err(StartError::Evcxr)?;
    let process = eval_context.process_handle();
    let probe_flag = files.probe_flag();
    crate::rustc_wrapper::configure(&mut eval_context, &probe_flag)
        .map_err(StartError::Configure)?;
    // One compile for the prelude and the stack: every evaluation costs a crate build.
    let prelude_code = format!(
        "{}\n{}",
        prelude::source_without_stack(),
        prelude::START_FLUSHER
    );
    let stack_prelude = format!("{}\n{}", prelude::STACK_IMPORT, prelude::START_FLUSHER);
    let mut pending = None;
    let stack_session = stack.as_ref().map(|(setup, _)| setup.session.clone());
    match stack {
        Some((setup, true)) => {
            let attached = setup
                .plan
                .attach(&mut eval_context, &setup.session, &stack_prelude)
                .or_else(|error| {
                    tracing::warn!("{error}; loading the stack as dependencies instead");
                    setup
                        .plan
                        .load(&mut eval_context, &setup.session, &stack_prelude)
                });
            if let Err(error) = attached {
                tracing::error!("{error}");
                stack_note = Some(stack_unavailable(&error.to_string()));
                run_prelude(&mut eval_context, &prelude_code)?;
            }
        }
        Some((setup, false)) => {
            run_prelude(&mut eval_context, &prelude_code)?;
            pending = Some(setup);
        }
        None => run_prelude(&mut eval_context, &prelude_code)?,
    }
    let warm_up_pending = stack_note.is_none() && pending.is_none();
    let evaluator = match pending {
        Some(setup) => Evaluator::AwaitingStack {
            context: eval_context,
            setup,
        },
        None => Evaluator::Ready(CommandContext::with_eval_context(eval_context)),
    };
    // evcxr writes the cells' crate into the session folder the kernel gave it.
    let locations = super::locations::CellLocations::new(
        stack_session
            .as_ref()
            .map(|session| session.crate_dir().join("src/lib.rs")),
    );
    let interpreter = EvcxrInterpreter {
        interrupter: Arc::new(EvcxrInterrupter {
            process,
            running: AtomicBool::new(false),
            interrupted: AtomicBool::new(false),
        }),
        evaluator,
        stack_note,
        stack_location,
        pump: OutputPump::start(outputs, build_lines, locations.clone()),
        locations,
        seed_file,
        provenance_file,
        training_record_file,
        probe_flag,
        typing: Default::default(),
        warm_up_pending,
        deferred_std,
        stack_index: SessionIndex::new(stack_target.as_deref()),
        stack_session,
        stack_crates: Vec::new(),
    };
    tracing::info!("evcxr is ready");
    Ok(Box::new(interpreter))
}

/// Code a student's first cells resemble, in std's terms (rust-analyzer sees std only):
/// analysing it once loads what evcxr asks rust-analyzer for every top-level variable's type,
/// so the first real cell does not pay for that. Nothing is compiled or run. Done while the
/// kernel is idle, so a notebook run top to bottom does not wait for it.
pub(super) const WARM_UP: &str = "let values: Vec<f64> = vec![1.0, 2.0];\n\
    let names = std::collections::HashMap::<String, usize>::new();\n\
    let total = values.iter().sum::<f64>();\n\
    values.";

pub(super) fn warm_up_analysis(context: &mut CommandContext) {
    let started = std::time::Instant::now();
    match context.completions(WARM_UP, WARM_UP.len()) {
        Ok(found) => tracing::info!(
            "analysis warmed up in {:.1?} ({} completions)",
            started.elapsed(),
            found.completions.len()
        ),
        Err(error) => tracing::warn!("rust-analyzer's warm-up failed: {error}"),
    }
}

/// evcxr's timing of an evaluation, for the log: `Final compile 270ms, Execution 1ms`.
pub fn describe_phases(outputs: &evcxr::EvalOutputs) -> String {
    let phases: Vec<String> = outputs
        .phases
        .iter()
        .map(|p| format!("{} {:.0?}", p.name, p.duration))
        .collect();
    phases.join(", ")
}

/// The text `:stack` shows (the lock is read only when asked).
pub(super) fn stack_summary(location: Option<&str>) -> String {
    let mut text = String::from("The preloaded linfa stack (pinned by kernel/stack/Cargo.lock):\n");
    for pinned in repronote_stack::manifest::pinned_versions() {
        text.push_str(&format!("  {} {}\n", pinned.name, pinned.version));
    }
    text.push_str(
        location.unwrap_or("Not available in this kernel (see the first cell's message)."),
    );
    text
}

pub(super) fn run_prelude(context: &mut EvalContext, code: &str) -> Result<(), StartError> {
    context.eval(code).map(|_| ()).map_err(StartError::Prelude)
}

pub(super) fn stack_unavailable(reason: &str) -> String {
    format!(
        "repronote: the preloaded linfa stack is not available in this kernel: {reason}\n\
         Cells run without it; `:dep` lines still work.\n"
    )
}
