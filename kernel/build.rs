//! Records the compiler version at build time (`kernel_info` reports the Rust version the
//! kernel evaluates with, and the kernel is built with the same pinned toolchain), and a digest
//! of the sources of the stack's path dependencies (linfa-export, the cell prelude), which is
//! part of the prebuilt stack's cache key: editing them makes kernels rebuild the stack once,
//! instead of recompiling those crates in every session.
//!
//! It also exports the binary's `getrandom` to the libraries it loads: the evaluation process
//! answers std's entropy requests from the cell's seed (`src/evaluation_process/entropy.rs`),
//! and a symbol defined in an executable is seen by shared objects only when exported.
use std::path::Path;
use std::process::Command;

use sha2::{Digest, Sha256};

fn hash_tree(hasher: &mut Sha256, dir: &Path) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            hash_tree(hasher, &path);
        } else if let Ok(bytes) = std::fs::read(&path) {
            hasher.update(path.to_string_lossy().as_bytes());
            hasher.update((bytes.len() as u64).to_le_bytes());
            hasher.update(&bytes);
        }
    }
}

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.split_whitespace().nth(1).map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=LINFA_KERNEL_RUSTC_VERSION={version}");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rustc-link-arg-bin=linfa-kernel=-Wl,--export-dynamic-symbol=getrandom");

    let mut hasher = Sha256::new();
    for part in [
        "../linfa-export/src",
        "../linfa-export/Cargo.toml",
        "../linfa-export/build.rs",
    ]
    .iter()
    .chain(&["cell-prelude/src", "cell-prelude/Cargo.toml"])
    {
        let path = Path::new(part);
        println!("cargo:rerun-if-changed={part}");
        if path.is_dir() {
            hash_tree(&mut hasher, path);
        } else if let Ok(bytes) = std::fs::read(path) {
            hasher.update(part.as_bytes());
            hasher.update(&bytes);
        }
    }
    let digest: String = hasher.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    println!("cargo:rustc-env=LINFA_KERNEL_STACK_SOURCES={digest}");
}
