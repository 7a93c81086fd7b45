//! From an exported model to a repository that relaunches the environment that made it.
//!
//! [`relaunch`] verifies the artifact, then writes a folder ready to push: the artifact under
//! `model/` (with its signature, if it has one), a notebook that verifies it against the
//! artifact digest it was made for, loads and uses it, a `binder/` folder pinned to the
//! compiler the manifest records (the kernel it installs pins the crate versions with its lock,
//! and the notebook compares them with the manifest's), and a README with the launch badges and
//! the model card. Whoever receives a model can open the environment it came from with one click.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::format::manifest::{
    MANIFEST_FILE, MODEL_CARD_FILE, Manifest, ModelInfo, SIGNATURE_FILE,
};
use crate::trust::verify::{VerifyOptions, verify_quiet};

/// Python and JupyterLab of the generated environment: those of this project's `binder/`.
pub const PYTHON_VERSION: &str = "3.11.7";
pub const JUPYTERLAB_VERSION: &str = "4.6.6";
/// Where the kernel is built from, and the tag of its release (`v` + kernel version).
pub const KERNEL_REPOSITORY: &str = env!("CARGO_PKG_REPOSITORY");
/// The notebook the generated repository opens.
pub const NOTEBOOK_FILE: &str = "use-the-model.ipynb";

/// Where the generated repository will live, for its badges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelaunchOptions {
    /// `OWNER/REPO` on GitHub.
    pub github: String,
    /// The branch the badges open.
    pub branch: String,
}

/// Why no repository was written.
#[derive(Debug, thiserror::Error)]
pub enum RelaunchError {
    #[error("{dir} does not verify ({problems}); only a verified artifact can be relaunched")]
    Unverified { dir: PathBuf, problems: String },
    #[error("{path} already exists: choose a new folder for the repository (nothing was written)")]
    TargetExists { path: PathBuf },
    #[error("`{0}` is not OWNER/REPO (for example my-lab/iris-model)")]
    BadGithub(String),
    #[error(
        "the manifest records the compiler as `{0}`; a relaunch needs a version such as rustc 1.95.0"
    )]
    UnknownCompiler(String),
    #[error("could not {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What was written.
#[derive(Debug, Clone)]
pub struct RelaunchReport {
    pub dir: PathBuf,
    pub files: Vec<PathBuf>,
}

/// Writes the repository for the artifact at `artifact` into the new folder `target`.
pub fn relaunch(
    artifact: &Path,
    target: &Path,
    options: &RelaunchOptions,
) -> Result<RelaunchReport, RelaunchError> {
    let manifest = match verify_quiet(artifact, &VerifyOptions::default()).into_result() {
        Ok(verified) => verified.manifest,
        Err(refused) => {
            let problems: Vec<String> = refused.problems.iter().map(ToString::to_string).collect();
            return Err(RelaunchError::Unverified {
                dir: artifact.to_owned(),
                problems: problems.join("; "),
            });
        }
    };
    if !valid_github(&options.github) {
        return Err(RelaunchError::BadGithub(options.github.clone()));
    }
    if target.exists() {
        return Err(RelaunchError::TargetExists {
            path: target.to_owned(),
        });
    }
    let rust = rustc_version(&manifest.toolchain.rustc)
        .ok_or_else(|| RelaunchError::UnknownCompiler(manifest.toolchain.rustc.clone()))?;
    let kernel_version = manifest
        .provenance
        .as_ref()
        .and_then(|p| p.kernel.as_ref())
        .map(|k| k.version.clone());

    let mut writer = Writer {
        root: target.to_owned(),
        files: Vec::new(),
    };
    let mut names: Vec<&str> = manifest.files.keys().map(String::as_str).collect();
    names.push(MANIFEST_FILE);
    // The signature travels with the model, so the repository's model stays checkable by key.
    if std::fs::symlink_metadata(artifact.join(SIGNATURE_FILE)).is_ok_and(|m| m.is_file()) {
        names.push(SIGNATURE_FILE);
    }
    for name in names {
        let from = artifact.join(name);
        let bytes = std::fs::read(&from).map_err(io("read", &from))?;
        writer.write(&Path::new("model").join(name), &bytes)?;
    }
    writer.write(
        Path::new("binder/environment.yml"),
        environment(&rust).as_bytes(),
    )?;
    writer.write(
        Path::new("binder/postBuild"),
        post_build(kernel_version.as_deref()).as_bytes(),
    )?;
    writer.make_executable(Path::new("binder/postBuild"))?;
    let notebook = serde_json::to_string_pretty(&notebook(&manifest)).expect("JSON values print");
    writer.write(Path::new(NOTEBOOK_FILE), format!("{notebook}\n").as_bytes())?;
    let card = std::fs::read_to_string(artifact.join(MODEL_CARD_FILE)).unwrap_or_default();
    writer.write(
        Path::new("README.md"),
        readme(&manifest, options, &card).as_bytes(),
    )?;
    Ok(RelaunchReport {
        dir: target.to_owned(),
        files: writer.files,
    })
}

