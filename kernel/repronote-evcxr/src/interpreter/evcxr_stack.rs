//! Puts the preloaded stack into an evcxr context. Building it, the stack goes in as dependency
//! lines with the shipped lock, and the rustc wrapper records the flags cargo passes for it; a
//! session started from the prebuilt template gets only those flags (see
//! [`crate::stack_externs`]), so evcxr's `Cargo.toml` and rust-analyzer never see the stack.
//!
//! evcxr checks each `:dep` by running `cargo metadata` on a throwaway manifest in the cells'
//! folder, and that rewrites `Cargo.lock` with only that dependency's crates. The lock is
//! therefore written back before every check and once more before the build, so the build sees
//! exactly the shipped pins (and, with every crate already locked, cargo resolves nothing).

use std::time::Instant;

use evcxr::{EvalContext, EvalOutputs};

use repronote_prelude::numerics::{
    GEMM_FEATURES_ENV, NUMERICS_ENV, NumericProfile, UnknownProfile,
};
use repronote_stack::cache::CacheError;
use repronote_stack::manifest::{self, Dependency, LOCK, ManifestError};
use repronote_stack::{Session, StackCache, StackKey, TemplateStatus};

use crate::stack_externs::{ExternsMode, STACK_EXTERNS_ENV, STACK_EXTERNS_FILE};

/// A cell that makes evcxr run `cargo check` (see [`StackPlan::fill_check_outputs`]).
const CHECK_WARM_UP: &str = "use linfa::prelude::*;\n\
    let linfa_kernel_check = linfa_clustering::KMeans::params(2).fit(&linfa_datasets::iris()).unwrap();";

