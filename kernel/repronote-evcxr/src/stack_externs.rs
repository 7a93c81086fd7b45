//! The preloaded stack as rustc flags instead of `[dependencies]` lines.
//!
//! evcxr's in-process rust-analyzer reads the cells' `Cargo.toml`: with the 20 stack crates
//! listed there it loads their 124 packages (about 5 s before the first cell, and most of the
//! kernel's 1 GiB). So the stack stays out of that file. When the stack is built (prebuild, or a
//! kernel that found none), the cells' rustc wrapper records the flags cargo gave the cells'
//! crate for it: each `--extern NAME=PATH` and `-L dependency=DIR`, with paths relative to the
//! crate folder (the session's copy of the prebuilt target folder sits at the same place). A
//! later session passes the recorded flags itself, so rustc finds the prebuilt stack while cargo
//! and rust-analyzer see a crate with no dependency: cargo checks and builds one unit per cell.

use std::ffi::OsString;
use std::path::Path;

/// Set by the kernel in cargo's environment: `record` while the stack is built, `use` after.
pub const STACK_EXTERNS_ENV: &str = "REPRONOTE_STACK_EXTERNS";

/// Where the recorded flags are kept, inside the target folder (published with the prebuilt
/// stack, so every session copied from it has them).
pub const STACK_EXTERNS_FILE: &str = "repronote-stack-externs";

/// What the wrapper does with the stack's flags for the cells' crate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExternsMode {
    /// Write the flags cargo passes (the stack is in `Cargo.toml`).
    Record,
    /// Add the recorded flags (the stack is not in `Cargo.toml`).
    Use,
}

impl ExternsMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ExternsMode::Record => "record",
            ExternsMode::Use => "use",
        }
    }

    fn parse(value: &str) -> Option<Self> {
        match value {
            "record" => Some(ExternsMode::Record),
            "use" => Some(ExternsMode::Use),
            _ => None,
        }
    }

    /// The mode the kernel set for this wrapper process, if any.
    pub fn from_env() -> Option<Self> {
        Self::parse(&std::env::var(STACK_EXTERNS_ENV).ok()?)
    }
}

/// The recorded flags' file, relative to the cells' crate folder (cargo runs rustc there).
pub fn externs_file() -> std::path::PathBuf {
    Path::new("target").join(STACK_EXTERNS_FILE)
}

/// Whether these rustc arguments compile the cells' crate to a library (not a check, which
/// passes metadata-only dependencies, nor one of cargo's probes of the compiler).
fn builds_cells_crate(args: &[OsString]) -> bool {
    let emits_link = |emit: &str| emit.split(',').any(|kind| kind == "link");
    let joined = args
        .iter()
        .filter_map(|arg| arg.to_str()?.strip_prefix("--emit="));
    let separate = args
        .windows(2)
        .filter(|pair| pair[0] == "--emit")
        .filter_map(|pair| pair[1].to_str());
    compiles_cells_crate(args) && joined.chain(separate).any(emits_link)
}

/// Whether these arguments compile the cells' crate at all (build or check).
pub fn compiles_cells_crate(args: &[OsString]) -> bool {
    args.windows(2)
        .any(|pair| pair[0] == "--crate-name" && pair[1] == "ctx")
}

/// The stack's flags among cargo's arguments for the cells' crate, paths made relative to
/// `crate_dir`: one flag and its value per pair.
pub fn stack_flags(args: &[OsString], crate_dir: &Path) -> Vec<(String, String)> {
    let relative = |path: &str| -> String {
        Path::new(path)
            .strip_prefix(crate_dir)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_else(|_| path.to_owned())
    };
    args.windows(2)
        .filter_map(|pair| {
            let (flag, value) = (pair[0].to_str()?, pair[1].to_str()?);
            match flag {
                "--extern" => {
                    let (name, path) = value.split_once('=')?;
                    Some((flag.to_owned(), format!("{name}={}", relative(path))))
                }
                "-L" => {
                    let dir = value.strip_prefix("dependency=")?;
                    Some((flag.to_owned(), format!("dependency={}", relative(dir))))
                }
                _ => None,
            }
        })
        .collect()
}

