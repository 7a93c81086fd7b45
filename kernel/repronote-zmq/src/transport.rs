//! Sockets: the five ZeroMQ endpoints of a connection file, as channels of typed messages.
//!
//! The transport knows frames, signatures and sockets, and nothing of Rust. Each ROUTER socket
//! (shell, control, stdin) has a reader that decodes and verifies every message through
//! [`WireCodec`] and a writer that signs what the core sends. A message that fails decoding is
//! logged and dropped, never executed; if it was a request whose content did not parse, its
//! sender gets an error reply naming the problem, so a client is not left waiting. IOPub is
//! an XPUB socket: each new subscriber gets an `iopub_welcome`, which tells the client that
//! nothing it publishes from now on can be lost. The heartbeat echoes exactly what it receives.
//! Sockets bind to the address the connection file names, nowhere else.

use bytes::Bytes;
use jupyter_protocol::connection_info::ConnectionInfo;
use jupyter_protocol::messaging::{
    Channel, IoPubWelcome, JupyterMessage, JupyterMessageContent, UnknownMessage,
};
use tokio::sync::mpsc::{self, UnboundedSender};
use zeromq::{RepSocket, RouterSocket, Socket, SocketRecv, SocketSend, XPubSocket, ZmqMessage};

use crate::wire::{WireCodec, WireError};
use repronote_core::protocol::{Outgoing, Requests};

/// A socket could not be bound.
#[derive(Debug, thiserror::Error)]
#[error("cannot listen on {endpoint} ({channel}): {source}")]
pub struct BindError {
    channel: &'static str,
    endpoint: String,
    source: zeromq::ZmqError,
}

/// Binds every socket of `info` and starts serving them; returns the core's request queues and
/// the sender the core's [`repronote_core::protocol::Outbox`] writes to.
pub async fn serve(
    info: &ConnectionInfo,
    codec: WireCodec,
) -> Result<(Requests, UnboundedSender<Outgoing>), BindError> {
    async fn bind<S: Socket>(channel: &'static str, endpoint: String) -> Result<S, BindError> {
        let mut socket = S::new();
        socket.bind(&endpoint).await.map_err(|source| BindError {
            channel,
            endpoint,
            source,
        })?;
        Ok(socket)
    }

    let shell: RouterSocket = bind("shell", info.shell_url()).await?;
    let control: RouterSocket = bind("control", info.control_url()).await?;
    let stdin: RouterSocket = bind("stdin", info.stdin_url()).await?;
    let iopub: XPubSocket = bind("iopub", info.iopub_url()).await?;
    let heartbeat: RepSocket = bind("heartbeat", info.hb_url()).await?;
    tracing::info!(ip = %info.ip, shell = info.shell_port, "listening");

    let (outgoing, mut outbox) = mpsc::unbounded_channel::<Outgoing>();
    let (shell_in, shell_queue) = mpsc::unbounded_channel();
    let (control_in, control_queue) = mpsc::unbounded_channel();
    let (stdin_in, stdin_queue) = mpsc::unbounded_channel();
    let shell_out = serve_router("shell", shell, codec.clone(), shell_in);
    let control_out = serve_router("control", control, codec.clone(), control_in);
    let stdin_out = serve_router("stdin", stdin, codec.clone(), stdin_in);
    let iopub_out = serve_iopub(iopub, codec);
    tokio::spawn(serve_heartbeat(heartbeat));

    tokio::spawn(async move {
        while let Some(Outgoing { channel, message }) = outbox.recv().await {
            let queue = match channel {
                Channel::Shell => &shell_out,
                Channel::Control => &control_out,
                Channel::Stdin => &stdin_out,
                Channel::IOPub => &iopub_out,
                Channel::Heartbeat => continue,
            };
            let _ = queue.send(message);
        }
    });

    Ok((
        Requests {
            shell: shell_queue,
            control: control_queue,
            stdin: stdin_queue,
        },
        outgoing,
    ))
}

