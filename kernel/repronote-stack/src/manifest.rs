//! What the stack is: the manifest and lock shipped inside this binary, read into dependency
//! lines for evcxr, the pinned versions a session records, and the key its build is cached under.
//!
//! The manifest's one path dependency, `linfa-export`, points into the repository this kernel
//! was built from; it is made absolute here so the cells' crate finds it wherever evcxr puts it.

use std::path::{Path, PathBuf};

use repronote_prelude::numerics::{GEMM_FEATURES_ENV, NumericProfile};
use sha2::{Digest, Sha256};

/// The stack's manifest, as committed in `kernel/stack/Cargo.toml`.
pub const MANIFEST: &str = include_str!("../stack/Cargo.toml");
/// The lock that pins every crate of the stack, as committed in `kernel/stack/Cargo.lock`.
pub const LOCK: &str = include_str!("../stack/Cargo.lock");
/// Where the manifest lived when this kernel was built; its path dependencies are relative to it.
const MANIFEST_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/stack");

/// One line of the cells' `[dependencies]`: `name = config`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    pub name: String,
    /// An inline TOML value: `"1"` or `{ version = "=0.8.1", features = ["serde"] }`.
    pub config: String,
}

/// The manifest cannot be used as it is.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("the stack manifest compiled into this kernel is not valid TOML: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("the stack manifest has no [dependencies] table")]
    NoDependencies,
    #[error(
        "the stack dependency `{name}` points at {path}, which does not exist; this kernel was \
         built from a repository that has moved or been deleted. Rebuild and reinstall it from \
         the repository (scripts/setup.sh, or `cargo build --release` then `repronote install`)"
    )]
    MissingPath { name: String, path: PathBuf },
}

/// The stack's dependencies in manifest order, path dependencies made absolute.
pub fn dependencies() -> Result<Vec<Dependency>, ManifestError> {
    dependencies_of(MANIFEST, Path::new(MANIFEST_DIR))
}

fn dependencies_of(manifest: &str, manifest_dir: &Path) -> Result<Vec<Dependency>, ManifestError> {
    let document: toml::Table = manifest.parse()?;
    let table = document
        .get("dependencies")
        .and_then(toml::Value::as_table)
        .ok_or(ManifestError::NoDependencies)?;
    let mut dependencies = Vec::with_capacity(table.len());
    for (name, value) in table {
        let mut value = value.clone();
        if let Some(path) = value.get_mut("path") {
            let relative = path.as_str().unwrap_or_default();
            let absolute = manifest_dir.join(relative);
            let absolute = absolute
                .canonicalize()
                .map_err(|_| ManifestError::MissingPath {
                    name: name.clone(),
                    path: absolute.clone(),
                })?;
            *path = toml::Value::String(absolute.to_string_lossy().into_owned());
        }
        dependencies.push(Dependency {
            name: name.clone(),
            config: inline_toml(&value),
        });
    }
    Ok(dependencies)
}

/// A TOML value written on one line, as a `[dependencies]` entry needs it.
fn inline_toml(value: &toml::Value) -> String {
    match value {
        toml::Value::Table(table) => {
            let fields: Vec<String> = table
                .iter()
                .map(|(key, value)| format!("{key} = {}", inline_toml(value)))
                .collect();
            format!("{{ {} }}", fields.join(", "))
        }
        toml::Value::Array(items) => {
            let items: Vec<String> = items.iter().map(inline_toml).collect();
            format!("[{}]", items.join(", "))
        }
        other => other.to_string(),
    }
}

/// A crate of the stack at the version the lock pins.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PinnedCrate {
    pub name: String,
    pub version: String,
}

/// The direct dependencies of the stack with the versions the lock pins, sorted by name.
pub fn pinned_versions() -> Vec<PinnedCrate> {
    pinned_versions_of(MANIFEST, LOCK)
}

fn pinned_versions_of(manifest: &str, lock: &str) -> Vec<PinnedCrate> {
    let direct: Vec<String> = manifest
        .parse::<toml::Table>()
        .ok()
        .and_then(|doc| doc.get("dependencies")?.as_table().cloned())
        .map(|table| table.keys().cloned().collect())
        .unwrap_or_default();
    let Ok(lock) = lock.parse::<toml::Table>() else {
        return Vec::new();
    };
    let packages = lock
        .get("package")
        .and_then(toml::Value::as_array)
        .cloned()
        .unwrap_or_default();
    let root_dependencies: Vec<String> = packages
        .iter()
        .find(|p| p.get("name").and_then(toml::Value::as_str) == Some("ctx"))
        .and_then(|p| p.get("dependencies")?.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|d| d.as_str().map(str::to_owned))
        .collect();
    let mut pinned: Vec<PinnedCrate> = packages
        .iter()
        .filter_map(|package| {
            let name = package.get("name")?.as_str()?;
            let version = package.get("version")?.as_str()?;
            // The root lists a dependency as `name` or, when several versions exist, `name version`.
            let listed = root_dependencies
                .iter()
                .any(|d| d == name || *d == format!("{name} {version}"));
            (listed && direct.iter().any(|d| d == name)).then(|| PinnedCrate {
                name: name.to_owned(),
                version: version.to_owned(),
            })
        })
        .collect();
    pinned.sort_by(|a, b| a.name.cmp(&b.name));
    pinned
}

/// What a stack build is cached under: its numeric profile's name, then a digest that changes
/// whenever anything that changes the build changes. The profile leads so that the builds of
/// both profiles can be kept side by side (see `StackCache::publish`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackKey(String);

