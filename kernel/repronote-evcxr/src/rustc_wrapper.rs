//! The kernel as cargo's `RUSTC_WORKSPACE_WRAPPER`: it wraps rustc for the cells' crate only
//! (the stack's crates are not workspace members, so their prebuilt outputs stay valid).
//!
//! While the kernel probes a binding's type (see [`crate::interpreter::type_probe`]) it creates
//! a flag file, and the wrapper then asks rustc to write types with their full public paths
//! (`-Ztrim-diagnostic-paths=false`, and `-Zwrite-long-types-to-disk=no` so that long types are
//! written out whole; `RUSTC_BOOTSTRAP` allows these diagnostic options on a stable compiler,
//! for the cells' crate alone).
//!
//! For the cells' crate it also passes the preloaded stack's `--extern` flags, which keep the
//! stack out of evcxr's `Cargo.toml` (see [`crate::stack_externs`]).
//!
//! It also turns off rustc's crate-local ThinLTO for the cells (`-Clto=off`). A cell's crate
//! holds the linfa code it instantiates (generic code is compiled where it is used), and evcxr
//! keeps one incremental cache for the session; with ThinLTO on, rustc redoes that code's
//! optimisation in every cell, with it off it reuses what earlier cells compiled. Measured on
//! a KMeans fit cell: a re-run compiles in 0.26 s instead of 0.98 s, a DecisionTree fit after it
//! in 1.27 s instead of 2.01 s. The price is run time in heavy generic code (5 KMeans fits on
//! winequality: 1.09 s instead of 0.37 s; trees 1.4x, logistic regression 1.2x), so
//! `REPRONOTE_CELL_LTO=thin` in the kernel's environment restores rustc's default.

use std::path::Path;

/// Set (in cargo's environment) to the path of the probe flag file.
pub use repronote_prelude::contract::RUSTC_WRAPPER_ENV as WRAPPER_ENV;

/// The kernel's setting for the cells' link-time optimisation: `off` (the default) or `thin`.
pub use repronote_prelude::contract::CELL_LTO_ENV;

/// A [`CELL_LTO_ENV`] value the kernel does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{CELL_LTO_ENV} is `{value}`; use `off` (the default: cells compile faster) or `thin` \
     (heavy generic code in cells runs faster), or unset it"
)]
pub struct UnknownCellLto {
    pub value: String,
}

/// The flag to add to the cells' rustc for a [`CELL_LTO_ENV`] value (`None`: unset).
pub fn cell_lto_flag(value: Option<&str>) -> Result<Option<&'static str>, UnknownCellLto> {
    match value.map(str::trim) {
        None | Some("") | Some("off") => Ok(Some("-Clto=off")),
        Some("thin") => Ok(None),
        Some(other) => Err(UnknownCellLto {
            value: other.to_owned(),
        }),
    }
}

/// Routes the cells' rustc through this binary, and pins what evcxr would otherwise take from
/// the machine: the linker (evcxr picks `mold` or `lld` when one is on PATH, which changes the
/// flags every cell is built with) and network access for `:dep` (on, whatever a user's
/// `evcxr.toml` says; the stack itself needs none). Nothing is compiled.
pub fn configure(context: &mut evcxr::EvalContext, probe_flag: &Path) -> Result<(), evcxr::Error> {
    let executable = std::env::current_exe()?;
    let mut state = context.state();
    state.set_build_env("RUSTC_WORKSPACE_WRAPPER", &executable.to_string_lossy());
    state.set_build_env(WRAPPER_ENV, &probe_flag.to_string_lossy());
    state.set_linker("system".to_owned());
    state.set_offline_mode(false);
    context.eval_with_state("", state).map(|_| ())
}

/// Runs rustc for cargo if this process was started as the wrapper; otherwise returns.
pub fn take_over_if_wrapping() {
    let Some(flag) = std::env::var_os(WRAPPER_ENV) else {
        return;
    };
    let mut args = std::env::args_os().skip(1);
    let Some(rustc) = args.next() else {
        return;
    };
    let args: Vec<_> = args.collect();
    let mut command = std::process::Command::new(&rustc);
    command.args(&args);
    if let Some(mode) = crate::stack_externs::ExternsMode::from_env() {
        command.args(crate::stack_externs::apply(mode, &args));
    }
    // The kernel checked the value before starting evcxr; an unreadable one keeps the default.
    let lto = std::env::var(CELL_LTO_ENV).ok();
    if let Ok(Some(flag)) = cell_lto_flag(lto.as_deref()) {
        command.arg(flag);
    }
    if Path::new(&flag).exists() {
        // Long types (a dataset's) are otherwise shortened with `...`, or written to a file.
        command
            .arg("-Ztrim-diagnostic-paths=false")
            .arg("-Zwrite-long-types-to-disk=no")
            .env("RUSTC_BOOTSTRAP", "1");
    }
    let error = std::os::unix::process::CommandExt::exec(&mut command);
    eprintln!(
        "repronote: cannot run {} for cargo: {error}",
        Path::new(&rustc).display()
    );
    std::process::exit(101);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_time_optimisation_is_off_unless_thin_is_asked_for() {
        assert_eq!(cell_lto_flag(None), Ok(Some("-Clto=off")));
        assert_eq!(cell_lto_flag(Some("off")), Ok(Some("-Clto=off")));
        assert_eq!(cell_lto_flag(Some(" thin ")), Ok(None));
    }

    #[test]
    fn an_unknown_setting_is_named_with_the_choices() {
        let error = cell_lto_flag(Some("fat")).unwrap_err().to_string();
        assert!(error.contains("REPRONOTE_CELL_LTO is `fat`"), "{error}");
        assert!(
            error.contains("`off`") && error.contains("`thin`"),
            "{error}"
        );
    }
}
