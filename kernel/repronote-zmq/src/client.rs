//! A Jupyter client for one fresh kernel: how `nb run` and `nb check` execute notebooks.
//!
//! It starts the kernel command it is given ([`KernelCommand`]: the binary's `launch`) with a
//! connection file on free local ports, as a Jupyter server would start the kernelspec, and talks to it over ZeroMQ with the same signed wire
//! format ([`WireCodec`]): a DEALER socket for shell and one for control, a SUB socket for
//! iopub. Nothing is shared with the kernel but the protocol, so a notebook run here behaves as
//! it does in JupyterLab.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use jupyter_protocol::connection_info::{ConnectionInfo, Transport};
use jupyter_protocol::messaging::{
    ExecuteRequest, JupyterMessage, JupyterMessageContent, KernelInfoReply, KernelInfoRequest,
    ShutdownRequest,
};
use tokio::time::{Instant, timeout_at};
use zeromq::{DealerSocket, Socket, SocketRecv, SocketSend, SubSocket, ZmqMessage};

use crate::wire::WireCodec;
use repronote_core::protocol::SEED_IDENTITY_METADATA;

/// The program that runs a kernel, and the arguments before `--connection-file FILE`: what a
/// kernelspec's `argv` says, the caller's choice rather than whatever binary runs this code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelCommand {
    pub program: PathBuf,
    pub args: Vec<String>,
}

/// The kernelspec name a notebook run here records (the one `repronote install` registers).
pub const KERNEL_NAME: &str = "linfa";

/// How long a fresh kernel may take to answer its first `kernel_info_request`.
const READY_WITHIN: Duration = Duration::from_secs(120);

/// Why talking to the kernel failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot start the kernel ({0})")]
    Start(String),
    #[error("the kernel did not answer within {0:?}; its log is {1}")]
    NotReady(Duration, PathBuf),
    #[error("the kernel stopped answering: {0}; its log is {1}")]
    Lost(String, PathBuf),
    #[error("the cell did not finish within {0:?}; it was interrupted")]
    CellTimeout(Duration),
    #[error("the kernel died ({status}){cause}; its log is {log}")]
    Died {
        /// How the process ended, e.g. `signal: 9 (SIGKILL)`.
        status: String,
        /// The likely cause, when the status says it (empty otherwise).
        cause: &'static str,
        log: PathBuf,
    },
}

/// How often a waiting client checks that the kernel process is still alive.
const ALIVE_EVERY: Duration = Duration::from_millis(500);

/// What a kernel's exit status most likely means, to say beside it.
fn likely_cause(status: std::process::ExitStatus) -> &'static str {
    use std::os::unix::process::ExitStatusExt;
    match status.signal() {
        Some(9) => {
            ": killed by SIGKILL, most often by the system's out-of-memory killer (a memory \
             limit such as a Binder pod's or a container's); give the kernel more memory, or \
             use less in the notebook"
        }
        Some(6 | 11) => ": it crashed; the end of its log says where",
        Some(15) => ": it was asked to stop (SIGTERM)",
        _ => "",
    }
}

/// Everything the kernel sent about one execution.
#[derive(Debug)]
pub struct Execution {
    /// The iopub messages for it, in order, without `status` and `execute_input`.
    pub messages: Vec<JupyterMessageContent>,
    /// The shell reply.
    pub reply: JupyterMessageContent,
}

/// A running kernel and the sockets to it. Shut down on drop.
pub struct KernelClient {
    child: Child,
    codec: WireCodec,
    session: String,
    shell: DealerSocket,
    control: DealerSocket,
    iopub: SubSocket,
    folder: PathBuf,
    log: PathBuf,
    /// Set once something went wrong: the log is then kept for the user to read.
    keep_log: std::cell::Cell<bool>,
    pub kernel_info: Option<KernelInfoReply>,
}

impl std::fmt::Debug for KernelClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KernelClient")
            .field("pid", &self.child.id())
            .field("log", &self.log)
            .finish_non_exhaustive()
    }
}

