//! Runs an [`Interpreter`] on its own OS thread and lets the async core talk to it.
//!
//! evcxr compiles and runs cells synchronously and its context is not `Send`, so the
//! interpreter is built *on* the worker thread and never leaves it. The core sends jobs and
//! awaits their answers; meanwhile it keeps serving the control channel (kernel_info,
//! interrupt, shutdown), which is why the kernel answers `kernel_info` before evcxr has finished
//! starting, and why an endless loop can be interrupted.

use std::sync::{Arc, OnceLock};

use tokio::sync::oneshot;

use super::{
    Cell, CellError, Completeness, Completions, Executed, Interpreter, Interrupt, MimeBundle,
    Outputs,
};

/// How long the interpreter waits without a request before doing its idle work: long enough
/// that cells sent one after another (a notebook run top to bottom) never wait for it.
const IDLE_AFTER: std::time::Duration = std::time::Duration::from_secs(2);

/// The worker thread has stopped (its interpreter failed to start or panicked).
#[derive(Debug, thiserror::Error)]
#[error("the Rust evaluator is not running: {0}")]
pub struct WorkerGone(pub String);

/// A question for the interpreter, answered on its thread.
type Task = Box<dyn FnOnce(&mut dyn Interpreter) + Send>;

/// What the worker thread is asked to do.
enum Job {
    Run(Task),
    /// Drop the interpreter (evcxr removes its build directory and ends the evaluation
    /// process) and end the thread.
    Stop,
}

/// The core's side of the worker: cheap to clone.
#[derive(Clone)]
pub struct InterpreterHandle {
    jobs: crossbeam_channel::Sender<Job>,
    interrupter: Arc<OnceLock<Arc<dyn Interrupt>>>,
    startup_error: Arc<OnceLock<String>>,
    stopped: crossbeam_channel::Receiver<()>,
}

impl std::fmt::Debug for InterpreterHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InterpreterHandle")
            .field("ready", &self.interrupter.get().is_some())
            .field("startup_error", &self.startup_error.get())
            .finish()
    }
}

impl InterpreterHandle {
    /// Starts the worker; `build` runs on the new thread and may take long (evcxr compiles).
    /// Its error, if any, is what every later request is answered with.
    pub fn spawn<F, E>(build: F) -> Self
    where
        F: FnOnce() -> Result<Box<dyn Interpreter>, E> + Send + 'static,
        E: std::fmt::Display,
    {
        let (jobs, queue) = crossbeam_channel::unbounded::<Job>();
        let (stopping, stopped) = crossbeam_channel::bounded::<()>(0);
        let interrupter = Arc::new(OnceLock::new());
        let startup_error = Arc::new(OnceLock::new());
        let handle = Self {
            jobs,
            interrupter: interrupter.clone(),
            startup_error: startup_error.clone(),
            stopped,
        };
        std::thread::Builder::new()
            .name("interpreter".to_owned())
            .spawn(move || {
                // Dropped when this thread ends, which wakes whoever waits in `stop`.
                let _stopping = stopping;
                let mut interpreter = match build() {
                    Ok(interpreter) => interpreter,
                    Err(error) => {
                        let message = error.to_string();
                        tracing::error!("the Rust evaluator failed to start: {message}");
                        let _ = startup_error.set(message);
                        return; // dropping `queue` makes every job answer WorkerGone
                    }
                };
                let _ = interrupter.set(interpreter.interrupter());
                let mut idle_done = false;
                loop {
                    let job = if idle_done {
                        queue.recv().ok()
                    } else {
                        match queue.recv_timeout(IDLE_AFTER) {
                            Ok(job) => Some(job),
                            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                                idle_done = true;
                                interpreter.idle();
                                continue;
                            }
                            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => None,
                        }
                    };
                    match job {
                        Some(Job::Run(job)) => job(interpreter.as_mut()),
                        Some(Job::Stop) | None => break,
                    }
                }
            })
            .expect("the OS can start a thread");
        handle
    }

    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut dyn Interpreter) -> T + Send + 'static,
    ) -> Result<T, WorkerGone> {
        let (answer, answered) = oneshot::channel();
        let job = Job::Run(Box::new(move |interpreter| {
            let _ = answer.send(job(interpreter));
        }));
        let gone = || {
            WorkerGone(
                self.startup_error
                    .get()
                    .cloned()
                    .unwrap_or_else(|| "its thread stopped".to_owned()),
            )
        };
        self.jobs.send(job).map_err(|_| gone())?;
        answered.await.map_err(|_| gone())
    }

    pub async fn execute(
        &self,
        cell: Cell,
        outputs: Outputs,
    ) -> Result<Result<Executed, CellError>, WorkerGone> {
        self.run(move |interpreter| interpreter.execute(&cell, &outputs))
            .await
    }

    pub async fn complete(
        &self,
        code: String,
        cursor_pos: usize,
    ) -> Result<Completions, WorkerGone> {
        self.run(move |interpreter| interpreter.complete(&code, cursor_pos))
            .await
    }

    pub async fn inspect(
        &self,
        code: String,
        cursor_pos: usize,
        detail_level: u8,
    ) -> Result<Option<MimeBundle>, WorkerGone> {
        self.run(move |interpreter| interpreter.inspect(&code, cursor_pos, detail_level))
            .await
    }

    /// Answered without waiting for the worker: completeness is a property of the text alone.
    pub fn is_complete(&self, code: &str) -> Completeness {
        super::completeness::classify(code)
    }

    /// Interrupts the running cell, then lets the worker drop the interpreter so evcxr cleans
    /// up its build directory and evaluation process; waits at most `timeout` for that.
    pub fn stop(&self, timeout: std::time::Duration) {
        self.interrupt();
        if self.jobs.send(Job::Stop).is_ok() {
            let _ = self.stopped.recv_timeout(timeout);
        }
    }

    /// Interrupts the running cell; a no-op while the interpreter is still starting.
    pub fn interrupt(&self) {
        if let Some(interrupter) = self.interrupter.get() {
            interrupter.interrupt();
        }
    }
}
