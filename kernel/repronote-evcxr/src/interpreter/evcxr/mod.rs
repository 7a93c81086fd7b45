//! The real interpreter: Rust cells compiled and run by the `evcxr` crate.
//!
//! evcxr splits a cell into items and statements, builds a crate holding them, and runs it in
//! the evaluation process (this binary, re-executed; see [`crate::evaluation_process`]). This
//! module adapts it to the [`Interpreter`] contract:
//!
//! - a pump thread turns the evaluation process's output lines into [`CellOutput`]s for the cell
//!   that is running, including display markers written by the prelude, and recognises panics;
//! - errors become [`CellError`]s a person can act on: compiler messages point at the cell's own
//!   lines, a panic names its message, a crashed or interrupted process says what was lost;
//! - interrupting kills the evaluation process (compiled Rust cannot be stopped politely);
//!   evcxr starts a new one and the prelude's flusher is started again.

mod deferred_std;
mod errors;
mod interrupt;
mod kernel_magic;
mod literal_bindings;
mod locations;
mod output_pump;
mod public_types;
mod session_files;
mod startup;
mod typing;

use std::path::PathBuf;
use std::sync::Arc;

use evcxr::{CommandContext, EvalCallbacks, EvalContext};

use super::stack_completion;
use super::stack_index::SessionIndex;
use super::{
    Cell, CellError, CellErrorKind, Completions, Executed, Interpreter, Interrupt, MimeBundle,
    Outputs, StreamName, byte_offset, code_point_offset, plain_text,
};
use crate::prelude;
use errors::{compile_error, interrupted_error, process_died_error};
use interrupt::EvcxrInterrupter;
use kernel_magic::{KERNEL_HELP, KernelMagic};
use output_pump::{OutputPump, bundle};
pub(crate) use startup::describe_phases;
use startup::{stack_summary, warm_up_analysis};
use typing::{Probe, RunFailure, run_with_types};

pub use deferred_std::SESSION_ENV as DEFERRED_STD_SESSION_ENV;
pub use session_files::{SessionFiles, SessionFilesGuard};
pub use startup::{StackSetup, StartError, start};

/// Where evcxr stands in this kernel.
enum Evaluator {
    /// evcxr with its commands: cells run.
    Ready(CommandContext),
    /// evcxr before the stack is added, with what is needed to build it: the first cell builds
    /// it, where cargo's progress can be shown. (The stack is added through evcxr's state,
    /// which the command layer no longer exposes once it wraps the context.)
    AwaitingStack {
        context: EvalContext,
        setup: StackSetup,
    },
    /// Between the two, only while the stack is being added; a panic there leaves it so.
    Stopped,
}

impl Evaluator {
    fn ready(&mut self) -> Option<&mut CommandContext> {
        match self {
            Evaluator::Ready(context) => Some(context),
            Evaluator::AwaitingStack { .. } | Evaluator::Stopped => None,
        }
    }
}

struct EvcxrInterpreter {
    evaluator: Evaluator,
    /// Said once, at the first cell: why the stack is missing from this kernel.
    stack_note: Option<String>,
    /// Where the stack's build lives, for `:stack`; `None` when the kernel runs without it.
    stack_location: Option<String>,
    pump: OutputPump,
    /// Where the running cell's lines are in evcxr's generated file (shared with the pump).
    locations: locations::CellLocations,
    interrupter: Arc<EvcxrInterrupter>,
    /// Where the running cell's seed is written for the prelude's `cell_seed()`.
    seed_file: PathBuf,
    /// Where the session's provenance is written before each cell, for linfa-export.
    provenance_file: PathBuf,
    /// Where the session's training record is written before each cell, for linfa-export.
    training_record_file: PathBuf,
    /// Present while a type probe compiles (see [`crate::rustc_wrapper`]).
    probe_flag: PathBuf,
    /// Cells the kernel had to annotate, by their source: what ran.
    typing: typing::TypingMemory,
    /// Whether rust-analyzer's analysis still has to be warmed up (done when the kernel is idle).
    warm_up_pending: bool,
    /// The standard library rust-analyzer has not loaded yet: loaded when the kernel is idle,
    /// or at the first completion or inspection.
    deferred_std: Option<deferred_std::DeferredStd>,
    /// The stack's index: completion and inspection of its items (rust-analyzer sees std only),
    /// and the public aliases of types rustc writes by private paths.
    stack_index: SessionIndex,
    /// The session folder holding the stack, when the kernel has it: its lock is written
    /// before a `:dep` line, so cargo resolves the new crate with the stack's versions.
    stack_session: Option<Arc<repronote_stack::Session>>,
    /// The stack's crate names (read from its recorded flags), which type probes import.
    stack_crates: Vec<String>,
}

impl EvcxrInterpreter {
    /// Starts the flusher in the new evaluation process. It goes to evcxr directly, not through
    /// `execute`: if this evaluation also killed the process, `execute` would restart it again,
    /// and the two would recurse.
    fn after_process_restart(&mut self) {
        // The variables are gone, and with them what was kept of their literals.
        self.typing.literals = Default::default();
        let Some(context) = self.evaluator.ready() else {
            return;
        };
        if let Err(error) = context.execute(prelude::START_FLUSHER) {
            tracing::warn!("output flusher did not restart: {error}");
        }
    }