/// Recorded flags pointed at a target folder elsewhere (`target/…` becomes `TARGET/…`).
pub fn relocate(flags: &[(String, String)], target: &Path) -> Vec<(String, String)> {
    let moved = |path: &str| match path.strip_prefix("target/") {
        Some(inside) => target.join(inside).to_string_lossy().into_owned(),
        None => path.to_owned(),
    };
    flags
        .iter()
        .map(|(flag, value)| {
            let value = match value.split_once('=') {
                Some((name, path)) => format!("{name}={}", moved(path)),
                None => value.clone(),
            };
            (flag.clone(), value)
        })
        .collect()
}

/// The names of the stack's crates, from the flags recorded in (or for) a target folder.
pub fn crate_names(target: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(target.join(STACK_EXTERNS_FILE)).unwrap_or_default();
    parse(&text)
        .into_iter()
        .filter(|(flag, _)| flag == "--extern")
        .filter_map(|(_, value)| Some(value.split_once('=')?.0.to_owned()))
        .collect()
}

/// The file's text for `flags`: a flag and its value per line, separated by a tab.
pub fn render(flags: &[(String, String)]) -> String {
    flags
        .iter()
        .map(|(flag, value)| format!("{flag}\t{value}\n"))
        .collect()
}

/// The flags read back from [`render`]'s text.
pub fn parse(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| line.split_once('\t'))
        .map(|(flag, value)| (flag.to_owned(), value.to_owned()))
        .collect()
}

/// What the wrapper adds to rustc's arguments in `mode` (recording as a side effect).
pub fn apply(mode: ExternsMode, args: &[OsString]) -> Vec<OsString> {
    if !compiles_cells_crate(args) {
        return Vec::new();
    }
    let file = externs_file();
    match mode {
        ExternsMode::Record => {
            if builds_cells_crate(args)
                && let Ok(crate_dir) = std::env::current_dir()
            {
                let flags = stack_flags(args, &crate_dir);
                if let Err(error) = std::fs::write(&file, render(&flags)) {
                    eprintln!(
                        "repronote: cannot record the stack's flags in {}: {error}",
                        file.display()
                    );
                }
            }
            Vec::new()
        }
        ExternsMode::Use => match std::fs::read_to_string(&file) {
            Ok(text) => parse(&text)
                .into_iter()
                .flat_map(|(flag, value)| [OsString::from(flag), OsString::from(value)])
                .collect(),
            Err(error) => {
                eprintln!(
                    "repronote: the prebuilt stack's flags are missing ({}: {error}); \
                     restart the kernel, or run `repronote prebuild`",
                    file.display()
                );
                Vec::new()
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_stack_flags_are_kept_relative_to_the_crate_folder() {
        let cargo = args(&[
            "--crate-name",
            "ctx",
            "--emit=dep-info,link",
            "--extern",
            "linfa=/s/crate/target/t/debug/deps/liblinfa-1.rlib",
            "-L",
            "dependency=/s/crate/target/t/debug/deps",
            "-L",
            "native=/usr/lib",
            "-C",
            "opt-level=2",
        ]);
        let flags = stack_flags(&cargo, Path::new("/s/crate"));
        assert_eq!(
            flags,
            vec![
                (
                    "--extern".to_owned(),
                    "linfa=target/t/debug/deps/liblinfa-1.rlib".to_owned()
                ),
                ("-L".to_owned(), "dependency=target/t/debug/deps".to_owned()),
            ]
        );
        assert_eq!(parse(&render(&flags)), flags);
        let moved = relocate(&flags, Path::new("/cache/stack-1/target"));
        assert_eq!(
            moved[0].1,
            "linfa=/cache/stack-1/target/t/debug/deps/liblinfa-1.rlib"
        );
        assert_eq!(moved[1].1, "dependency=/cache/stack-1/target/t/debug/deps");
    }

    #[test]
    fn only_a_build_of_the_cells_crate_is_recorded() {
        let build = args(&["--crate-name", "ctx", "--emit=dep-info,link"]);
        assert!(builds_cells_crate(&args(&[
            "--crate-name",
            "ctx",
            "--emit",
            "link"
        ])));
        let check = args(&["--crate-name", "ctx", "--emit", "dep-info,metadata"]);
        let other = args(&["--crate-name", "linfa", "--emit", "dep-info,link"]);
        assert!(builds_cells_crate(&build));
        assert!(!builds_cells_crate(&check));
        assert!(!builds_cells_crate(&other));
        assert!(compiles_cells_crate(&check));
        assert!(!compiles_cells_crate(&args(&["-vV"])));
    }
}
