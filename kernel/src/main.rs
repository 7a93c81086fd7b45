//! The `linfa-kernel` binary: parse the command line and hand over to the library.
//!
//! The same binary is also re-executed by evcxr as the evaluation process, and by cargo as the
//! rustc wrapper of the cells' crate, so `main` first lets those roles take over (they never
//! return).

use clap::Parser;
use linfa_kernel::cli::Cli;

fn main() -> std::process::ExitCode {
    linfa_kernel::rustc_wrapper::take_over_if_wrapping();
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