impl StackKey {
    /// The key for this kernel's manifest and lock, built by the compiler `rustc_version`
    /// describes (the output of `rustc -vV`) for the numeric profile `profile`.
    pub fn for_this_kernel(rustc_version: &str, profile: NumericProfile) -> Self {
        Self::compute(MANIFEST, LOCK, rustc_version, profile)
    }

    fn compute(manifest: &str, lock: &str, rustc_version: &str, profile: NumericProfile) -> Self {
        // The portable profile builds matrixmultiply with its kernel selection restricted.
        let numerics = format!(
            "numerics {} {}={}",
            profile.name(),
            GEMM_FEATURES_ENV,
            profile.gemm_features().unwrap_or("")
        );
        let index_format = format!("stack index format {}", repronote_stack_index::FORMAT);
        let mut hasher = Sha256::new();
        for part in [
            // v2: sessions take the stack by rustc flags recorded at build time.
            "repronote stack v2",
            env!("CARGO_PKG_VERSION"),
            // The crate evcxr generates (profile, flags) comes with the evcxr version.
            "evcxr 0.22.0",
            // The sources of the path dependencies (linfa-export, the cell prelude).
            env!("REPRONOTE_STACK_SOURCES"),
            // The completion and type-alias index published with the stack.
            index_format.as_str(),
            numerics.as_str(),
            manifest,
            lock,
            rustc_version,
        ] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
        Self(format!(
            "{}-{}",
            profile.name(),
            hex::encode(&hasher.finalize()[..8])
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The profile part of the key: builds whose keys share it replace one another.
    pub fn profile_name(&self) -> &str {
        self.0
            .rsplit_once('-')
            .map_or(self.0.as_str(), |(profile, _)| profile)
    }
}

impl std::fmt::Display for StackKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What `rustc -vV` prints: the compiler evcxr will build cells with.
pub fn rustc_version() -> std::io::Result<String> {
    let output = std::process::Command::new("rustc").arg("-vV").output()?;
    if !output.status.success() {
        return Err(std::io::Error::other(format!(
            "`rustc -vV` failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_dependency_becomes_one_line() {
        let dependencies = dependencies().unwrap();
        let names: Vec<&str> = dependencies.iter().map(|d| d.name.as_str()).collect();
        for expected in [
            "linfa",
            "linfa-clustering",
            "linfa-datasets",
            "ndarray",
            "rand",
            "rand_xoshiro",
            "plotters",
            "linfa-export",
        ] {
            assert!(
                names.contains(&expected),
                "{expected} missing from {names:?}"
            );
        }
        for dependency in &dependencies {
            let line = format!("{} = {}", dependency.name, dependency.config);
            let parsed: toml::Table = line.parse().unwrap_or_else(|e| panic!("{line}: {e}"));
            assert!(parsed.contains_key(&dependency.name));
            assert!(!line.contains('\n'));
        }
    }

    #[test]
    fn path_dependencies_become_absolute_and_missing_ones_are_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("present")).unwrap();
        let manifest = "[dependencies]\nhere = { path = \"present\" }\n";
        let found = dependencies_of(manifest, dir.path()).unwrap();
        let expected = dir.path().join("present").canonicalize().unwrap();
        assert_eq!(
            found[0].config,
            format!("{{ path = \"{}\" }}", expected.display())
        );

        let manifest = "[dependencies]\ngone = { path = \"absent\" }\n";
        let error = dependencies_of(manifest, dir.path()).unwrap_err();
        assert!(error.to_string().contains("`gone`"), "{error}");
        assert!(error.to_string().contains("Rebuild"), "{error}");
    }

    #[test]
    fn the_lock_pins_what_linfa_needs() {
        let pinned = pinned_versions();
        let version = |name: &str| {
            pinned
                .iter()
                .find(|p| p.name == name)
                .map(|p| p.version.as_str())
                .unwrap_or_else(|| panic!("{name} is not pinned: {pinned:?}"))
        };
        assert_eq!(version("linfa"), "0.8.1");
        assert!(version("ndarray").starts_with("0.16."));
        assert!(version("rand").starts_with("0.8."));
        assert_eq!(version("rand_xoshiro"), "0.6.0");
    }

    #[test]
    fn the_key_follows_every_input() {
        use NumericProfile::{Native, Portable};
        let base = StackKey::compute("m", "l", "rustc 1", Portable);
        assert_eq!(base, StackKey::compute("m", "l", "rustc 1", Portable));
        assert_ne!(base, StackKey::compute("m2", "l", "rustc 1", Portable));
        assert_ne!(base, StackKey::compute("m", "l2", "rustc 1", Portable));
        assert_ne!(base, StackKey::compute("m", "l", "rustc 2", Portable));
        // Length-prefixed: moving a byte between parts changes the key.
        assert_ne!(
            StackKey::compute("ab", "c", "r", Portable),
            StackKey::compute("a", "bc", "r", Portable)
        );
        let native = StackKey::compute("m", "l", "rustc 1", Native);
        assert_ne!(base.as_str()[12..], native.as_str()[7..]);
        assert!(base.as_str().starts_with("portable-v1-"));
        assert_eq!(base.profile_name(), "portable-v1");
        assert_eq!(native.profile_name(), "native");
        assert_eq!(base.as_str().len(), "portable-v1-".len() + 16);
    }
}
