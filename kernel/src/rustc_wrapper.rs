//! The kernel as cargo's `RUSTC_WORKSPACE_WRAPPER`: it wraps rustc for the cells' crate only
//! (the stack's crates are not workspace members, so their prebuilt outputs stay valid).
//!
//! While the kernel probes a binding's type (see [`crate::interpreter::type_probe`]) it creates
//! a flag file, and the wrapper then asks rustc to write types with their full public paths
//! (`-Ztrim-diagnostic-paths=false`; `RUSTC_BOOTSTRAP` allows that one diagnostic option on a
//! stable compiler, for the cells' crate alone). Otherwise rustc runs unchanged.

use std::path::Path;

/// Set (in cargo's environment) to the path of the probe flag file.
pub const WRAPPER_ENV: &str = "LINFA_KERNEL_RUSTC_WRAPPER";

/// Runs rustc for cargo if this process was started as the wrapper; otherwise returns.
pub fn take_over_if_wrapping() {
    let Some(flag) = std::env::var_os(WRAPPER_ENV) else {
        return;
    };
    let mut args = std::env::args_os().skip(1);
    let Some(rustc) = args.next() else {
        return;
    };
    let mut command = std::process::Command::new(&rustc);
    command.args(args);
    if Path::new(&flag).exists() {
        command
            .arg("-Ztrim-diagnostic-paths=false")
            .env("RUSTC_BOOTSTRAP", "1");
    }
    let error = std::os::unix::process::CommandExt::exec(&mut command);
    eprintln!(
        "linfa-kernel: cannot run {} for cargo: {error}",
        Path::new(&rustc).display()
    );
    std::process::exit(101);
}