    /// Gives rust-analyzer the standard library, if it does not have it yet (see
    /// [`deferred_std`]), warming its analysis up with it. A completion or inspection that
    /// waits for it costs no more this way: the warm-up is what the request would analyse.
    fn load_deferred_std(&mut self) {
        let Some(context) = self.evaluator.ready() else {
            return;
        };
        let Some(deferred) = self.deferred_std.take() else {
            return;
        };
        self.warm_up_pending = false;
        if let Err(error) = deferred.load(context, warm_up_analysis) {
            tracing::warn!("completion of std is off: {error}");
        }
    }

    /// Builds the stack if this kernel found none prebuilt: in the first cell, so cargo's
    /// progress shows under it, then publishes it for later kernels.
    fn ensure_stack(&mut self, outputs: &Outputs) -> Result<(), CellError> {
        if let Some(note) = self.stack_note.take() {
            outputs.stream(StreamName::Stderr, note);
        }
        if !matches!(self.evaluator, Evaluator::AwaitingStack { .. }) {
            return Ok(());
        }
        let Evaluator::AwaitingStack {
            context: mut eval_context,
            setup,
        } = std::mem::replace(&mut self.evaluator, Evaluator::Stopped)
        else {
            unreachable!("checked just above");
        };
        if let Some(why) = setup.plan.why_building() {
            outputs.stream(StreamName::Stderr, why);
        }
        let started = std::time::Instant::now();
        // The prelude without the stack ran at start; the stack's own prelude (`rng()`, the
        // charts and tables) is imported with the build, as in a kernel that found it prebuilt.
        let loaded = setup
            .plan
            .load(&mut eval_context, &setup.session, prelude::STACK_IMPORT);
        if loaded.is_ok() {
            setup.plan.fill_check_outputs(&mut eval_context);
        }
        self.evaluator = Evaluator::Ready(CommandContext::with_eval_context(eval_context));
        match loaded {
            Ok(_) => {
                let published = setup.plan.publish_if_built(&setup.session);
                let after = match published {
                    Ok(()) => "later kernels start with it".to_owned(),
                    Err(error) => format!("it could not be saved for later kernels: {error}"),
                };
                outputs.stream(
                    StreamName::Stderr,
                    format!(
                        "repronote: the linfa stack is built ({:.0} s); {after}.\n",
                        started.elapsed().as_secs_f64()
                    ),
                );
                Ok(())
            }
            Err(error) => Err(CellError {
                kind: CellErrorKind::StackBuildFailed,
                evalue: error.to_string(),
                traceback: vec![
                    format!("The preloaded linfa stack could not be built: {error}"),
                    "Cells run without it now. Run `repronote prebuild` in a terminal to see \
                     cargo's full output, then restart the kernel."
                        .to_owned(),
                ],
            }),
        }
    }

    fn help_page(&mut self) -> Result<Executed, CellError> {
        let evcxr_help = self
            .evaluator
            .ready()
            .and_then(|context| context.execute(":help").ok())
            .and_then(|out| out.get("text/plain").map(str::to_owned))
            .unwrap_or_default();
        Ok(Executed {
            result: None,
            page: Some(plain_text(format!("{KERNEL_HELP}{evcxr_help}"))),
        })
    }
}

