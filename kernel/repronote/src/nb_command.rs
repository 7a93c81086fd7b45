//! The `repronote nb ...` command line (clap and anyhow stay in the binary; the tooling itself is
//! `repronote-nb`): files in, a report on the terminal, and an error
//! (exit status 1) whenever something needs the user's attention.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Subcommand;

use repronote_nb::check::{differences, run_twice};
use repronote_nb::clippy::{Clippy, ClippyError};
use repronote_nb::example;
use repronote_nb::file::{read_notebook, write_notebook};
use repronote_nb::format::format_notebook;
use repronote_nb::lint::lint_notebook;
use repronote_nb::reproduce::{ReproduceOptions, reproduce_all};
use repronote_nb::run::{RunOptions, run_notebook};
use repronote_nb::strip::strip;
use repronote_zmq::client::KernelCommand;

#[derive(Debug, Subcommand)]
pub enum NbCommand {
    /// Execute a notebook top to bottom in a fresh kernel; stops at the first failing cell.
    Run {
        notebook: PathBuf,
        /// Write the executed notebook here (the input is never changed).
        #[arg(long, short = 'o', value_name = "OUT")]
        output: Option<PathBuf>,
        /// The session seed (default: the notebook's metadata.linfa.seed, else the kernel's).
        #[arg(long)]
        seed: Option<u64>,
        /// How long one cell may run, in seconds.
        #[arg(long, default_value_t = 600)]
        timeout: u64,
    },
    /// Run a notebook twice in fresh kernels and compare every cell's output and every
    /// exported artifact.
    Check {
        notebook: PathBuf,
        #[arg(long)]
        seed: Option<u64>,
        #[arg(long, default_value_t = 600)]
        timeout: u64,
    },
    /// Re-run an exported model's training record in a fresh kernel, in a copy of the folder
    /// it was made in, and say whether the artifact comes out identical (exit 0) or which files
    /// and metrics differ, and by how much (exit 1). Artifacts of one session share one re-run.
    Reproduce {
        /// The artifact folders (each carries its training record).
        #[arg(required = true)]
        artifacts: Vec<PathBuf>,
        /// The folder holding what the training read (data files, parent artifacts); by
        /// default the folder the export was made in.
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
        #[arg(long, default_value_t = 600)]
        timeout: u64,
    },
    /// Format code cells with rustfmt (magic lines untouched), in place.
    Fmt {
        #[arg(required = true)]
        notebooks: Vec<PathBuf>,
        /// Change nothing; fail if a cell is not formatted.
        #[arg(long)]
        check: bool,
    },
    /// Report, per cell, calls the kernel would refuse as unseeded, with their replacement,
    /// then clippy's advice.
    Lint {
        #[arg(required = true)]
        notebooks: Vec<PathBuf>,
        /// Only the seeding policy: do not run clippy (fast; clippy's first run checks the
        /// whole stack).
        #[arg(long)]
        no_clippy: bool,
    },
    /// List the examples of the preloaded linfa crates (read from cargo's registry), or write
    /// one as a seeded notebook ready to run.
    Example {
        /// The crate (`linfa-svm`, `linfa_svm` or `svm`); without it, every crate's examples
        /// are listed.
        #[arg(value_name = "CRATE")]
        crate_name: Option<String>,
        /// The example (its file name in the crate's `examples/`, without `.rs`); without it,
        /// the crate's examples are listed.
        name: Option<String>,
        /// Where to write the notebook (default: NAME.ipynb in the current folder).
        #[arg(long, short = 'o', value_name = "OUT")]
        output: Option<PathBuf>,
        /// Replace a file that is already there.
        #[arg(long)]
        force: bool,
    },
    /// Remove outputs, execution counts and timings, in place.
    Strip {
        #[arg(required = true)]
        notebooks: Vec<PathBuf>,
        /// Change nothing; fail if a notebook has outputs.
        #[arg(long)]
        check: bool,
    },
}

