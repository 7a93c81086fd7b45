//! The command line: `launch` (what Jupyter runs), `install` (the kernelspec, then the
//! prebuilt stack) and `prebuild` (the stack alone).
//!
//! Parsing is clap's; each subcommand turns into one library call, and errors travel back to
//! `main` as `anyhow` chains that say what failed and what to do.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::kernelspec::{self, Scope};

/// A Jupyter kernel for Rust with the linfa machine-learning stack.
#[derive(Debug, Parser)]
#[command(name = "repronote", version, about, long_about = None)]
pub struct Cli {
    /// Log filter for messages on stderr (e.g. `debug`, `repronote=trace`). zeromq's own
    /// warnings (a peer's reconnection attempts) are left out by default: the kernel and `nb`
    /// say themselves when the other side is gone, and why.
    #[arg(
        long,
        global = true,
        env = "REPRONOTE_LOG",
        default_value = "warn,repronote=info,zeromq=error"
    )]
    pub log: String,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the kernel for a Jupyter client (the kernelspec runs this; you rarely need to).
    Launch {
        /// The connection file written by the Jupyter client.
        #[arg(long, short = 'f', value_name = "FILE")]
        connection_file: PathBuf,
    },
    /// Install the kernelspec so JupyterLab, nbclient, `jupyter console` and VS Code list it,
    /// then prebuild the linfa stack.
    Install(InstallArgs),
    /// Compile the preloaded linfa stack once into the cache every kernel starts from
    /// ($REPRONOTE_CACHE, else ~/.cache/repronote).
    Prebuild {
        /// Build again even if a build for this kernel, lock and compiler exists.
        #[arg(long)]
        force: bool,
    },
    /// Notebook tooling: run, check, fmt, lint, strip `.ipynb` files without JupyterLab.
    Nb {
        #[command(subcommand)]
        command: crate::nb_command::NbCommand,
    },
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("scope").multiple(false))]
pub struct InstallArgs {
    /// Install for the current user (the default).
    #[arg(long, group = "scope")]
    pub user: bool,
    /// Install into the active Python environment (virtualenv or conda).
    #[arg(long, group = "scope")]
    pub sys_prefix: bool,
    /// Install under DIR/share/jupyter/kernels.
    #[arg(long, group = "scope", value_name = "DIR")]
    pub prefix: Option<PathBuf>,
    /// The kernelspec's name, as notebooks refer to it.
    #[arg(long, default_value = kernelspec::DEFAULT_NAME)]
    pub name: String,
    /// The name shown in launchers and kernel pickers.
    #[arg(long, default_value = "Rust (linfa)")]
    pub display_name: String,
    /// Do not build the linfa stack now; the first kernel builds it (or run `prebuild` later).
    #[arg(long)]
    pub no_prebuild: bool,
}

impl InstallArgs {
    fn scope(&self) -> Scope {
        match (&self.prefix, self.sys_prefix) {
            (Some(prefix), _) => Scope::Prefix(prefix.clone()),
            (None, true) => Scope::SysPrefix,
            (None, false) => Scope::User,
        }
    }
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    init_logging(&cli.log);
    match cli.command {
        Command::Launch { connection_file } => crate::launch::launch(&connection_file),
        Command::Install(args) => {
            let directory = kernelspec::install(&args.scope(), &args.name, &args.display_name)?;
            println!(
                "Installed kernelspec `{}` in {}",
                args.name,
                directory.display()
            );
            if args.no_prebuild {
                return Ok(());
            }
            run_prebuild()
        }
        Command::Prebuild { force } => crate::prebuild::prebuild(force),
        Command::Nb { command } => crate::nb_command::run(command),
    }
}

/// Runs `prebuild` in a child process: it re-executes itself into a session folder, which the
/// installing process should not do.
fn run_prebuild() -> anyhow::Result<()> {
    let executable = std::env::current_exe()?;
    let status = std::process::Command::new(executable)
        .arg("prebuild")
        .status()?;
    anyhow::ensure!(
        status.success(),
        "the kernelspec is installed, but prebuilding the linfa stack failed ({status}); \
         run `repronote prebuild` to try again, or let the first kernel build it"
    );
    Ok(())
}

/// Logs to the stderr the process started with, which stays the server log even after
/// `launch` redirects fd 2 (see `repronote_evcxr::build_progress`).
fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,repronote=info,zeromq=error"));
    // Colours only for a person at a terminal, not in the Jupyter server's log file.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_target(false);
    let _ = match repronote_evcxr::build_progress::keep_original_stderr() {
        Ok(stderr) => builder
            .with_writer(std::sync::Mutex::new(stderr))
            .try_init(),
        Err(_) => builder.with_writer(std::io::stderr).try_init(),
    };
}