/// Reads and writes one ROUTER socket; returns the queue of messages to send on it.
fn serve_router(
    name: &'static str,
    socket: RouterSocket,
    codec: WireCodec,
    incoming: UnboundedSender<JupyterMessage>,
) -> UnboundedSender<JupyterMessage> {
    let (outgoing, mut to_send) = mpsc::unbounded_channel::<JupyterMessage>();
    let error_replies = outgoing.clone();
    let (mut sender, mut receiver) = socket.split();
    let reader_codec = codec.clone();
    tokio::spawn(async move {
        loop {
            let frames = match receiver.recv().await {
                Ok(message) => message.into_vec(),
                Err(error) => {
                    tracing::warn!(socket = name, "receive failed: {error}");
                    continue;
                }
            };
            match reader_codec.decode(&frames) {
                Ok(message) => {
                    if incoming.send(message).is_err() {
                        return;
                    }
                }
                Err(error) => {
                    tracing::warn!(socket = name, "message dropped: {error}");
                    if let Some(reply) = error_reply(&error) {
                        let _ = error_replies.send(reply);
                    }
                }
            }
        }
    });
    tokio::spawn(async move {
        while let Some(message) = to_send.recv().await {
            let frames = codec.encode(&message);
            match ZmqMessage::try_from(frames) {
                Ok(zmq_message) => {
                    if let Err(error) = sender.send(zmq_message).await {
                        tracing::warn!(socket = name, "send failed: {error}");
                    }
                }
                Err(error) => tracing::warn!(socket = name, "unsendable message: {error}"),
            }
        }
    });
    outgoing
}

/// For a request whose content did not parse: an error reply telling its sender why.
fn error_reply(error: &WireError) -> Option<JupyterMessage> {
    let WireError::InvalidContent {
        msg_type,
        header,
        identities,
        source,
    } = error
    else {
        return None;
    };
    let reply_type = msg_type.strip_suffix("_request")?;
    let content = JupyterMessageContent::UnknownMessage(UnknownMessage {
        msg_type: format!("{reply_type}_reply"),
        content: serde_json::json!({
            "status": "error",
            "ename": "InvalidMessage",
            "evalue": format!("the `{msg_type}` content does not match the Jupyter protocol: {source}"),
            "traceback": [],
        }),
    });
    let mut reply = JupyterMessage::new(content, None);
    reply.header.username = "repronote".to_owned();
    reply.parent_header = Some((**header).clone());
    reply.header.session.clone_from(&header.session);
    reply.zmq_identities = identities.clone();
    Some(reply)
}

/// Publishes on the XPUB socket and welcomes each new subscriber.
fn serve_iopub(mut socket: XPubSocket, codec: WireCodec) -> UnboundedSender<JupyterMessage> {
    let (outgoing, mut to_publish) = mpsc::unbounded_channel::<JupyterMessage>();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                subscription = socket.recv() => {
                    let Ok(subscription) = subscription else { continue };
                    for frame in subscription.into_vec() {
                        if frame.first() == Some(&1) {
                            let topic = String::from_utf8_lossy(&frame[1..]).into_owned();
                            let mut welcome = JupyterMessage::new(IoPubWelcome::new(topic.clone()), None);
                            welcome.header.username = "repronote".to_owned();
                            welcome.zmq_identities = vec![Bytes::from(topic)];
                            publish(&mut socket, &codec, &welcome).await;
                        }
                    }
                }
                message = to_publish.recv() => match message {
                    Some(message) => publish(&mut socket, &codec, &message).await,
                    None => return,
                },
            }
        }
    });
    outgoing
}

async fn publish(socket: &mut XPubSocket, codec: &WireCodec, message: &JupyterMessage) {
    if let Ok(frames) = ZmqMessage::try_from(codec.encode(message))
        && let Err(error) = socket.send(frames).await
    {
        tracing::warn!("publish failed: {error}");
    }
}

/// Echoes every heartbeat back, byte for byte.
async fn serve_heartbeat(mut socket: RepSocket) {
    loop {
        match socket.recv().await {
            Ok(ping) => {
                if let Err(error) = socket.send(ping).await {
                    tracing::warn!("heartbeat send failed: {error}");
                }
            }
            Err(error) => tracing::warn!("heartbeat receive failed: {error}"),
        }
    }
}