struct Writer {
    root: PathBuf,
    files: Vec<PathBuf>,
}

impl Writer {
    fn write(&mut self, relative: &Path, bytes: &[u8]) -> Result<(), RelaunchError> {
        let path = self.root.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io("create", parent))?;
        }
        std::fs::write(&path, bytes).map_err(io("write", &path))?;
        self.files.push(relative.to_owned());
        Ok(())
    }

    fn make_executable(&self, relative: &Path) -> Result<(), RelaunchError> {
        use std::os::unix::fs::PermissionsExt;
        let path = self.root.join(relative);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .map_err(io("make executable", &path))
    }
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> RelaunchError {
    let path = path.to_owned();
    move |source| RelaunchError::Io {
        action,
        path,
        source,
    }
}

fn valid_github(name: &str) -> bool {
    let parts: Vec<&str> = name.split('/').collect();
    parts.len() == 2
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        })
}

/// `1.95.0` from `rustc 1.95.0 (59807616e 2026-04-14)`.
pub fn rustc_version(rustc: &str) -> Option<String> {
    let version = rustc.strip_prefix("rustc ")?.split_whitespace().next()?;
    let valid =
        version.split('.').count() == 3 && version.split('.').all(|p| p.parse::<u32>().is_ok());
    valid.then(|| version.to_owned())
}

/// The Rust type a model of `info` loads as, e.g.
/// `linfa_clustering::KMeans<f64, linfa_nn::distance::L2Dist>`.
pub fn rust_type(info: &ModelInfo) -> String {
    let params: Vec<String> = info
        .type_params
        .iter()
        .map(|tag| match tag.as_str() {
            "L1Dist" | "L2Dist" | "LInfDist" => format!("linfa_nn::distance::{tag}"),
            "LpDist" => "linfa_nn::distance::LpDist<f64>".to_owned(),
            "Pr" => "linfa::dataset::Pr".to_owned(),
            other => other.to_owned(),
        })
        .collect();
    if params.is_empty() {
        info.model_type.clone()
    } else {
        format!("{}<{}>", info.model_type, params.join(", "))
    }
}

fn environment(rust: &str) -> String {
    format!(
        "# The environment that exported this model, for mybinder.org and SageMaker Studio Lab.\n\
         name: linfa-model\n\
         channels:\n  - conda-forge\n  - nodefaults\n\
         dependencies:\n  - python={PYTHON_VERSION}\n  - jupyterlab={JUPYTERLAB_VERSION}\n  \
         - rust={rust}\n  - rust-src={rust}\n"
    )
}

fn post_build(kernel_version: Option<&str>) -> String {
    let source = match kernel_version {
        Some(version) => format!("--git {KERNEL_REPOSITORY} --tag v{version}"),
        None => format!("--git {KERNEL_REPOSITORY}"),
    };
    format!(
        "#!/usr/bin/env bash\n\
         # Installs the linfa kernel that exported this model (its lock pins the crate versions)\n\
         # and prebuilds its linfa stack. Studio Lab: run `binder/postBuild --user` once.\n\
         set -euo pipefail\n\
         scope=\"${{1:---sys-prefix}}\"\n\
         prefix=\"${{CONDA_PREFIX:-${{NB_PYTHON_PREFIX:-$(python3 -c 'import sys; print(sys.prefix)')}}}}\"\n\
         cargo install --locked --root \"$prefix\" {source} repronote\n\
         CONDA_PREFIX=\"$prefix\" \"$prefix/bin/repronote\" install \"$scope\"\n\
         rm -rf \"${{CARGO_HOME:-$HOME/.cargo}}/registry/cache\" \"${{CARGO_HOME:-$HOME/.cargo}}/git/db\"\n"
    )
}

fn code_cell(id: &str, source: &str) -> Value {
    json!({"cell_type": "code", "id": id, "metadata": {}, "execution_count": null,
           "outputs": [], "source": source})
}

fn markdown_cell(id: &str, source: &str) -> Value {
    json!({"cell_type": "markdown", "id": id, "metadata": {}, "source": source})
}

