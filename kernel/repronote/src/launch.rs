//! `repronote launch`: run one kernel for the connection file a Jupyter client wrote.
//!
//! Wires the layers together: the interpreter starts on its own thread (evcxr compiles for a
//! few seconds) while the sockets are bound at once, so `kernel_info` is answered right away.
//! SIGINT interrupts the running cell, like the interrupt button; SIGTERM and a
//! `shutdown_request` stop the running cell and end the process.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::Context as _;
use jupyter_protocol::connection_info::ConnectionInfo;
use tokio::signal::unix::{SignalKind, signal};

use repronote_core::interpreter::InterpreterHandle;
use repronote_core::protocol::{Outbox, Serving};
use repronote_evcxr::interpreter::evcxr::{self, SessionFiles, SessionFilesGuard, StackSetup};
use repronote_evcxr::interpreter::evcxr_stack::{StackError, StackPlan, numerics_env};
use repronote_prelude::numerics::NumericProfile;
use repronote_seeding::seeded::Seeded;
use repronote_stack::{Session, StackCache};
use repronote_zmq::wire::WireCodec;

/// Runs the kernel until it is shut down.
pub fn launch(connection_file: &Path) -> anyhow::Result<()> {
    // First: entering a session re-executes this process (see `Session::enter`).
    let stack = prepare_stack();
    let text = std::fs::read_to_string(connection_file).with_context(|| {
        format!(
            "cannot read the connection file {}",
            connection_file.display()
        )
    })?;
    let info: ConnectionInfo = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a Jupyter connection file",
            connection_file.display()
        )
    })?;
    let codec = WireCodec::new(&info.key, &info.signature_scheme)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(info, codec, stack))
}

/// The session folder and the plan for the preloaded stack; an error leaves the kernel usable
/// without the stack (the first cell says why).
fn prepare_stack() -> Result<StackSetup, StackError> {
    let profile = NumericProfile::from_env()?;
    let cache = StackCache::open()?;
    let session = Session::enter(
        &cache,
        &evcxr::DEFERRED_STD_SESSION_ENV,
        &numerics_env(profile),
    )?;
    let plan = StackPlan::new(cache, profile)?;
    Ok(StackSetup {
        plan,
        session: Arc::new(session),
    })
}

async fn serve(
    info: ConnectionInfo,
    codec: WireCodec,
    stack: Result<StackSetup, StackError>,
) -> anyhow::Result<()> {
    let session = stack.as_ref().ok().map(|setup| setup.session.clone());
    let profile = match &stack {
        Ok(setup) => setup.plan.profile,
        Err(_) => NumericProfile::from_env().unwrap_or_default(),
    };
    // Kept here, not on the interpreter thread, so it is removed however that thread ends.
    let files =
        SessionFilesGuard(SessionFiles::create().context("cannot create the output flush FIFO")?);
    let session_files = files.0.clone();
    let build_lines = repronote_evcxr::build_progress::capture_stderr()
        .context("cannot capture build output for the notebook")?;
    let interpreter = InterpreterHandle::spawn(move || {
        let evcxr = evcxr::start(&session_files, build_lines, stack)?;
        Ok::<_, evcxr::StartError>(Box::new(Seeded::with_numerics(evcxr, profile))
            as Box<dyn repronote_core::interpreter::Interpreter>)
    });
    let (requests, outgoing) = repronote_zmq::transport::serve(&info, codec).await?;
    let Serving {
        cancelled,
        mut shutdown_requested,
    } = repronote_core::protocol::serve(interpreter.clone(), Outbox::new(outgoing), requests);

    let mut interrupts = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
    let mut terminations = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    let interrupt = || {
        cancelled.store(true, Ordering::SeqCst);
        interpreter.interrupt();
    };
    loop {
        tokio::select! {
            _ = shutdown_requested.changed() => break,
            _ = interrupts.recv() => interrupt(),
            _ = terminations.recv() => {
                interrupt();
                break;
            }
        }
    }
    // Let the shutdown reply leave while evcxr cleans up, then close the sockets.
    let worker = interpreter.clone();
    let cleanup = tokio::task::spawn_blocking(move || worker.stop(Duration::from_secs(5)));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _ = cleanup.await;
    drop(files);
    // The last reference: removes the session folder now that evcxr is done with it.
    drop(session);
    tracing::info!("kernel shut down");
    Ok(())
}
