//! The evaluation process: this binary, re-executed by evcxr, loads and runs the compiled cells.
//!
//! It is ours rather than evcxr's runtime for two reasons: a relay keeps the cell's output
//! whole and in order ([`relay`]), and each cell runs on a new thread whose OS entropy comes
//! from the cell's seed ([`runtime`], [`entropy`]), so std's `HashMap` order, and the models
//! that depend on it, repeat. evcxr still starts the process, sends the cells and reads the
//! output, over the same line protocol its runtime speaks.

mod entropy;
mod relay;
mod runtime;

/// Set by evcxr in the environment of the process it starts to run cells.
const EVCXR_RUNTIME_ENV: &str = "EVCXR_IS_RUNTIME";

/// The one argument the kernel starts its evaluation process with. The environment variable
/// alone cannot tell the roles apart: programs a cell starts inherit it, and `repronote nb
/// lint` run from a cell would become an evaluation process too, wait for cells and print
/// nothing.
const EVALUATION_PROCESS_ARG: &str = "--repronote-evaluation-process";

/// The command that starts this binary as an evaluation process, for
/// `EvalContext::with_subprocess_command`: the role's argument, and the standard library's
/// folder on the library path.
pub fn command() -> std::io::Result<std::process::Command> {
    let mut command = std::process::Command::new(std::env::current_exe()?);
    command.arg(EVALUATION_PROCESS_ARG);
    add_std_library_path(&mut command);
    Ok(command)
}

/// Lets the evaluation process find Rust's standard library (cells link it dynamically): adds
/// `rustc --print target-libdir` to `LD_LIBRARY_PATH` of `command`.
///
/// Why: rustc writes the library's location into each cell's shared object as a path relative
/// to the `deps/` folder it was built in, but evcxr loads the copy cargo places one folder
/// higher. When the session folder and the toolchain share a parent (both under the home
/// folder, as `~/.cache` and `~/.rustup` are) that relative path misses by one level and the
/// cell cannot be loaded; `LD_LIBRARY_PATH` is searched first.
fn add_std_library_path(command: &mut std::process::Command) {
    let Ok(output) = std::process::Command::new("rustc")
        .args(["--print", "target-libdir"])
        .output()
    else {
        return;
    };
    let libdir = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if !output.status.success() || libdir.is_empty() {
        return;
    }
    let mut paths = vec![std::path::PathBuf::from(libdir)];
    if let Some(existing) = std::env::var_os("LD_LIBRARY_PATH") {
        paths.extend(std::env::split_paths(&existing));
    }
    if let Ok(joined) = std::env::join_paths(paths) {
        command.env("LD_LIBRARY_PATH", joined);
    }
}

/// Called first thing in `main`: when this process was started by evcxr to run cells, install
/// the relay and become the evaluation process (never returns). Otherwise lets evcxr take the
/// other role it starts this binary for (a rustc wrapper), or returns at once.
pub fn take_over_if_child() {
    if std::env::var_os(EVCXR_RUNTIME_ENV).is_none() {
        evcxr::runtime_hook();
        return;
    }
    if std::env::args_os().nth(1).as_deref() != Some(EVALUATION_PROCESS_ARG.as_ref()) {
        // Started by a cell, with the variable inherited: an ordinary command line.
        return;
    }
    if let Err(error) = relay::install() {
        eprintln!("repronote: output relay unavailable ({error}); output is line-buffered");
    }
    runtime::run()
}
