//! Captures the toolchain and the versions of the crates whose formats decide
//! whether a saved model can be read back, so every manifest can state what
//! produced it without asking the machine that later loads it.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Crates whose versions are recorded, with the version requirement used to
/// pick the right entry when a lock file holds several versions of one crate.
const TRACKED: &[(&str, &str)] = &[
    ("ciborium", "0.2"),
    ("linfa", "0.8"),
    ("linfa-bayes", "0.8"),
    ("linfa-clustering", "0.8"),
    ("linfa-kernel", "0.8"),
    ("linfa-linear", "0.8"),
    ("linfa-logistic", "0.8"),
    ("linfa-nn", "0.8"),
    ("linfa-reduction", "0.8"),
    ("linfa-svm", "0.8"),
    ("linfa-trees", "0.8"),
    ("ndarray", "0.16"),
    ("serde", "1"),
    ("serde_json", "1"),
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=RUSTC");

    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let rustc_version = Command::new(&rustc)
        .arg("-V")
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned());
    let target = env::var("TARGET").unwrap_or_else(|_| "unknown".to_owned());
    println!("cargo:rustc-env=LINFA_EXPORT_RUSTC_VERSION={rustc_version}");
    println!("cargo:rustc-env=LINFA_EXPORT_TARGET={target}");

    let lock = find_lock_file();
    if let Some(path) = &lock {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    let lock_text = lock
        .and_then(|p| fs::read_to_string(p).ok())
        .unwrap_or_default();
    let packages = parse_lock(&lock_text);

    let mut out = String::from("/// (crate, version) pairs this build was compiled against.\n");
    out.push_str("pub(crate) const LOCKED_CRATES: &[(&str, &str)] = &[\n");
    for (name, req) in TRACKED {
        let version = packages
            .iter()
            .filter(|(n, v)| n == name && matches_req(v, req))
            .map(|(_, v)| v.clone())
            .max_by(|a, b| numeric(a).cmp(&numeric(b)))
            // Without a lock file (e.g. vendored builds) the requirement is
            // still the best statement of the format the code expects.
            .unwrap_or_else(|| (*req).to_owned());
        out.push_str(&format!("    ({name:?}, {version:?}),\n"));
    }
    out.push_str("];\n");
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::write(out_dir.join("locked_crates.rs"), out).expect("write locked_crates.rs");
}

fn find_lock_file() -> Option<PathBuf> {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").ok()?);
    let mut dir: Option<&Path> = Some(manifest_dir.as_path());
    while let Some(d) = dir {
        let candidate = d.join("Cargo.lock");
        if candidate.is_file() {
            return Some(candidate);
        }
        dir = d.parent();
    }
    None
}

/// Reads `name`/`version` pairs out of a Cargo.lock without a TOML parser:
/// the lock format writes one `[[package]]` table per crate with these two
/// keys first.
fn parse_lock(text: &str) -> Vec<(String, String)> {
    let mut packages = Vec::new();
    let mut name: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if line == "[[package]]" {
            name = None;
        } else if let Some(rest) = line.strip_prefix("name = ") {
            name = Some(rest.trim_matches('"').to_owned());
        } else if let Some(rest) = line.strip_prefix("version = ")
            && let Some(n) = name.take()
        {
            packages.push((n, rest.trim_matches('"').to_owned()));
        }
    }
    packages
}

fn numeric(version: &str) -> Vec<u64> {
    version
        .split(['.', '-', '+'])
        .map(|part| part.parse().unwrap_or(0))
        .collect()
}

fn matches_req(version: &str, req: &str) -> bool {
    version == req || version.starts_with(&format!("{req}."))
}
