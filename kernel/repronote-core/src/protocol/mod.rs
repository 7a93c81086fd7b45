//! The kernel core: the protocol's bookkeeping, independent of sockets and of Rust.
//!
//! One `match` over [`JupyterMessageContent`] decides what each request means. The core owns
//! the execution counter (bumped only for `store_history` executions, so silent ones leave no
//! trace), the history, busy/idle (published in exactly one place, around every request), the
//! abort of queued executions after an error when `stop_on_error` is set, and the round trip
//! to the frontend for `input_request`. It talks to the world through an [`Outbox`] and to Rust
//! through an [`InterpreterHandle`], so its tests use a scripted interpreter and a channel.

mod control;
mod execute;
mod shell;

pub use control::Control;
pub use shell::Shell;

/// The `execute_request` metadata key through which a client names the identity a cell's seed
/// is derived from, when it is not the cell's source: only `nb reproduce` and `:replay` of a
/// record made before seeds came from the source send it. JupyterLab's `cellId` is not used
/// for seeding, so every client gets the same seeds for the same notebook.
pub const SEED_IDENTITY_METADATA: &str = "repronote_seed_identity";

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use bytes::Bytes;
use jupyter_protocol::Media;
use jupyter_protocol::messaging::{Channel, JupyterMessage, JupyterMessageContent};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::sync::watch;

use crate::interpreter::{InterpreterHandle, MimeBundle};

/// The requests a core serves: one queue per socket that carries them (the transport fills
/// them; the core's tests fill them by hand).
#[derive(Debug)]
pub struct Requests {
    pub shell: UnboundedReceiver<JupyterMessage>,
    pub control: UnboundedReceiver<JupyterMessage>,
    pub stdin: UnboundedReceiver<JupyterMessage>,
}

/// A core that serves: what its owner needs to interrupt the running cell and to hear of a
/// `shutdown_request`.
#[derive(Debug)]
pub struct Serving {
    /// Set to cancel the running cell's input request when the cell is interrupted.
    pub cancelled: Arc<AtomicBool>,
    /// Becomes `true` when a client asked the kernel to shut down.
    pub shutdown_requested: watch::Receiver<bool>,
}

/// Starts the shell and control tasks on the current tokio runtime.
pub fn serve(interpreter: InterpreterHandle, outbox: Outbox, requests: Requests) -> Serving {
    let cancelled = Arc::new(AtomicBool::new(false));
    let (shutdown, shutdown_requested) = watch::channel(false);
    tokio::spawn(
        Shell::new(
            interpreter.clone(),
            outbox.clone(),
            requests.shell,
            requests.stdin,
            cancelled.clone(),
        )
        .run(),
    );
    tokio::spawn(
        Control {
            interpreter,
            outbox,
            cancelled: cancelled.clone(),
            shutdown,
        }
        .run(requests.control),
    );
    Serving {
        cancelled,
        shutdown_requested,
    }
}

/// A message the core wants sent, and on which socket.
#[derive(Debug)]
pub struct Outgoing {
    pub channel: Channel,
    pub message: JupyterMessage,
}

/// Builds the kernel's messages (header, parent, routing) and hands them to the transport.
#[derive(Clone, Debug)]
pub struct Outbox {
    sender: UnboundedSender<Outgoing>,
    session: String,
}

impl Outbox {
    pub fn new(sender: UnboundedSender<Outgoing>) -> Self {
        Self {
            sender,
            session: uuid::Uuid::new_v4().to_string(),
        }
    }

    fn message(
        &self,
        content: impl Into<JupyterMessageContent>,
        parent: Option<&JupyterMessage>,
    ) -> JupyterMessage {
        let mut message = JupyterMessage::new(content, parent);
        message.header.username = "repronote".to_owned();
        message.header.session.clone_from(&self.session);
        message
    }

    fn send(&self, channel: Channel, message: JupyterMessage) {
        if self.sender.send(Outgoing { channel, message }).is_err() {
            tracing::debug!("transport closed; message not sent");
        }
    }

    /// Replies on `channel` to the client that sent `parent`.
    pub fn reply(
        &self,
        channel: Channel,
        parent: &JupyterMessage,
        content: impl Into<JupyterMessageContent>,
    ) {
        self.send(channel, self.message(content, Some(parent)));
    }

    /// Broadcasts on iopub, as a child of `parent` when there is one.
    pub fn publish(
        &self,
        parent: Option<&JupyterMessage>,
        content: impl Into<JupyterMessageContent>,
    ) {
        let mut message = self.message(content, parent);
        let topic = format!("kernel.{}.{}", self.session, message.header.msg_type);
        message.zmq_identities = vec![Bytes::from(topic)];
        self.send(Channel::IOPub, message);
    }
}

/// A bundle as the protocol's `Media` (unknown MIME types are kept as they are).
pub fn media(bundle: MimeBundle) -> Media {
    let object: serde_json::Map<String, serde_json::Value> = bundle.into_iter().collect();
    serde_json::from_value(serde_json::Value::Object(object)).unwrap_or_default()
}

#[cfg(test)]
mod tests;
