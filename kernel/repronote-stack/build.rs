//! A digest of the sources of the stack's path dependencies (linfa-export, the cell prelude),
//! which is part of the prebuilt stack's cache key: editing them makes kernels rebuild the stack
//! once, instead of recompiling those crates in every session.
use std::path::Path;

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
    println!("cargo:rerun-if-changed=build.rs");
    let mut hasher = Sha256::new();
    for part in [
        "../../linfa-export/src",
        "../../linfa-export/Cargo.toml",
        "../../linfa-export/build.rs",
        "../repronote-prelude/src",
        "../repronote-prelude/Cargo.toml",
    ] {
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
    println!("cargo:rustc-env=REPRONOTE_STACK_SOURCES={digest}");
}