impl KernelClient {
    /// Starts a fresh kernel with `command`, working in `cwd`, and waits until it answers.
    pub async fn start(command: &KernelCommand, cwd: &Path) -> Result<Self, ClientError> {
        let start_error = |what: &str, error: &dyn std::fmt::Display| {
            ClientError::Start(format!("{what}: {error}"))
        };
        let folder = std::env::temp_dir().join(format!("repronote-nb-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&folder).map_err(|e| start_error("cannot create a folder", &e))?;
        let info = connection_info().map_err(|e| start_error("no free local port", &e))?;
        let connection_file = folder.join("connection.json");
        let text = serde_json::to_string(&info).expect("a connection file serializes");
        std::fs::write(&connection_file, text)
            .map_err(|e| start_error("cannot write the connection file", &e))?;
        let log = folder.join("kernel.log");
        let log_file =
            std::fs::File::create(&log).map_err(|e| start_error("cannot create the log", &e))?;
        let child = Command::new(&command.program)
            .args(&command.args)
            .arg("--connection-file")
            .arg(&connection_file)
            .current_dir(cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .map_err(|e| start_error("cannot run the kernel", &e))?;
        let codec = WireCodec::new(&info.key, &info.signature_scheme)
            .map_err(|e| start_error("bad signing settings", &e))?;
        let connect = |e: zeromq::ZmqError| start_error("cannot connect", &e);
        let mut shell = DealerSocket::new();
        shell.connect(&info.shell_url()).await.map_err(connect)?;
        let mut control = DealerSocket::new();
        control
            .connect(&info.control_url())
            .await
            .map_err(connect)?;
        let mut iopub = SubSocket::new();
        iopub.connect(&info.iopub_url()).await.map_err(connect)?;
        iopub.subscribe("").await.map_err(connect)?;
        let mut client = Self {
            child,
            codec,
            session: uuid::Uuid::new_v4().to_string(),
            shell,
            control,
            iopub,
            folder,
            log,
            keep_log: std::cell::Cell::new(false),
            kernel_info: None,
        };
        client.wait_until_ready().await?;
        Ok(client)
    }

    /// Asks for `kernel_info` until the answer and an iopub message for it arrive, so that no
    /// output of the first cell is published before the subscription is in place.
    async fn wait_until_ready(&mut self) -> Result<(), ClientError> {
        let deadline = Instant::now() + READY_WITHIN;
        while Instant::now() < deadline {
            let request = self.request(KernelInfoRequest {});
            self.send_shell(&request).await?;
            let attempt = Instant::now() + Duration::from_secs(2);
            let (mut replied, mut published) = (None, false);
            while replied.is_none() || !published {
                tokio::select! {
                    message = timeout_at(attempt, self.shell.recv()) => match message {
                        Ok(Ok(frames)) => {
                            if let Some(reply) = self.decode_for(&frames, &request)
                                && let JupyterMessageContent::KernelInfoReply(info) = reply.content
                            {
                                replied = Some(*info);
                            }
                        }
                        Ok(Err(error)) => return Err(self.lost(error.to_string())),
                        Err(_) => break,
                    },
                    message = timeout_at(attempt, self.iopub.recv()) => match message {
                        Ok(Ok(frames)) => published |= self.decode_for(&frames, &request).is_some(),
                        Ok(Err(error)) => return Err(self.lost(error.to_string())),
                        Err(_) => break,
                    },
                }
            }
            if let Some(info) = replied
                && published
            {
                self.kernel_info = Some(info);
                return Ok(());
            }
            if let Some(died) = self.died() {
                return Err(died);
            }
        }
        self.keep_log.set(true);
        Err(ClientError::NotReady(READY_WITHIN, self.log.clone()))
    }

    /// Executes `code` and collects what it published, until the kernel is idle again and has
    /// replied. After `limit`, the kernel is interrupted and the cell reported as timed out.
    pub async fn execute(
        &mut self,
        code: &str,
        silent: bool,
        limit: Duration,
    ) -> Result<Execution, ClientError> {
        self.execute_cell(code, None, silent, limit).await
    }

    /// [`execute`](Self::execute) for a cell whose seed identity is not its source (a recorded
    /// cell of an older session): `seed_identity` goes in the request's metadata under
    /// [`SEED_IDENTITY_METADATA`], from which the kernel then derives the cell's seed.
    pub async fn execute_cell(
        &mut self,
        code: &str,
        seed_identity: Option<&str>,
        silent: bool,
        limit: Duration,
    ) -> Result<Execution, ClientError> {
        let mut request = self.request(ExecuteRequest {
            code: code.to_owned(),
            silent,
            store_history: !silent,
            user_expressions: None,
            allow_stdin: false,
            stop_on_error: true,
        });
        if let Some(identity) = seed_identity {
            request.metadata = serde_json::json!({ SEED_IDENTITY_METADATA: identity });
        }
        self.send_shell(&request).await?;
        let deadline = Instant::now() + limit;
        let mut messages = Vec::new();
        let (mut reply, mut idle) = (None, false);
        let mut alive_check = tokio::time::interval(ALIVE_EVERY);
        while reply.is_none() || !idle {
            tokio::select! {
                _ = alive_check.tick() => if let Some(died) = self.died() {
                    return Err(died);
                },
                message = timeout_at(deadline, self.shell.recv()) => match message {
                    Ok(Ok(frames)) => {
                        if let Some(message) = self.decode_for(&frames, &request) {
                            reply = Some(message.content);
                        }
                    }
                    Ok(Err(error)) => return Err(self.lost(error.to_string())),
                    Err(_) => return Err(self.interrupt_after(limit)),
                },
                message = timeout_at(deadline, self.iopub.recv()) => match message {
                    Ok(Ok(frames)) => {
                        let Some(message) = self.decode_for(&frames, &request) else { continue };
                        match message.content {
                            JupyterMessageContent::Status(status) => {
                                idle = status.execution_state
                                    == jupyter_protocol::messaging::ExecutionState::Idle;
                            }
                            JupyterMessageContent::ExecuteInput(_) => {}
                            content => messages.push(content),
                        }
                    }
                    Ok(Err(error)) => return Err(self.lost(error.to_string())),
                    Err(_) => return Err(self.interrupt_after(limit)),
                },
            }
        }
        Ok(Execution {
            messages,
            reply: reply.expect("the loop ends with a reply"),
        })
    }

    /// Asks the kernel to shut down, then makes sure it did.
    pub async fn shutdown(mut self) {
        // A kernel that died answers nothing: do not wait for it.
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let request = self.request(ShutdownRequest { restart: false });
        if let Ok(frames) = ZmqMessage::try_from(self.codec.encode(&request)) {
            let _ = self.control.send(frames).await;
            let _ = tokio::time::timeout(Duration::from_secs(5), self.control.recv()).await;
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The kernel's server log (evcxr's and the kernel's messages).
    pub fn log(&self) -> &Path {
        &self.log
    }

    fn request(&self, content: impl Into<JupyterMessageContent>) -> JupyterMessage {
        let mut message = JupyterMessage::new(content, None);
        message.header.session.clone_from(&self.session);
        message.header.username = "repronote-nb".to_owned();
        message
    }

    async fn send_shell(&mut self, message: &JupyterMessage) -> Result<(), ClientError> {
        let frames = ZmqMessage::try_from(self.codec.encode(message))
            .map_err(|e| self.lost(e.to_string()))?;
        let sent = self.shell.send(frames).await;
        sent.map_err(|e| self.lost(e.to_string()))
    }

    /// The message in `frames` if it is a valid answer to `request`; anything else (another
    /// request's messages, a bad signature) is skipped.
    fn decode_for(&self, frames: &ZmqMessage, request: &JupyterMessage) -> Option<JupyterMessage> {
        let message = self.codec.decode(&frames.clone().into_vec()).ok()?;
        let parent = message.parent_header.as_ref()?;
        (parent.msg_id == request.header.msg_id).then_some(message)
    }

    fn interrupt_after(&mut self, limit: Duration) -> ClientError {
        // SIGINT is the kernelspec's interrupt mode.
        if let Some(pid) = rustix::process::Pid::from_raw(self.child.id() as i32) {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::INT);
        }
        self.keep_log.set(true);
        ClientError::CellTimeout(limit)
    }

    /// The error to report if the kernel process has ended.
    fn died(&mut self) -> Option<ClientError> {
        let status = self.child.try_wait().ok()??;
        self.keep_log.set(true);
        Some(ClientError::Died {
            status: status.to_string(),
            cause: likely_cause(status),
            log: self.log.clone(),
        })
    }

    fn lost(&self, reason: String) -> ClientError {
        self.keep_log.set(true);
        ClientError::Lost(reason, self.log.clone())
    }
}

impl Drop for KernelClient {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        // The log goes with the folder unless an error message points at it.
        if !self.keep_log.get() {
            let _ = std::fs::remove_dir_all(&self.folder);
        }
    }
}

/// A connection on five free local ports with a fresh signing key.
pub fn connection_info() -> std::io::Result<ConnectionInfo> {
    let mut listeners = Vec::new();
    for _ in 0..5 {
        listeners.push(std::net::TcpListener::bind("127.0.0.1:0")?);
    }
    let ports: Vec<u16> = listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect::<std::io::Result<_>>()?;
    Ok(ConnectionInfo {
        ip: "127.0.0.1".to_owned(),
        transport: Transport::TCP,
        shell_port: ports[0],
        iopub_port: ports[1],
        stdin_port: ports[2],
        control_port: ports[3],
        hb_port: ports[4],
        key: uuid::Uuid::new_v4().simple().to_string(),
        signature_scheme: "hmac-sha256".to_owned(),
        kernel_name: Some(KERNEL_NAME.to_owned()),
    })
}