pub fn run(command: NbCommand) -> anyhow::Result<()> {
    match command {
        NbCommand::Run {
            notebook,
            output,
            seed,
            timeout,
        } => run_command(&notebook, output.as_deref(), options(seed, timeout)?),
        NbCommand::Check {
            notebook,
            seed,
            timeout,
        } => check_command(&notebook, options(seed, timeout)?),
        NbCommand::Reproduce {
            artifacts,
            data,
            timeout,
        } => reproduce_command(
            &artifacts,
            ReproduceOptions {
                run: options(None, timeout)?,
                data,
            },
        ),
        NbCommand::Fmt { notebooks, check } => fmt_command(&notebooks, check),
        NbCommand::Lint {
            notebooks,
            no_clippy,
        } => lint_command(&notebooks, !no_clippy),
        NbCommand::Strip { notebooks, check } => strip_command(&notebooks, check),
        NbCommand::Example {
            crate_name,
            name,
            output,
            force,
        } => example_command(crate_name.as_deref(), name.as_deref(), output, force),
    }
}

/// Runs in fresh kernels of this binary, started as the kernelspec starts it (`launch`).
fn options(seed: Option<u64>, timeout: u64) -> anyhow::Result<RunOptions> {
    let program = std::env::current_exe().context("cannot find the repronote binary")?;
    let mut options = RunOptions::new(KernelCommand {
        program,
        args: vec!["launch".to_owned()],
    });
    options.seed = seed;
    options.cell_timeout = Duration::from_secs(timeout);
    Ok(options)
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// The folder a notebook runs in: its own, as in JupyterLab.
fn folder_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

fn run_command(path: &Path, output: Option<&Path>, options: RunOptions) -> anyhow::Result<()> {
    let mut notebook = read_notebook(path)?;
    let result = runtime()?.block_on(run_notebook(&mut notebook, folder_of(path), &options));
    if let Some(output) = output {
        write_notebook(output, &notebook)?;
        eprintln!("wrote {}", output.display());
    }
    result.with_context(|| format!("{} did not run to the end", path.display()))
}

fn check_command(path: &Path, options: RunOptions) -> anyhow::Result<()> {
    let notebook = read_notebook(path)?;
    let [first, second] = runtime()?.block_on(run_twice(path, &notebook, &options))?;
    let found = differences(&first, &second);
    let artifacts = first.artifacts.len();
    if found.is_empty() {
        println!(
            "{}: reproducible: {} cells gave the same output and {artifacts} exported \
             artifact(s) the same digests in two fresh kernels",
            path.display(),
            first.cells.len()
        );
        return Ok(());
    }
    for line in &found {
        println!("{line}");
    }
    bail!(
        "{} is not reproducible: {} difference(s) between two runs",
        path.display(),
        found.len()
    )
}

fn reproduce_command(artifacts: &[PathBuf], options: ReproduceOptions) -> anyhow::Result<()> {
    let results = runtime()?.block_on(reproduce_all(artifacts, &options));
    let mut problems = Vec::new();
    for (artifact, result) in results {
        match result {
            Ok(reproduced) => {
                println!("{}: {reproduced}", artifact.display());
                if !reproduced.is_reproduced() {
                    problems.push(format!(
                        "{} was not reproduced by re-running its {} recorded cells",
                        artifact.display(),
                        reproduced.cells
                    ));
                }
            }
            Err(error) => problems.push(error.to_string()),
        }
    }
    report_problems(problems)
}

fn fmt_command(paths: &[PathBuf], check: bool) -> anyhow::Result<()> {
    let mut problems = Vec::new();
    for path in paths {
        let mut notebook = read_notebook(path)?;
        let report = format_notebook(&mut notebook);
        for cell in &report.unformattable {
            problems.push(format!(
                "{}: cell {} cannot be formatted: {}",
                path.display(),
                cell.number,
                cell.reason
            ));
        }
        if report.changed.is_empty() {
            continue;
        }
        let cells = report
            .changed
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        if check {
            problems.push(format!(
                "{}: cell(s) {cells} are not formatted; run `repronote nb fmt {}`",
                path.display(),
                path.display()
            ));
        } else {
            write_notebook(path, &notebook)?;
            println!("{}: formatted cell(s) {cells}", path.display());
        }
    }
    report_problems(problems)
}

/// Seeding findings, then clippy's, per notebook; both count as problems. A cell clippy could
/// not check is a note on stderr, and so is clippy's absence, said once.
fn lint_command(paths: &[PathBuf], with_clippy: bool) -> anyhow::Result<()> {
    let mut problems = Vec::new();
    let clippy = if with_clippy {
        match Clippy::find(true) {
            Ok(clippy) => Some(clippy),
            Err(error @ ClippyError::Unavailable(_)) => {
                eprintln!("note: clippy advice skipped: {error}");
                None
            }
            Err(error) => {
                problems.push(format!("clippy advice failed: {error}"));
                None
            }
        }
    } else {
        None
    };
    for path in paths {
        let notebook = read_notebook(path)?;
        for finding in lint_notebook(&notebook) {
            problems.push(format!("{}: {finding}", path.display()));
        }
        let Some(clippy) = &clippy else { continue };
        match clippy.advise(&notebook) {
            Ok(advice) => {
                for note in &advice.notes {
                    eprintln!("{}: note: {note}", path.display());
                }
                for finding in advice.findings {
                    problems.push(format!("{}: {finding}", path.display()));
                }
            }
            Err(error) => {
                problems.push(format!("{}: clippy advice failed: {error}", path.display()))
            }
        }
    }
    report_problems(problems)
}

fn strip_command(paths: &[PathBuf], check: bool) -> anyhow::Result<()> {
    let mut problems = Vec::new();
    for path in paths {
        let mut notebook = read_notebook(path)?;
        if !strip(&mut notebook) {
            continue;
        }
        if check {
            problems.push(format!(
                "{} has outputs or execution counts; run `repronote nb strip {}`",
                path.display(),
                path.display()
            ));
        } else {
            write_notebook(path, &notebook)?;
            println!("{}: stripped", path.display());
        }
    }
    report_problems(problems)
}

fn example_command(
    crate_name: Option<&str>,
    name: Option<&str>,
    output: Option<PathBuf>,
    force: bool,
) -> anyhow::Result<()> {
    let crates = match crate_name {
        Some(crate_name) => vec![example::find_crate(crate_name)?],
        None => example::linfa_crates(),
    };
    let Some(name) = name else {
        for pinned in &crates {
            let examples = example::examples_of(pinned)?;
            if examples.is_empty() && crate_name.is_none() {
                continue;
            }
            let names: Vec<&str> = examples.iter().map(|e| e.name.as_str()).collect();
            println!(
                "{} {}: {}",
                pinned.name,
                pinned.version,
                if names.is_empty() {
                    "no examples".to_owned()
                } else {
                    names.join(", ")
                }
            );
        }
        if crate_name.is_none() {
            println!("write one as a notebook: repronote nb example CRATE NAME");
        }
        return Ok(());
    };
    let found = example::find_example(&crates[0], name)?;
    let notebook = example::example_notebook(&found)?;
    let path = output.unwrap_or_else(|| example::default_path(Path::new("."), &found));
    if path.exists() && !force {
        bail!(
            "{} already exists; choose another path with --output, or replace it with --force",
            path.display()
        );
    }
    write_notebook(&path, &notebook)?;
    println!(
        "wrote {} ({} cells from {}); run it with `repronote nb run {}` or open it in JupyterLab",
        path.display(),
        notebook.cells.len() - 1,
        found.path.display(),
        path.display()
    );
    for finding in lint_notebook(&notebook) {
        eprintln!("{}: warning: {finding}", path.display());
    }
    Ok(())
}

fn report_problems(problems: Vec<String>) -> anyhow::Result<()> {
    if problems.is_empty() {
        return Ok(());
    }
    for problem in &problems {
        println!("{problem}");
    }
    bail!("{} problem(s) found", problems.len())
}