/// Why the stack could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error(transparent)]
    Numerics(#[from] UnknownProfile),
    #[error("cannot run `rustc -vV` to identify the compiler: {0}. Is the Rust toolchain on PATH?")]
    Rustc(std::io::Error),
    #[error("adding `{name}` to the cells' dependencies failed: {message}")]
    Dependency { name: String, message: String },
    #[error("building the linfa stack failed: {0}")]
    Build(String),
    #[error(
        "the prebuilt stack has no recorded compiler flags ({}); it was built by an older \
         kernel. Run `repronote prebuild --force`",
        .0.display()
    )]
    NoExterns(std::path::PathBuf),
    #[error("the prebuilt stack did not load: {0}")]
    Attach(String),
    #[error("cannot use the prebuilt stack's compiler flags in {}: {source}", path.display())]
    Flags {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

/// What the kernel knows about the stack before it loads it.
#[derive(Debug)]
pub struct StackPlan {
    pub cache: StackCache,
    pub key: StackKey,
    pub status: TemplateStatus,
    pub dependencies: Vec<Dependency>,
    /// The session's numeric profile, which the stack is built for.
    pub profile: NumericProfile,
    rustc_version: String,
}

/// What a session's process must have in its environment for `profile`, for
/// `Session::enter`: matrixmultiply's compile-time kernel restriction for every build the session
/// makes (the stack's and the cells'), and the profile's name for the evaluation process.
pub fn numerics_env(profile: NumericProfile) -> [(&'static str, Option<&'static str>); 2] {
    [
        (GEMM_FEATURES_ENV, profile.gemm_features()),
        (NUMERICS_ENV, Some(profile.name())),
    ]
}

impl StackPlan {
    pub fn new(cache: StackCache, profile: NumericProfile) -> Result<Self, StackError> {
        let rustc_version = manifest::rustc_version().map_err(StackError::Rustc)?;
        let key = StackKey::for_this_kernel(&rustc_version, profile);
        Ok(Self {
            profile,
            status: cache.status(&key),
            dependencies: manifest::dependencies()?,
            cache,
            key,
            rustc_version,
        })
    }

    /// One sentence for the notebook when the stack has to be built here.
    pub fn why_building(&self) -> Option<String> {
        match &self.status {
            TemplateStatus::Ready(_) => None,
            TemplateStatus::Missing => Some(format!(
                "repronote: the preloaded linfa stack has not been built on this machine yet \
                 (no `repronote prebuild` ran). Building it now, once: {} crates, several \
                 minutes on a small machine. Later kernels reuse it from {}.\n",
                self.dependencies.len(),
                self.cache.root().display()
            )),
            TemplateStatus::Stale { found } => Some(format!(
                "repronote: the prebuilt linfa stack in {} ({}) was built for another kernel, \
                 lock file or compiler. Rebuilding it for this one (key {}): several minutes, once.\n",
                self.cache.root().display(),
                found.join(", "),
                self.key
            )),
        }
    }

    /// What `stack.json` records about a published build.
    pub fn description(&self) -> serde_json::Value {
        serde_json::json!({
            "key": self.key.as_str(),
            "kernel": env!("CARGO_PKG_VERSION"),
            "rustc": self.rustc_version.trim(),
            "numerics": self.profile.name(),
            "built_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "crates": manifest::pinned_versions(),
        })
    }

    /// Starts `session` from the prebuilt template, when there is one; returns whether it did.
    /// A template with recorded flags is used where it is (its outputs are only read): the
    /// session gets the flags with the template's paths, and nothing is copied.
    pub fn start_session(&self, session: &Session) -> Result<bool, StackError> {
        match &self.status {
            TemplateStatus::Ready(template) if template.join(STACK_EXTERNS_FILE).is_file() => {
                let recorded = template.join(STACK_EXTERNS_FILE);
                let read =
                    std::fs::read_to_string(&recorded).map_err(|source| StackError::Flags {
                        path: recorded.clone(),
                        source,
                    })?;
                let flags =
                    crate::stack_externs::relocate(&crate::stack_externs::parse(&read), template);
                let target = session.target_dir();
                let written = target.join(STACK_EXTERNS_FILE);
                std::fs::create_dir_all(&target)
                    .and_then(|()| std::fs::write(&written, crate::stack_externs::render(&flags)))
                    .map_err(|source| StackError::Flags {
                        path: written,
                        source,
                    })?;
                Ok(true)
            }
            TemplateStatus::Ready(template) => {
                let started = Instant::now();
                session.start_from(template)?;
                tracing::info!(
                    "session started from the prebuilt stack in {:.0?}",
                    started.elapsed()
                );
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// Adds the stack to `context` and evaluates `code` with it (one build for both).
    pub fn load(
        &self,
        context: &mut EvalContext,
        session: &Session,
        code: &str,
    ) -> Result<EvalOutputs, StackError> {
        let started = Instant::now();
        let mut state = context.state();
        state.set_build_env(STACK_EXTERNS_ENV, ExternsMode::Record.as_str());
        for dependency in &self.dependencies {
            session.write_lock(LOCK)?;
            state
                .add_dep(&dependency.name, &dependency.config)
                .map_err(|e| StackError::Dependency {
                    name: dependency.name.clone(),
                    message: e.to_string(),
                })?;
        }
        session.write_lock(LOCK)?;
        tracing::info!("stack dependencies added in {:.0?}", started.elapsed());
        let outputs = context
            .eval_with_state(code, state)
            .map_err(|e| StackError::Build(e.to_string()))?;
        // Completion of stack items works without it, so a failure is only logged.
        if let Err(error) =
            super::stack_index::write_index(&session.crate_dir(), &session.target_dir())
        {
            tracing::warn!("stack completion will be off: {error}");
        }
        tracing::info!(
            "stack loaded in {:.1?} ({})",
            started.elapsed(),
            super::evcxr::describe_phases(&outputs)
        );
        Ok(outputs)
    }

    /// Gives `context` the prebuilt stack of `session` by rustc flags and evaluates `code` with
    /// it: one build of the cells' crate, with no dependency for cargo to resolve and none for
    /// rust-analyzer to load.
    pub fn attach(
        &self,
        context: &mut EvalContext,
        session: &Session,
        code: &str,
    ) -> Result<EvalOutputs, StackError> {
        let started = Instant::now();
        let flags = session.target_dir().join(STACK_EXTERNS_FILE);
        if !flags.is_file() {
            return Err(StackError::NoExterns(flags));
        }
        let mut state = context.state();
        state.set_build_env(STACK_EXTERNS_ENV, ExternsMode::Use.as_str());
        let outputs = context
            .eval_with_state(code, state)
            .map_err(|e| StackError::Attach(e.to_string()))?;
        tracing::info!(
            "prebuilt stack attached in {:.1?} ({})",
            started.elapsed(),
            super::evcxr::describe_phases(&outputs)
        );
        Ok(outputs)
    }

    /// Fills the check-mode outputs of the stack in the session that built it (`cargo check`
    /// builds metadata of every dependency separately from a build). That session has the stack
    /// in its `Cargo.toml`, and the kernel's type probe is a check: without these outputs its
    /// first probe would wait for every crate of the stack to be checked. Sessions started from
    /// the published build take the stack by flags and need none, so prebuild skips this.
    pub fn fill_check_outputs(&self, context: &mut EvalContext) {
        let started = Instant::now();
        // Fails on purpose, after the check: evcxr cannot type `model` (see type_probe).
        let _ = context.eval(CHECK_WARM_UP);
        tracing::info!("check outputs built in {:.1?}", started.elapsed());
    }

    /// The target folder whose stack index the session reads: the template's when the session
    /// uses it in place, else the session's own.
    pub fn index_dir(&self, session: &Session) -> std::path::PathBuf {
        match &self.status {
            TemplateStatus::Ready(template) => template.clone(),
            _ => session.target_dir(),
        }
    }

    /// Publishes the session's build for later kernels, if this kernel had to build it.
    pub fn publish_if_built(&self, session: &Session) -> Result<(), StackError> {
        if matches!(self.status, TemplateStatus::Ready(_)) {
            return Ok(());
        }
        let template = self
            .cache
            .publish(&self.key, &session.target_dir(), &self.description())?;
        tracing::info!("published the stack build to {}", template.display());
        Ok(())
    }
}
