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

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use evcxr::{CommandContext, EvalCallbacks, EvalContext, EvalContextOutputs};

use super::evcxr_stack::StackPlan;
use super::type_probe;
use crate::stack::Session;

use super::{
    Cell, CellError, CellOutput, Completions, Executed, Interpreter, Interrupt, MimeBundle,
    Outputs, StreamName, byte_offset, code_point_offset, plain_text,
};
use crate::output_protocol::{ChildLine, parse_line};
use crate::prelude;

/// What the kernel says about itself on `:help`, before evcxr's command list.
const KERNEL_HELP: &str = "\
linfa-kernel: Rust cells, compiled and run by evcxr.

Rich output from a cell:
  display_html(\"<b>hi</b>\")                 HTML
  display_svg(&svg) / display_markdown(md)  an SVG image / Markdown
  display(&[(\"text/plain\", \"x\")])           any MIME bundle
  let h = display_updatable(&[...]);        a display to update in place
  h.update(&[(\"text/plain\", \"50%\")])
  clear_output(true)                        clear the cell's output

A cell's final expression without `;` is shown as its result.

The linfa stack (linfa and its algorithm crates, linfa-datasets, ndarray, rand, rand_xoshiro,
plotters, serde_json, linfa-export) is preloaded: no `:dep` needed. `:stack` lists the pinned
versions.

Seeding: every session has a seed (42 until `:seed N`; `:seed` shows it). Each cell gets its own
seed derived from it: cell_seed(). Calls that draw from the operating system (thread_rng,
rand::random, OsRng, from_entropy, ...) are refused; `:allow_entropy` allows them and marks the
session non-reproducible.
Cells compile without crate-local ThinLTO (fast re-compiles); for heavy generic code that
must run fast, start the kernel with LINFA_KERNEL_CELL_LTO=thin.
Interrupt stops a running cell by restarting the evaluation process: variables are lost, items
(functions, types, `use`) are kept. A panic keeps the variables of earlier cells.

evcxr commands:
";

/// The preloaded stack for this kernel: what to load and the session folder to load it into.
#[derive(Debug)]
pub struct StackSetup {
    pub plan: StackPlan,
    pub session: Arc<Session>,
}

/// Starts evcxr with the prelude evaluated; runs on the interpreter thread. `flush_fifo` is
/// the path of a [`FlushFifo`], which the caller keeps (and removes) whatever happens here;
/// `build_lines` carries cargo's progress lines (see [`crate::build_progress`]).
///
/// With a prebuilt stack the session starts from it and the stack is loaded here, in the same
/// build as the prelude. Without one, the stack is built by the first cell, where cargo's
/// progress can be shown; if the stack cannot be used at all (`stack` is an error), cells run
/// without it and the first one says why.
pub fn start(
    flush_fifo: &Path,
    build_lines: crossbeam_channel::Receiver<String>,
    stack: Result<StackSetup, String>,
) -> Result<Box<dyn Interpreter>, String> {
    let executable =
        std::env::current_exe().map_err(|e| format!("cannot find the kernel binary: {e}"))?;
    let cell_lto = std::env::var(crate::rustc_wrapper::CELL_LTO_ENV).ok();
    crate::rustc_wrapper::cell_lto_flag(cell_lto.as_deref())?;
    let seed_file = FlushFifo::seed_file_beside(flush_fifo);
    let mut command = crate::evaluation_process::command()
        .map_err(|e| format!("cannot find the kernel binary: {e}"))?;
    command.env(prelude::FLUSH_FIFO_ENV, flush_fifo);
    command.env(prelude::CELL_SEED_FILE_ENV, &seed_file);
    let provenance_file = FlushFifo::provenance_file_beside(flush_fifo);
    command.env(crate::provenance::PROVENANCE_FILE_ENV, &provenance_file);

    let stack_location = stack.as_ref().ok().map(|setup| {
        format!(
            "Build key {} in {}",
            setup.plan.key,
            setup.plan.cache.root().display()
        )
    });
    let mut stack_note = None;
    let stack = match stack {
        Ok(setup) => match setup.plan.start_session(&setup.session) {
            Ok(prebuilt) => Some((setup, prebuilt)),
            Err(error) => {
                stack_note = Some(stack_unavailable(&error.to_string()));
                None
            }
        },
        Err(message) => {
            stack_note = Some(stack_unavailable(&message));
            None
        }
    };

    let (mut eval_context, outputs) =
        EvalContext::with_subprocess_command(command).map_err(|e| e.to_string())?;
    let process = eval_context.process_handle();
    let probe_flag = FlushFifo::probe_flag_beside(flush_fifo);
    let mut state = eval_context.state();
    state.set_build_env("RUSTC_WORKSPACE_WRAPPER", &executable.to_string_lossy());
    state.set_build_env(
        crate::rustc_wrapper::WRAPPER_ENV,
        &probe_flag.to_string_lossy(),
    );
    eval_context
        .eval_with_state("", state)
        .map_err(|e| format!("cannot configure evcxr's builds: {e}"))?;
    // One compile for the prelude and the stack: every evaluation costs a crate build.
    let prelude_code = format!(
        "{}\n{}",
        prelude::source_without_stack(),
        prelude::START_FLUSHER
    );
    let stack_prelude = format!("{}\n{}", prelude::STACK_IMPORT, prelude::START_FLUSHER);
    let mut pending = None;
    match stack {
        Some((setup, true)) => {
            if let Err(error) = setup
                .plan
                .load(&mut eval_context, &setup.session, &stack_prelude)
            {
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
    let (context, unloaded) = match pending {
        Some(setup) => (None, Some((eval_context, setup))),
        None => (Some(CommandContext::with_eval_context(eval_context)), None),
    };
    let interpreter = EvcxrInterpreter {
        interrupter: Arc::new(EvcxrInterrupter {
            process,
            running: AtomicBool::new(false),
            interrupted: AtomicBool::new(false),
        }),
        context,
        unloaded,
        stack_note,
        stack_location,
        pump: OutputPump::start(outputs, build_lines),
        seed_file,
        provenance_file,
        probe_flag,
        typed_cells: HashMap::new(),
        warm_up_pending,
    };
    tracing::info!("evcxr is ready");
    Ok(Box::new(interpreter))
}

/// Code a student's first cells resemble: analysing it once loads linfa's crates into
/// rust-analyzer (which evcxr asks for every top-level variable's type; about 4 s here), so the
/// first real cell does not pay for that. Nothing is compiled or run. Done while the kernel is
/// idle, so a notebook run top to bottom does not wait for it.
const WARM_UP: &str = "use linfa::prelude::*;\n\
    let data = linfa_datasets::iris();\n\
    let model = linfa_clustering::KMeans::params(3).fit(&data).unwrap();\n\
    let tree = linfa_trees::DecisionTree::params().fit(&data).unwrap();\n\
    model.";

fn warm_up_analysis(context: &mut CommandContext) {
    let started = std::time::Instant::now();
    let found = context
        .completions(WARM_UP, WARM_UP.len())
        .map(|c| c.completions.len())
        .unwrap_or_default();
    tracing::info!(
        "analysis warmed up in {:.1?} ({found} completions)",
        started.elapsed()
    );
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
fn stack_summary(location: Option<&str>) -> String {
    let mut text = String::from("The preloaded linfa stack (pinned by kernel/stack/Cargo.lock):\n");
    for pinned in crate::stack::manifest::pinned_versions() {
        text.push_str(&format!("  {} {}\n", pinned.name, pinned.version));
    }
    text.push_str(
        location.unwrap_or("Not available in this kernel (see the first cell's message)."),
    );
    text
}

fn run_prelude(context: &mut EvalContext, code: &str) -> Result<(), String> {
    context
        .eval(code)
        .map(|_| ())
        .map_err(|e| format!("the cell prelude did not compile: {e}"))
}

fn stack_unavailable(reason: &str) -> String {
    format!(
        "linfa-kernel: the preloaded linfa stack is not available in this kernel: {reason}\n\
         Cells run without it; `:dep` lines still work.\n"
    )
}

struct EvcxrInterpreter {
    /// evcxr with its commands; `None` only while the stack waits to be built by the first cell.
    context: Option<CommandContext>,
    /// evcxr before the stack is added (the stack is added through evcxr's state, which the
    /// command layer no longer exposes), with what is needed to build it.
    unloaded: Option<(EvalContext, StackSetup)>,
    /// Said once, at the first cell: why the stack is missing from this kernel.
    stack_note: Option<String>,
    /// Where the stack's build lives, for `:stack`; `None` when the kernel runs without it.
    stack_location: Option<String>,
    pump: OutputPump,
    interrupter: Arc<EvcxrInterrupter>,
    /// Where the running cell's seed is written for the prelude's `cell_seed()`.
    seed_file: PathBuf,
    /// Where the session's provenance is written before each cell, for linfa-export.
    provenance_file: PathBuf,
    /// Present while a type probe compiles (see [`crate::rustc_wrapper`]).
    probe_flag: PathBuf,
    /// Cells the kernel had to annotate, by their source: what ran.
    typed_cells: HashMap<String, String>,
    /// Whether rust-analyzer still has to load the stack (done when the kernel is idle).
    warm_up_pending: bool,
}

impl EvcxrInterpreter {
    /// Starts the flusher in the new evaluation process. It goes to evcxr directly, not through
    /// `execute`: if this evaluation also killed the process, `execute` would restart it again,
    /// and the two would recurse.
    fn after_process_restart(&mut self) {
        let Some(context) = self.context.as_mut() else {
            return;
        };
        if let Err(error) = context.execute(prelude::START_FLUSHER) {
            tracing::warn!("output flusher did not restart: {error}");
        }
    }

    /// Builds the stack if this kernel found none prebuilt: in the first cell, so cargo's
    /// progress shows under it, then publishes it for later kernels.
    fn ensure_stack(&mut self, outputs: &Outputs) -> Result<(), CellError> {
        if let Some(note) = self.stack_note.take() {
            outputs.stream(StreamName::Stderr, note);
        }
        let Some((mut eval_context, setup)) = self.unloaded.take() else {
            return Ok(());
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
        self.context = Some(CommandContext::with_eval_context(eval_context));
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
                        "linfa-kernel: the linfa stack is built ({:.0} s); {after}.\n",
                        started.elapsed().as_secs_f64()
                    ),
                );
                Ok(())
            }
            Err(error) => Err(CellError {
                ename: "StackBuildFailed".to_owned(),
                evalue: error.to_string(),
                traceback: vec![
                    format!("The preloaded linfa stack could not be built: {error}"),
                    "Cells run without it now. Run `linfa-kernel prebuild` in a terminal to see \
                     cargo's full output, then restart the kernel."
                        .to_owned(),
                ],
            }),
        }
    }

    fn help_page(&mut self) -> Result<Executed, CellError> {
        let evcxr_help = self
            .context
            .as_mut()
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
        if code.trim() == ":help" {
            return self.help_page();
        }
        if code.trim() == ":stack" {
            return Ok(Executed {
                result: Some(plain_text(stack_summary(self.stack_location.as_deref()))),
                page: None,
            });
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
        ];
        for (file, content, what) in handed {
            if let Some(content) = content
                && let Err(error) = std::fs::write(file, content)
            {
                return Err(CellError {
                    ename: "KernelError".to_owned(),
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
        let Some(context) = self.context.as_mut() else {
            self.pump.finish();
            return Err(CellError {
                ename: "KernelError".to_owned(),
                evalue: "evcxr is not running".to_owned(),
                traceback: vec!["Restart the kernel.".to_owned()],
            });
        };
        self.interrupter.begin();
        let mut callbacks = EvalCallbacks {
            input_reader: &|request| {
                outputs
                    .read_input(&request.prompt, request.is_password)
                    .unwrap_or_default()
            },
        };
        let run = run_with_types(
            context,
            code,
            &mut callbacks,
            &self.probe_flag,
            &mut self.typed_cells,
        );
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
                ename: "EvaluationError".to_owned(),
                evalue: other.to_string(),
                traceback: other.to_string().lines().map(str::to_owned).collect(),
            }),
        }
    }

    fn complete(&mut self, code: &str, cursor_pos: usize) -> Completions {
        let at = byte_offset(code, cursor_pos);
        let Some(context) = self.context.as_mut() else {
            return Completions {
                matches: Vec::new(),
                cursor_start: cursor_pos,
                cursor_end: cursor_pos,
            };
        };
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
        let (plain, html) = self.context.as_mut()?.hover_at(code, at).ok()?;
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
        if std::mem::take(&mut self.warm_up_pending)
            && let Some(context) = self.context.as_mut()
        {
            warm_up_analysis(context);
        }
    }
}

/// How a cell failed, with the code that was last compiled (the cell, perhaps annotated).
enum RunFailure {
    Evcxr {
        error: evcxr::Error,
        code: String,
    },
    /// A top-level binding whose type cannot be kept: what to tell the user.
    Untypable(CellError),
}

/// The most bindings of one cell the kernel types for evcxr before giving up.
const MAX_TYPED_BINDINGS: usize = 8;

/// Runs `code`; when evcxr cannot type a top-level binding, asks rustc (see [`type_probe`]) and
/// runs the cell again with the annotation added.
fn run_with_types(
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
fn probe_type(context: &mut CommandContext, probe: &str, probe_flag: &Path) -> Option<String> {
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

fn untypable(name: &str, ty: Option<&str>, why: Option<&str>) -> CellError {
    let mut traceback = vec![format!(
        "The variable `{name}` cannot be kept for later cells: {}.",
        why.unwrap_or("neither evcxr nor rustc could name its type")
    )];
    match ty {
        Some(ty) => traceback.push(format!("rustc says its type is `{ty}`.")),
        None => traceback.push(format!(
            "Give it a type: `let {name}: TheType = ...;`, or wrap the cell in braces \
             `{{ ... }}` to keep it inside this cell."
        )),
    }
    CellError {
        ename: "UnpersistableVariable".to_owned(),
        evalue: traceback[0].clone(),
        traceback,
    }
}

/// The cell's result as a bundle; a unit value `()` is no result at all, as Python's `None`.
fn bundle(content: std::collections::HashMap<String, String>) -> Option<MimeBundle> {
    let unit_only = content.len() == 1 && content.get("text/plain").is_some_and(|t| t == "()");
    let data: MimeBundle = content
        .into_iter()
        .map(|(mime, text)| (mime, serde_json::Value::String(text)))
        .collect();
    (!data.is_empty() && !unit_only).then_some(data)
}

/// Kills the evaluation process, but only while a cell is running: between cells an
/// interrupt has nothing to stop and must not cost the user their variables.
struct EvcxrInterrupter {
    process: Arc<Mutex<std::process::Child>>,
    running: AtomicBool,
    interrupted: AtomicBool,
}

impl EvcxrInterrupter {
    fn begin(&self) {
        self.interrupted.store(false, Ordering::SeqCst);
        self.running.store(true, Ordering::SeqCst);
    }

    /// Returns whether the cell that just ended was interrupted.
    fn end(&self) -> bool {
        self.running.store(false, Ordering::SeqCst);
        self.interrupted.swap(false, Ordering::SeqCst)
    }
}

impl Interrupt for EvcxrInterrupter {
    fn interrupt(&self) {
        if !self.running.load(Ordering::SeqCst) {
            return;
        }
        self.interrupted.store(true, Ordering::SeqCst);
        let mut process = self.process.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(error) = process.kill() {
            tracing::warn!("could not stop the evaluation process: {error}");
        }
    }
}

fn interrupted_error() -> CellError {
    CellError {
        ename: "Interrupted".to_owned(),
        evalue: "the cell was interrupted".to_owned(),
        traceback: vec![
            "Interrupted: the evaluation process was stopped and started again.".to_owned(),
            "Variables from earlier cells are gone; functions, types and `use` items are kept."
                .to_owned(),
            "Re-run the cells that define the variables you need.".to_owned(),
        ],
    }
}

fn process_died_error(message: &str) -> CellError {
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
        ename: "EvaluationProcessDied".to_owned(),
        evalue: status,
        traceback,
    }
}

/// Renders compiler errors against the cell's own lines, the way rustc would show a file.
fn compile_error(code: &str, errors: &[evcxr::CompilationError]) -> CellError {
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
        ename: super::COMPILATION_ERROR.to_owned(),
        evalue: errors
            .first()
            .map(|e| e.message())
            .unwrap_or_else(|| "the cell did not compile".to_owned()),
        traceback,
    }
}

/// The notebook's note for rustc's "type annotations needed" on a top-level binding.
fn inference_note(
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
struct PanicReport {
    /// The `thread '...' panicked at ...` line; its location is in generated code.
    header: String,
    message: Vec<String>,
}

impl PanicReport {
    fn into_cell_error(self) -> CellError {
        let evalue = if self.message.is_empty() {
            "the cell panicked".to_owned()
        } else {
            self.message.join("\n")
        };
        let mut traceback = vec!["panic: the cell panicked".to_owned()];
        traceback.extend(self.message);
        traceback.push(
            "Variables from earlier cells are kept; variables this cell defined are not."
                .to_owned(),
        );
        CellError {
            ename: "panic".to_owned(),
            evalue,
            traceback,
        }
    }
}

enum PumpCommand {
    Attach(Outputs),
    Finish(crossbeam_channel::Sender<Option<PanicReport>>),
}

/// Moves the evaluation process's output to the cell that is running.
struct OutputPump {
    commands: crossbeam_channel::Sender<PumpCommand>,
}

impl OutputPump {
    fn start(
        outputs: EvalContextOutputs,
        build_lines: crossbeam_channel::Receiver<String>,
    ) -> Self {
        let (commands, command_queue) = crossbeam_channel::unbounded();
        std::thread::Builder::new()
            .name("output-pump".to_owned())
            .spawn(move || PumpState::default().run(outputs, build_lines, command_queue))
            .expect("the OS can start a thread");
        Self { commands }
    }

    fn attach(&self, outputs: Outputs) {
        let _ = self.commands.send(PumpCommand::Attach(outputs));
    }

    /// Waits until every line of the finished cell was delivered; returns its panic, if any.
    fn finish(&self) -> Option<PanicReport> {
        let (done, finished) = crossbeam_channel::bounded(1);
        self.commands.send(PumpCommand::Finish(done)).ok()?;
        finished.recv().ok().flatten()
    }
}

#[derive(Default)]
struct PumpState {
    target: Option<Outputs>,
    /// stderr lines of a panic being printed, held back from the stream.
    capture: Option<PanicReport>,
    in_backtrace: bool,
    panic: Option<PanicReport>,
}

impl PumpState {
    fn run(
        mut self,
        outputs: EvalContextOutputs,
        mut build_lines: crossbeam_channel::Receiver<String>,
        commands: crossbeam_channel::Receiver<PumpCommand>,
    ) {
        loop {
            crossbeam_channel::select! {
                recv(build_lines) -> line => match line {
                    Ok(line) => match &self.target {
                        Some(target) => target.stream(StreamName::Stderr, format!("{line}\n")),
                        None => tracing::info!("{line}"),
                    },
                    // The capture ended: stop listening rather than spin on a closed channel.
                    Err(_) => build_lines = crossbeam_channel::never(),
                },
                recv(outputs.stdout) -> line => match line {
                    Ok(line) => self.handle(parse_line(line)),
                    Err(_) => return,
                },
                recv(outputs.stderr) -> line => match line {
                    Ok(line) => self.stderr(format!("{line}\n")),
                    Err(_) => return,
                },
                recv(commands) -> command => match command {
                    Ok(PumpCommand::Attach(target)) => {
                        self.target = Some(target);
                        self.panic = None;
                    }
                    Ok(PumpCommand::Finish(done)) => {
                        while let Ok(line) = outputs.stdout.try_recv() {
                            self.handle(parse_line(line));
                        }
                        while let Ok(line) = outputs.stderr.try_recv() {
                            self.stderr(format!("{line}\n"));
                        }
                        if let Some(unfinished) = self.capture.take() {
                            // A panic outside the cell's own thread: show what it printed.
                            let text = std::iter::once(unfinished.header)
                                .chain(unfinished.message)
                                .collect::<Vec<_>>()
                                .join("\n");
                            self.emit(CellOutput::Stream { name: StreamName::Stderr, text: text + "\n" });
                        }
                        let _ = done.send(self.panic.take());
                        self.target = None;
                    }
                    Err(_) => return,
                },
            }
        }
    }

    fn emit(&self, output: CellOutput) {
        match &self.target {
            Some(target) => target.emit(output),
            None => tracing::debug!("output outside of a cell: {output:?}"),
        }
    }

    fn handle(&mut self, line: ChildLine) {
        let stdout = |text| CellOutput::Stream {
            name: StreamName::Stdout,
            text,
        };
        match line {
            ChildLine::Stdout(text) => self.emit(stdout(text + "\n")),
            ChildLine::PartialStdout(text) => self.emit(stdout(text)),
            ChildLine::Stderr(text) => self.stderr(text),
            ChildLine::Display { display_id, data } => {
                self.emit(CellOutput::Display { data, display_id })
            }
            ChildLine::UpdateDisplay { display_id, data } => {
                self.emit(CellOutput::UpdateDisplay { data, display_id })
            }
            ChildLine::ClearOutput { wait } => self.emit(CellOutput::ClearOutput { wait }),
            ChildLine::Panic => self.panic = Some(self.capture.take().unwrap_or_default()),
            ChildLine::Unknown(marker) => tracing::debug!("unknown output marker: {marker}"),
        }
    }

    /// Streams stderr text, except a panic report, which becomes the cell's error instead.
    fn stderr(&mut self, text: String) {
        let mut passthrough = String::new();
        for line in text.split_inclusive('\n') {
            let bare = line.trim_end_matches('\n');
            if bare.starts_with("thread '") && bare.contains(" panicked at ") {
                // std separates the report from earlier output with a blank line; it belongs
                // to the report.
                if passthrough.ends_with("\n\n") || passthrough == "\n" {
                    passthrough.pop();
                }
                self.capture = Some(PanicReport {
                    header: bare.to_owned(),
                    message: Vec::new(),
                });
                self.in_backtrace = false;
            } else if let Some(capture) = &mut self.capture {
                if bare.starts_with("note: ") || bare.starts_with("stack backtrace:") {
                    self.in_backtrace = true;
                } else {
                    let leading_blank = capture.message.is_empty() && bare.is_empty();
                    if !self.in_backtrace && !leading_blank {
                        capture.message.push(bare.to_owned());
                    }
                }
            } else {
                passthrough.push_str(line);
            }
        }
        if !passthrough.is_empty() {
            self.emit(CellOutput::Stream {
                name: StreamName::Stderr,
                text: passthrough,
            });
        }
    }
}

/// The FIFO the relay uses to ask the cell-side flusher for a flush; removed on drop.
#[derive(Debug)]
pub struct FlushFifo {
    path: PathBuf,
}

impl FlushFifo {
    pub fn create() -> std::io::Result<Self> {
        let path = std::env::temp_dir().join(format!(
            "linfa-kernel-{}-{}.fifo",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &path,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
            0,
        )?;
        Ok(Self { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file beside the FIFO that holds the running cell's seed (removed with the FIFO).
    pub fn seed_file_beside(fifo: &Path) -> PathBuf {
        fifo.with_extension("seed")
    }

    /// The file beside the FIFO that holds the session's provenance (removed with the FIFO).
    pub fn provenance_file_beside(fifo: &Path) -> PathBuf {
        fifo.with_extension("provenance.json")
    }

    /// The flag file beside the FIFO that marks a type probe (see [`crate::rustc_wrapper`]).
    pub fn probe_flag_beside(fifo: &Path) -> PathBuf {
        fifo.with_extension("probe")
    }
}

impl Drop for FlushFifo {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        let _ = std::fs::remove_file(Self::seed_file_beside(&self.path));
        let _ = std::fs::remove_file(Self::provenance_file_beside(&self.path));
        let _ = std::fs::remove_file(Self::probe_flag_beside(&self.path));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unit_result_is_not_shown() {
        let text =
            |t: &str| std::collections::HashMap::from([("text/plain".to_owned(), t.to_owned())]);
        assert_eq!(bundle(text("()")), None);
        assert_eq!(bundle(text("42")), Some(plain_text("42")));
        assert_eq!(bundle(Default::default()), None);
    }

    fn pump_with_target() -> (
        PumpState,
        tokio::sync::mpsc::UnboundedReceiver<super::super::CellEvent>,
    ) {
        let (events, receiver) = tokio::sync::mpsc::unbounded_channel();
        let state = PumpState {
            target: Some(Outputs::new(events, Arc::new(AtomicBool::new(false)))),
            ..PumpState::default()
        };
        (state, receiver)
    }

    fn streamed(
        receiver: &mut tokio::sync::mpsc::UnboundedReceiver<super::super::CellEvent>,
    ) -> Vec<CellOutput> {
        let mut outputs = Vec::new();
        while let Ok(super::super::CellEvent::Output(output)) = receiver.try_recv() {
            outputs.push(output);
        }
        outputs
    }

    #[test]
    fn a_panic_report_becomes_the_error_not_stderr() {
        let (mut pump, mut receiver) = pump_with_target();
        pump.stderr("before\n".to_owned());
        pump.stderr(
            "thread '<unnamed>' panicked at src/lib.rs:10:5:\nboom\nnote: run with `RUST_BACKTRACE=1`\n"
                .to_owned(),
        );
        pump.handle(ChildLine::Panic);
        let error = pump.panic.take().unwrap().into_cell_error();
        assert_eq!(error.ename, "panic");
        assert_eq!(error.evalue, "boom");
        assert_eq!(
            streamed(&mut receiver),
            vec![CellOutput::Stream {
                name: StreamName::Stderr,
                text: "before\n".to_owned()
            }]
        );
    }
}
