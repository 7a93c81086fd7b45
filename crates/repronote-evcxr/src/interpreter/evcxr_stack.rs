//! Puts the preloaded stack into an evcxr context: the dependency lines, the lock, and a
//! session target folder started from the prebuilt template.
//!
//! evcxr checks each `:dep` by running `cargo metadata` on a throwaway manifest in the cells'
//! folder, and that rewrites `Cargo.lock` with only that dependency's crates. The lock is
//! therefore written back before every check and once more before the build, so the build sees
//! exactly the shipped pins (and, with every crate already locked, cargo resolves nothing).

use std::time::Instant;

use evcxr::{EvalContext, EvalOutputs};

use repronote_stack::cache::CacheError;
use repronote_stack::manifest::{self, Dependency, LOCK, ManifestError};
use repronote_stack::{Session, StackCache, StackKey, TemplateStatus};

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
    #[error("cannot run `rustc -vV` to identify the compiler: {0}. Is the Rust toolchain on PATH?")]
    Rustc(std::io::Error),
    #[error("adding `{name}` to the cells' dependencies failed: {message}")]
    Dependency { name: String, message: String },
    #[error("building the linfa stack failed: {0}")]
    Build(String),
}

/// What the kernel knows about the stack before it loads it.
#[derive(Debug)]
pub struct StackPlan {
    pub cache: StackCache,
    pub key: StackKey,
    pub status: TemplateStatus,
    pub dependencies: Vec<Dependency>,
    rustc_version: String,
}

impl StackPlan {
    pub fn new(cache: StackCache) -> Result<Self, StackError> {
        let rustc_version = manifest::rustc_version().map_err(StackError::Rustc)?;
        let key = StackKey::for_this_kernel(&rustc_version);
        Ok(Self {
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
            "built_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "crates": manifest::pinned_versions(),
        })
    }

    /// Starts `session` from the prebuilt template, when there is one; returns whether it did.
    pub fn start_session(&self, session: &Session) -> Result<bool, StackError> {
        match &self.status {
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
        tracing::info!(
            "stack loaded in {:.1?} ({})",
            started.elapsed(),
            super::evcxr::describe_phases(&outputs)
        );
        Ok(outputs)
    }

    /// Fills the check-mode outputs of the stack (`cargo check` builds metadata of every
    /// dependency separately from a build). evcxr runs a check whenever it cannot type a
    /// binding, which the kernel then types; without these outputs the first such cell would
    /// wait for every crate of the stack to be checked. Run after [`Self::load`], before
    /// publishing.
    pub fn fill_check_outputs(&self, context: &mut EvalContext) {
        let started = Instant::now();
        // Fails on purpose, after the check: evcxr cannot type `model` (see type_probe).
        let _ = context.eval(CHECK_WARM_UP);
        tracing::info!("check outputs built in {:.1?}", started.elapsed());
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