impl Interpreter for EvcxrInterpreter {
    fn execute(&mut self, cell: &Cell, outputs: &Outputs) -> Result<Executed, CellError> {
        let code = cell.code.as_str();
        match KernelMagic::parse(code) {
            Some(KernelMagic::Help) => return self.help_page(),
            Some(KernelMagic::Stack) => {
                return Ok(Executed {
                    result: Some(plain_text(stack_summary(self.stack_location.as_deref()))),
                    page: None,
                });
            }
            None => {}
        }
        let handed = [
            (
                &self.seed_file,
                cell.seed.map(|seed| seed.to_string()),
                "its seed",
            ),
            (
                &self.provenance_file,
                cell.provenance.clone(),
                "the session's provenance",
            ),
            (
                &self.training_record_file,
                cell.training_record.clone(),
                "the session's training record",
            ),
        ];
        for (file, content, what) in handed {
            if let Some(content) = content
                && let Err(error) = std::fs::write(file, content)
            {
                return Err(CellError {
                    kind: CellErrorKind::KernelError,
                    evalue: format!("cannot hand the cell {what}: {error}"),
                    traceback: vec![format!("writing {} failed: {error}", file.display())],
                });
            }
        }
        self.pump.attach(outputs.clone());
        if let Err(error) = self.ensure_stack(outputs) {
            self.pump.finish();
            return Err(error);
        }
        if self.stack_crates.is_empty()
            && let Some(session) = &self.stack_session
        {
            self.stack_crates = crate::stack_externs::crate_names(&session.target_dir());
        }
        let Some(context) = self.evaluator.ready() else {
            self.pump.finish();
            return Err(CellError {
                kind: CellErrorKind::KernelError,
                evalue: "evcxr is not running".to_owned(),
                traceback: vec!["Restart the kernel.".to_owned()],
            });
        };
        if let Some(session) = &self.stack_session
            && code
                .lines()
                .any(|line| line.trim_start().starts_with(":dep"))
            && let Err(error) = session.write_lock(repronote_stack::manifest::LOCK)
        {
            tracing::warn!("the stack's lock was not written before `:dep`: {error}");
        }
        self.interrupter.begin();
        let mut callbacks = EvalCallbacks {
            input_reader: &|request| {
                outputs
                    .read_input(&request.prompt, request.is_password)
                    .unwrap_or_default()
            },
        };
        // The prelude's trait: a dependency's item with the stack, the cells' own without it.
        let alias_trait = if self.stack_session.is_some() {
            "::repronote_prelude::ResultAliasError"
        } else {
            "ResultAliasError"
        };
        let with_gen = super::reserved_words::raw_gen(code);
        let rewritten = super::result_alias::rewrite_result_imports(&with_gen, alias_trait);
        let mut probe = Probe {
            flag: &self.probe_flag,
            stack_crates: &self.stack_crates,
            index: &mut self.stack_index,
        };
        let mut run = run_with_types(
            context,
            &rewritten,
            &mut callbacks,
            &mut probe,
            &mut self.typing,
            &self.locations,
        );
        // The alias had two parameters after all (`linfa_linear::Result<T, F>`): evcxr's code
        // works with it as it is, so the cell runs as written (nothing of it ran).
        if rewritten != with_gen
            && let Err(RunFailure::Evcxr {
                error: evcxr::Error::CompilationErrors(errors),
                ..
            }) = &run
            && super::result_alias::was_not_one_parameter(errors)
        {
            run = run_with_types(
                context,
                &with_gen,
                &mut callbacks,
                &mut probe,
                &mut self.typing,
                &self.locations,
            );
        }
        let interrupted = self.interrupter.end();
        let panic = self.pump.finish();
        let (result, code) = match run {
            Ok(outputs) => (Ok(outputs), code.to_owned()),
            Err(RunFailure::Evcxr { error, code }) => (Err(error), code),
            Err(RunFailure::Untypable(error)) => return Err(error),
        };
        let code = code.as_str();
        match result {
            Ok(_) if panic.is_some() => Err(panic.unwrap_or_default().into_cell_error()),
            Ok(outputs) => {
                tracing::debug!("cell phases: {}", describe_phases(&outputs));
                Ok(Executed {
                    result: bundle(outputs.content_by_mime_type),
                    page: None,
                })
            }
            Err(evcxr::Error::SubprocessTerminated(message)) => {
                self.after_process_restart();
                Err(if interrupted {
                    interrupted_error()
                } else {
                    process_died_error(&message)
                })
            }
            Err(evcxr::Error::CompilationErrors(errors)) => Err(compile_error(code, &errors)),
            Err(other) => Err(CellError {
                kind: CellErrorKind::EvaluationError,
                evalue: other.to_string(),
                traceback: other.to_string().lines().map(str::to_owned).collect(),
            }),
        }
    }

    fn complete(&mut self, code: &str, cursor_pos: usize) -> Completions {
        let at = byte_offset(code, cursor_pos);
        self.load_deferred_std();
        let Evaluator::Ready(context) = &mut self.evaluator else {
            return Completions {
                matches: Vec::new(),
                cursor_start: cursor_pos,
                cursor_end: cursor_pos,
            };
        };
        if let Some(found) = stack_completion::complete(
            &mut self.stack_index,
            code,
            at,
            context.variables_and_types(),
        ) {
            return Completions {
                matches: found.names,
                cursor_start: code_point_offset(code, found.start),
                cursor_end: code_point_offset(code, found.end),
            };
        }
        match context.completions(code, at) {
            Ok(found) => Completions {
                matches: found.completions.into_iter().map(|c| c.code).collect(),
                cursor_start: code_point_offset(code, found.start_offset),
                cursor_end: code_point_offset(code, found.end_offset),
            },
            Err(error) => {
                tracing::debug!("no completions: {error}");
                Completions {
                    matches: Vec::new(),
                    cursor_start: cursor_pos,
                    cursor_end: cursor_pos,
                }
            }
        }
    }

    fn inspect(&mut self, code: &str, cursor_pos: usize, _detail_level: u8) -> Option<MimeBundle> {
        let at = byte_offset(code, cursor_pos);
        if let Some(text) = stack_completion::inspect(&mut self.stack_index, code, at) {
            return Some(plain_text(text));
        }
        self.load_deferred_std();
        let (plain, html) = self.evaluator.ready()?.hover_at(code, at).ok()?;
        if plain.trim().is_empty() {
            return None;
        }
        let mut data = plain_text(plain);
        data.insert("text/html".to_owned(), html.into());
        Some(data)
    }

    fn interrupter(&self) -> Arc<dyn Interrupt> {
        self.interrupter.clone()
    }

    fn idle(&mut self) {
        self.load_deferred_std();
        if std::mem::take(&mut self.warm_up_pending)
            && let Some(context) = self.evaluator.ready()
        {
            warm_up_analysis(context);
        }
    }
}
