//! The `repronote` binary: parse the command line and hand over to the library crates.
//!
//! The same binary is also re-executed by evcxr as the evaluation process, and by cargo as the
//! rustc wrapper of the cells' crate, so `main` first lets those roles take over (they never
//! return). Everything else is [`cli::run`], the only place that uses `anyhow`: the crates below
//! return typed errors, and this binary turns them into a message and an exit status.

mod cli;
mod kernelspec;
mod launch;
mod nb_command;
mod prebuild;

use clap::Parser;

/// The allocator evcxr_jupyter uses; the kernel process hosts evcxr's rust-analyzer.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    repronote_evcxr::rustc_wrapper::take_over_if_wrapping();
    repronote_evcxr::evaluation_process::take_over_if_child();
    let cli = cli::Cli::parse();
    match cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("repronote: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
