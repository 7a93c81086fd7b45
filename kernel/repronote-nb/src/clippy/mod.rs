//! `nb lint`'s clippy advice: what `cargo clippy` says about the cells, cell by cell.
//!
//! The cells become one program ([`assembly`]), checked in a crate that has the preloaded stack
//! as dependencies ([`lint_crate`]); clippy's warnings come back as findings on the cells they
//! are about ([`diagnostics`]).
//!
//! Some cells only compile in a session: one that adds a crate with `:dep`, one that uses what
//! a `raises-exception` cell (left out) defines, one that leans on evcxr's way of keeping
//! variables. rustc reports no lints at all for a program with an error, so those cells are
//! left out and the rest checked again, a few times at most; each left-out cell is named in a
//! note, which is not a finding.

pub mod assembly;
pub mod diagnostics;
pub mod lint_crate;

use std::path::PathBuf;

use nbformat::v4::Notebook;

use self::assembly::assemble;
use self::diagnostics::sort;
use self::lint_crate::LintCrate;
use super::lint::Finding;
use repronote_stack::cache::CacheError;
use repronote_stack::manifest::{self, ManifestError};
use repronote_stack::{StackCache, StackKey};

/// How many times a notebook is checked, leaving out more cells each time, before giving up.
const MAX_CHECKS: usize = 5;

/// Why there is no clippy advice.
#[derive(Debug, thiserror::Error)]
pub enum ClippyError {
    /// Not an error of the notebook's: `nb lint` says so once and goes on without clippy.
    #[error("clippy is not available ({0}); install it with `rustup component add clippy`")]
    Unavailable(String),
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error("cannot run `rustc -vV` to identify the compiler: {0}. Is the Rust toolchain on PATH?")]
    Rustc(std::io::Error),
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "`cargo clippy` failed in {dir} before checking the notebook; cargo said:\n{stderr}\n\
         (`--no-clippy` lints without it)"
    )]
    Cargo { dir: PathBuf, stderr: String },
    #[error(
        "the stack crate `{name}` does not compile, so clippy cannot check the notebook: \
         {message} (`--no-clippy` lints without it)"
    )]
    Dependency { name: String, message: String },
}

/// clippy's advice on one notebook.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Advice {
    /// Warnings, in cell order.
    pub findings: Vec<Finding>,
    /// What was not checked, and why.
    pub notes: Vec<String>,
}

/// clippy, ready to check notebooks.
#[derive(Debug)]
pub struct Clippy {
    krate: LintCrate,
    progress: bool,
}

impl Clippy {
    /// Finds clippy and prepares the lint crate in the stack cache; with `progress`, a slow
    /// first check reports on stderr as it goes.
    pub fn find(progress: bool) -> Result<Self, ClippyError> {
        let cache = StackCache::open()?;
        // A check build: the profile changes no diagnostic, so the default one's crate serves.
        let key = StackKey::for_this_kernel(
            &manifest::rustc_version().map_err(ClippyError::Rustc)?,
            repronote_prelude::numerics::NumericProfile::default(),
        );
        let krate = LintCrate::open(cache.lint_dir(&key)?)?;
        Ok(Self { krate, progress })
    }

    /// clippy's advice on the code cells of `notebook`.
    pub fn advise(&self, notebook: &Notebook) -> Result<Advice, ClippyError> {
        let mut advice = Advice::default();
        let mut excluded: Vec<usize> = Vec::new();
        for check in 0..MAX_CHECKS {
            let assembly = assemble(notebook, &excluded);
            if check == 0 {
                for cell in &assembly.left_out {
                    advice
                        .notes
                        .push(skipped(cell.number, &cell.id, &cell.reason));
                }
            }
            if assembly.cells.is_empty() {
                return Ok(advice);
            }
            let messages = self.krate.check(&assembly.source, self.progress)?;
            let sorted = sort(&messages, &assembly);
            if sorted.errors.is_empty() {
                if let Some(error) = sorted.other_errors.first() {
                    advice.notes.push(format!(
                        "clippy advice skipped: the assembled cells do not compile ({error}); \
                         see {}",
                        self.krate.dir().join("src/main.rs").display()
                    ));
                } else {
                    advice.findings = sorted.findings;
                }
                return Ok(advice);
            }
            for (number, error) in sorted.errors {
                let id = assembly
                    .cells
                    .iter()
                    .find(|c| c.number == number)
                    .map_or("", |c| c.id.as_str());
                let reason = format!("it does not compile outside a session: {error}");
                advice.notes.push(skipped(number, id, &reason));
                excluded.push(number);
            }
        }
        advice.notes.push(format!(
            "clippy advice skipped: the cells still do not compile after leaving out {} of them",
            excluded.len()
        ));
        Ok(advice)
    }
}

fn skipped(number: usize, id: &str, reason: &str) -> String {
    format!("clippy advice skipped for cell {number} ({id}): {reason}")
}
