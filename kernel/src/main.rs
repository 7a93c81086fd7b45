//! The `linfa-kernel` binary: parse the command line and hand over to the library.
//!
//! The same binary is also re-executed by evcxr as the evaluation process, so the first thing
//! `main` does is give evcxr the chance to take over (it never returns in that case).

use clap::Parser;
use linfa_kernel::cli::Cli;

fn main() -> std::process::ExitCode {
    linfa_kernel::evaluation_process::take_over_if_child();
    let cli = Cli::parse();
    match linfa_kernel::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("linfa-kernel: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
