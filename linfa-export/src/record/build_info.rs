//! What this library was built with, captured by `build.rs`.
//!
//! A manifest states the toolchain and crate versions that produced a model so
//! a reader can tell whether it can load it; those facts belong to the build,
//! not to the machine running it, so they are baked in at compile time.

use std::collections::BTreeMap;

use crate::format::manifest::Toolchain;

include!(concat!(env!("OUT_DIR"), "/locked_crates.rs"));

/// `rustc -V` of the compiler that built this library.
pub const RUSTC_VERSION: &str = env!("LINFA_EXPORT_RUSTC_VERSION");
/// Target triple this library was built for.
pub const TARGET: &str = env!("LINFA_EXPORT_TARGET");
/// Version of linfa-export itself.
pub const LINFA_EXPORT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Versions of the linfa crates, ndarray and the serde stack this build uses.
pub fn locked_crates() -> BTreeMap<String, String> {
    LOCKED_CRATES
        .iter()
        .map(|(name, version)| ((*name).to_owned(), (*version).to_owned()))
        .collect()
}

/// Version of one tracked crate in this build.
pub fn locked_version(crate_name: &str) -> Option<&'static str> {
    LOCKED_CRATES
        .iter()
        .find(|(name, _)| *name == crate_name)
        .map(|(_, version)| *version)
}

/// The toolchain section of a manifest written by this build.
pub fn toolchain() -> Toolchain {
    Toolchain {
        rustc: RUSTC_VERSION.to_owned(),
        target: TARGET.to_owned(),
        linfa_export: LINFA_EXPORT_VERSION.to_owned(),
    }
}

/// Whether two versions of a crate share a serialized model format, by the
/// semver convention crates follow: same major version, or for 0.x the same
/// minor version (`0.8.1` reads `0.8.0`, not `0.7.3`).
pub fn format_compatible(a: &str, b: &str) -> bool {
    fn key(v: &str) -> Option<(u64, u64)> {
        let mut parts = v.split(['.', '-', '+']);
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next().unwrap_or("0").parse().ok()?;
        Some(if major == 0 { (0, minor) } else { (major, 0) })
    }
    matches!((key(a), key(b)), (Some(x), Some(y)) if x == y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compatibility_follows_semver() {
        assert!(format_compatible("0.8.1", "0.8.0"));
        assert!(!format_compatible("0.8.1", "0.7.1"));
        assert!(format_compatible("1.2.3", "1.9.0"));
        assert!(!format_compatible("1.2.3", "2.0.0"));
        assert!(!format_compatible("garbage", "0.8.1"));
    }

    #[test]
    fn build_facts_are_captured() {
        assert!(RUSTC_VERSION.starts_with("rustc "), "{RUSTC_VERSION}");
        assert!(TARGET.contains('-'), "{TARGET}");
        assert_eq!(locked_version("linfa"), Some("0.8.1"));
        assert!(locked_version("ndarray").is_some_and(|v| v.starts_with("0.16.")));
    }
}
