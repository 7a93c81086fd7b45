//! `linfa-export`: check, sign, inspect and compare exported linfa model artifacts.
//!
//! The binary is a thin shell over the library so notebooks, the kernel and
//! this tool all share one implementation of verification and signing.

mod cli;
mod show;
mod trust;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
