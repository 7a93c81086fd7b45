//! Whether the data an artifact was trained on is where a re-run will look for it.
//!
//! Re-running a notebook needs its data, which an artifact does not ship (it may be private or
//! large); the manifest only fingerprints it. When the fingerprint's `source` names a file by
//! a relative path, a re-run in another folder reads it from there: checking that it is
//! present first turns "the third cell failed with No such file" into "this file is missing,
//! and here is the exact data it must hold".

use std::fmt;
use std::path::{Path, PathBuf};

use crate::format::error::VerifyError;
use crate::format::fingerprint::ArrayFingerprint;
use crate::format::manifest::check_relative_path;
use crate::trust::verify::{self, VerifyOptions};

/// What the artifact's data fingerprint says about a data folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataCheck {
    /// The manifest has no data fingerprint.
    NoFingerprint,
    /// The fingerprint's `source` is not a relative file path (absent, a URL, a description
    /// such as `linfa-datasets 0.8.1`), so there is nothing to look for.
    NotAFile { source: Option<String> },
    /// The file `source` names is in the data folder (its content is not checked: the
    /// fingerprint is of the arrays read from it, not of the file).
    Present { path: PathBuf },
    /// The file `source` names is not in the data folder.
    Missing(MissingData),
}

impl DataCheck {
    /// The missing file, if that is the answer.
    pub fn missing(&self) -> Option<&MissingData> {
        match self {
            Self::Missing(missing) => Some(missing),
            _ => None,
        }
    }
}

/// A data file the artifact was trained on that is not in the data folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingData {
    /// Where it was looked for: the data folder joined with `source`.
    pub path: PathBuf,
    /// The manifest's `source`, a relative path.
    pub source: String,
    /// The data set's name, when the manifest gives one.
    pub name: Option<String>,
    /// The fingerprint the records read from it must have.
    pub records: ArrayFingerprint,
    /// The fingerprint the targets must have, for supervised models.
    pub targets: Option<ArrayFingerprint>,
}

impl fmt::Display for MissingData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fp = |a: &ArrayFingerprint| {
            format!(
                "shape {:?} of {}, sha256 {}",
                a.shape, a.element_type, a.sha256
            )
        };
        write!(f, "missing data: {} ", self.path.display())?;
        if let Some(name) = &self.name {
            write!(f, "(data set `{name}`) ")?;
        }
        write!(
            f,
            "is not there; its records must have {}",
            fp(&self.records)
        )?;
        if let Some(targets) = &self.targets {
            write!(f, " and its targets {}", fp(targets))?;
        }
        Ok(())
    }
}

impl fmt::Display for DataCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoFingerprint => f.write_str("no data fingerprint is recorded"),
            Self::NotAFile { source: None } => {
                f.write_str("the data fingerprint names no source file")
            }
            Self::NotAFile {
                source: Some(source),
            } => write!(f, "the data source `{source}` is not a relative file path"),
            Self::Present { path } => write!(f, "data present: {}", path.display()),
            Self::Missing(missing) => missing.fmt(f),
        }
    }
}

/// True for a `source` that names a file by a relative path: no scheme, no spaces, and a
/// path that stays inside the folder.
fn is_relative_file(source: &str) -> bool {
    !source.contains("://")
        && !source.chars().any(char::is_whitespace)
        && check_relative_path(source).is_ok()
}

/// Verifies the artifact at `artifact` (consistency) and says whether the data file its
/// fingerprint's `source` names is in `data_dir`.
pub fn check_data_folder(
    artifact: impl AsRef<Path>,
    data_dir: impl AsRef<Path>,
) -> Result<DataCheck, VerifyError> {
    let manifest = verify::verified_manifest(artifact.as_ref(), &VerifyOptions::default())?;
    let Some(data) = manifest.data else {
        return Ok(DataCheck::NoFingerprint);
    };
    let source = match data.source {
        Some(source) if is_relative_file(&source) => source,
        source => return Ok(DataCheck::NotAFile { source }),
    };
    let path = data_dir.as_ref().join(&source);
    if path.is_file() {
        return Ok(DataCheck::Present { path });
    }
    Ok(DataCheck::Missing(MissingData {
        path,
        source,
        name: data.name,
        records: data.records,
        targets: data.targets,
    }))
}

/// The data files `data_dir` lacks for a re-run of the artifact at `artifact`: empty when
/// nothing is missing or nothing can be looked for (see [`check_data_folder`]).
pub fn missing_data(
    artifact: impl AsRef<Path>,
    data_dir: impl AsRef<Path>,
) -> Result<Vec<MissingData>, VerifyError> {
    Ok(match check_data_folder(artifact, data_dir)? {
        DataCheck::Missing(missing) => vec![missing],
        _ => Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_relative_paths_are_looked_for() {
        for file in ["iris.csv", "data/train.csv"] {
            assert!(is_relative_file(file), "{file}");
        }
        for other in [
            "https://example.org/iris.csv",
            "linfa-datasets 0.8.1",
            "/data/iris.csv",
            "../iris.csv",
            "written by hand",
        ] {
            assert!(!is_relative_file(other), "{other}");
        }
    }
}
