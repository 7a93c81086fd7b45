//! `repronote prebuild`: compile the preloaded linfa stack once, into the cache every later
//! kernel starts from (see [`repronote_stack`]).
//!
//! It builds through evcxr itself, in a session like a kernel's, so the cached outputs are
//! exactly what a kernel's cells would have built: same manifest, lock, profile and flags.
//! cargo's progress goes to the terminal as it happens.

use std::time::Instant;

use anyhow::Context as _;
use evcxr::EvalContext;

use repronote_evcxr::interpreter::evcxr_stack::{StackPlan, numerics_env};
use repronote_prelude::numerics::NumericProfile;
use repronote_stack::{Session, StackCache, TemplateStatus};

/// Builds and publishes the stack unless it is already built (or `force`).
pub fn prebuild(force: bool) -> anyhow::Result<()> {
    let profile = NumericProfile::from_env()?;
    let cache = StackCache::open()?;
    // Re-executes this process with evcxr pointed at the session folder; the rest runs there.
    let session = Session::enter(&cache, &[], &numerics_env(profile))?;
    let mut plan = StackPlan::new(cache.clone(), profile)?;
    if let TemplateStatus::Ready(target) = &plan.status {
        if !force {
            println!(
                "The linfa stack is already built (key {}): {}",
                plan.key,
                target.display()
            );
            return Ok(());
        }
        cache.remove(&plan.key)?;
        plan = StackPlan::new(cache.clone(), profile)?;
    }
    eprintln!(
        "Building the linfa stack ({} crates, pinned by the kernel's lock) into {}.\n\
         This happens once per kernel version and compiler; it takes several minutes.",
        plan.dependencies.len(),
        cache.root().display()
    );
    let started = Instant::now();
    let command =
        repronote_evcxr::evaluation_process::command().context("cannot find the kernel binary")?;
    let (mut context, outputs) = EvalContext::with_subprocess_command(command)
        .map_err(|e| anyhow::anyhow!("cannot start evcxr: {e}"))?;
    // The evaluation process prints nothing unless something is wrong; then say what.
    let evcxr::EvalContextOutputs { stdout, stderr } = outputs;
    std::thread::spawn(move || while stdout.recv().is_ok() {});
    std::thread::spawn(move || {
        while let Ok(line) = stderr.recv() {
            eprintln!("evaluation process: {line}");
        }
    });
    // Through the cells' rustc wrapper, which records the stack's flags for later sessions.
    repronote_evcxr::rustc_wrapper::configure(
        &mut context,
        &session.crate_dir().join(".repronote-no-probe"),
    )
    .map_err(|e| anyhow::anyhow!("cannot configure evcxr's builds: {e}"))?;
    // No check outputs: sessions started from this build take the stack by flags, and a check
    // then reads the built libraries' metadata.
    plan.load(&mut context, &session, "")?;
    plan.publish_if_built(&session)?;
    drop(context);
    println!(
        "Built the linfa stack in {:.0} s (key {}); kernels now start with it.",
        started.elapsed().as_secs_f64(),
        plan.key
    );
    Ok(())
}
