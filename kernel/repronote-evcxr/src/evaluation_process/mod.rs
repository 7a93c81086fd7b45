//! The evaluation process: this binary, re-executed by evcxr, loads and runs the compiled cells.
//!
//! It is ours rather than evcxr's runtime for two reasons: a relay keeps the cell's output
//! whole and in order ([`relay`]), and each cell runs on a new thread whose OS entropy comes
//! from the cell's seed ([`runtime`], [`entropy`]), so std's `HashMap` order, and the models
//! that depend on it, repeat. evcxr still starts the process, sends the cells and reads the
//! output, over the same line protocol its runtime speaks.

mod entropy;
mod portable_math;
mod relay;
mod runtime;

/// Set by evcxr in the environment of the process it starts to run cells.
const EVCXR_RUNTIME_ENV: &str = "EVCXR_IS_RUNTIME";

/// The one argument the kernel starts its evaluation process with. The environment variable
/// alone cannot tell the roles apart: programs a cell starts inherit it, and `repronote nb
/// lint` run from a cell would become an evaluation process too, wait for cells and print
/// nothing.
const EVALUATION_PROCESS_ARG: &str = "--repronote-evaluation-process";

/// A command prefix for the evaluation process, split like a shell would: for example
/// `qemu-x86_64 -cpu Nehalem`, to run the very same cells on an emulated CPU without AVX or
/// FMA (what the cross-CPU tests do). Only the evaluation process is wrapped; the kernel and
/// the compiler run as usual.
pub const WRAPPER_ENV: &str = "REPRONOTE_EVALUATION_WRAPPER";

/// The command that starts this binary as an evaluation process, for
/// `EvalContext::with_subprocess_command`: the role's argument, the standard library's folder
/// on the library path, and the wrapper of [`WRAPPER_ENV`] in front when one is set.
pub fn command() -> std::io::Result<std::process::Command> {
    let executable = std::env::current_exe()?;
    let wrapper = std::env::var(WRAPPER_ENV).unwrap_or_default();
    let mut command = match wrapper_words(&wrapper)?.split_first() {
        Some((program, arguments)) => {
            tracing::info!("the evaluation process runs under `{wrapper}` ({WRAPPER_ENV})");
            let mut command = std::process::Command::new(program);
            command.args(arguments).arg(&executable);
            command
        }
        None => std::process::Command::new(&executable),
    };
    command.arg(EVALUATION_PROCESS_ARG);
    add_std_library_path(&mut command);
    Ok(command)
}

/// The words of a [`WRAPPER_ENV`] value; none for an empty one.
fn wrapper_words(wrapper: &str) -> std::io::Result<Vec<String>> {
    shlex::split(wrapper).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "{WRAPPER_ENV}={wrapper:?} is not a command line (an unclosed quote?); \
                 set it to a command prefix such as `qemu-x86_64 -cpu Nehalem`, or unset it"
            ),
        )
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrapper_is_split_like_a_shell_and_a_broken_one_is_named() {
        assert!(wrapper_words("").unwrap().is_empty());
        assert_eq!(
            wrapper_words("qemu-x86_64 -cpu 'Nehalem'").unwrap(),
            ["qemu-x86_64", "-cpu", "Nehalem"]
        );
        let error = wrapper_words("qemu-x86_64 -cpu 'Nehalem").unwrap_err();
        assert!(error.to_string().contains(WRAPPER_ENV), "{error}");
    }
}