fn notebook(manifest: &Manifest) -> Value {
    let model_type = rust_type(&manifest.model);
    let seed = manifest.provenance.as_ref().and_then(|p| p.seed);
    let mut cells = vec![
        markdown_cell(
            "about",
            &format!(
                "# {}\n\nThis repository relaunches the environment that exported the model in \
                 `model/`. The cells below verify every file against the manifest and the \
                 artifact digest it was published with, load the model \
                 (`{model_type}`), compare the crate versions it was built with to this session's, \
                 and use it.",
                manifest.card.name
            ),
        ),
        code_cell(
            "verify",
            &format!(
                "// The digest of the model this repository was made for: a fork that swaps the\n\
                 // files (and re-seals the manifest) is refused here.\n\
                 let trust = linfa_export::Trust::digest(\"{}\").unwrap();\n\
                 let verified = linfa_export::verify_trusted(\"model\", &trust)\n    \
                 .unwrap_or_else(|refused| panic!(\"{{refused}}\"));\n\
                 println!(\"verified {{}} files; artifact sha256 {{}}\", verified.files_hashed,\n    \
                 verified.digest());",
                manifest.artifact_sha256
            ),
        ),
        code_cell(
            "load",
            &format!(
                "let loaded = linfa_export::load_trusted::<{model_type}>(\"model\", &trust).unwrap();\n\
                 let model = loaded.model;\n\
                 let manifest = loaded.manifest;\n\
                 println!(\"{{}} trained with seed {{:?}}\", manifest.model.full_type(),\n    \
                 manifest.provenance.as_ref().and_then(|p| p.seed));"
            ),
        ),
        code_cell(
            "versions",
            "let here = linfa_export::locked_crates();\n\
             let mut differences = 0;\n\
             for (name, version) in &manifest.crates {\n    \
             if here.get(name) != Some(version) {\n        \
             differences += 1;\n        \
             println!(\"{name}: exported with {version}, this session has {:?}\", here.get(name));\n    \
             }\n\
             }\n\
             println!(\"{} crate versions compared, {differences} differ\", manifest.crates.len());",
        ),
    ];
    if let Some(records) = manifest.data.as_ref().map(|d| &d.records)
        && let [_, features] = records.shape[..]
    {
        cells.push(code_cell(
            "use",
            &format!(
                "use linfa::prelude::*;\n\
                 // One row of zeros with the {features} features the model was trained on.\n\
                 let sample = ndarray::Array2::<f64>::zeros((1, {features}));\n\
                 model.predict(&sample)"
            ),
        ));
    } else {
        cells.push(code_cell("use", "format!(\"{model:?}\").len()"));
    }
    let mut metadata = json!({
        "kernelspec": {"name": "linfa", "display_name": "Rust (linfa)", "language": "rust"},
        "language_info": {"name": "rust"}
    });
    if let Some(seed) = seed {
        metadata["linfa"] = json!({"seed": seed});
    }
    json!({"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5})
}

fn readme(manifest: &Manifest, options: &RelaunchOptions, card: &str) -> String {
    let RelaunchOptions { github, branch } = options;
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", manifest.card.name);
    let _ = writeln!(
        out,
        "[![Launch on Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/{github}/{branch}?urlpath=lab/tree/{NOTEBOOK_FILE})\n\
         [![Open in SageMaker Studio Lab](https://studiolab.sagemaker.aws/studiolab.svg)](https://studiolab.sagemaker.aws/import/github/{github}/blob/{branch}/{NOTEBOOK_FILE})\n"
    );
    let _ = writeln!(
        out,
        "The model in `model/` (`{}`, artifact sha256 `{}`) with the environment that exported \
         it: `binder/` pins the compiler ({}) and installs the kernel whose lock pins the crate \
         versions. `{NOTEBOOK_FILE}` verifies every file, loads the model and compares versions.\n\n\
         On Studio Lab: build the environment from `binder/environment.yml` when asked, then run \
         `binder/postBuild --user` once in a terminal.\n",
        manifest.model.full_type(),
        manifest.artifact_sha256,
        manifest.toolchain.rustc
    );
    out.push_str("## Model card\n\n");
    // The card's own front matter is for model hubs; the README shows its text.
    let body = card
        .strip_prefix("---\n")
        .and_then(|rest| rest.split_once("\n---\n"))
        .map_or(card, |(_, body)| body);
    out.push_str(body.trim_start());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiler_versions_are_read_from_rustc_output() {
        assert_eq!(
            rustc_version("rustc 1.95.0 (59807616e 2026-04-14)").as_deref(),
            Some("1.95.0")
        );
        assert_eq!(rustc_version("rustc 1.95.0-nightly"), None);
        assert_eq!(rustc_version("cargo 1.95.0"), None);
    }

    #[test]
    fn model_types_are_written_with_full_paths() {
        let info = ModelInfo {
            model_type: "linfa_clustering::KMeans".to_owned(),
            type_params: vec!["f64".to_owned(), "L2Dist".to_owned()],
            crate_name: "linfa-clustering".to_owned(),
            crate_version: "0.8.1".to_owned(),
        };
        assert_eq!(
            rust_type(&info),
            "linfa_clustering::KMeans<f64, linfa_nn::distance::L2Dist>"
        );
    }

    #[test]
    fn repository_names_are_checked() {
        assert!(valid_github("my-lab/iris.model"));
        for bad in ["iris", "a/b/c", "/b", "a/", "a b/c"] {
            assert!(!valid_github(bad), "{bad}");
        }
    }
}
