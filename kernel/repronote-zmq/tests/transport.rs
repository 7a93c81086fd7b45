//! The real transport, end to end, against the core with the scripted interpreter: the sockets
//! a Jupyter client connects to, signed frames both ways, replies with the right parent, and a
//! forged message dropped while the kernel keeps answering. No compiler, no kernel process.

use std::time::Duration;

use jupyter_protocol::messaging::{
    ExecuteRequest, JupyterMessage, JupyterMessageContent, KernelInfoRequest, ReplyStatus,
};
use repronote_core::interpreter::InterpreterHandle;
use repronote_core::interpreter::scripted::Scripted;
use repronote_core::protocol::Outbox;
use repronote_zmq::client::connection_info;
use repronote_zmq::transport::serve;
use repronote_zmq::wire::WireCodec;
use zeromq::{DealerSocket, Socket, SocketRecv, SocketSend, SubSocket, ZmqMessage};

/// A kernel on free local ports: the transport, the core and a scripted interpreter. The
/// receiver of its shutdown requests is returned so that it lives as long as the test.
async fn start_kernel() -> (
    jupyter_protocol::connection_info::ConnectionInfo,
    tokio::sync::watch::Receiver<bool>,
) {
    let info = connection_info().expect("free local ports");
    let codec = WireCodec::new(&info.key, &info.signature_scheme).expect("hmac-sha256");
    let (requests, outgoing) = serve(&info, codec).await.expect("the sockets bind");
    let interpreter = InterpreterHandle::spawn(|| {
        Ok::<_, std::convert::Infallible>(Box::new(Scripted::default()))
    });
    let core = repronote_core::protocol::serve(interpreter, Outbox::new(outgoing), requests);
    (info, core.shutdown_requested)
}

/// Receives until a message whose parent is `request` and whose type is `msg_type` arrives.
async fn answer_to<S: SocketRecv>(
    socket: &mut S,
    codec: &WireCodec,
    request: &JupyterMessage,
    msg_type: &str,
) -> JupyterMessage {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let frames = tokio::time::timeout_at(deadline, socket.recv())
            .await
            .unwrap_or_else(|_| panic!("no {msg_type} within 10 s"))
            .expect("the socket stays open");
        let Ok(message) = codec.decode(&frames.into_vec()) else {
            continue;
        };
        let ours = message
            .parent_header
            .as_ref()
            .is_some_and(|parent| parent.msg_id == request.header.msg_id);
        if ours && message.header.msg_type == msg_type {
            return message;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_executes_over_the_real_sockets_and_forged_messages_are_dropped() {
    let (info, _shutdown_requests) = start_kernel().await;
    let codec = WireCodec::new(&info.key, &info.signature_scheme).unwrap();
    let mut shell = DealerSocket::new();
    shell.connect(&info.shell_url()).await.unwrap();
    let mut iopub = SubSocket::new();
    iopub.connect(&info.iopub_url()).await.unwrap();
    iopub.subscribe("").await.unwrap();

    let send = |message: &JupyterMessage, codec: &WireCodec| {
        ZmqMessage::try_from(codec.encode(message)).expect("frames")
    };

    // kernel_info answers (and, once it does, iopub's subscription is in place).
    let info_request = JupyterMessage::new(KernelInfoRequest {}, None);
    shell.send(send(&info_request, &codec)).await.unwrap();
    let reply = answer_to(&mut shell, &codec, &info_request, "kernel_info_reply").await;
    let JupyterMessageContent::KernelInfoReply(reply) = reply.content else {
        panic!("not a kernel_info_reply");
    };
    assert_eq!(reply.implementation, "repronote");

    // A message signed with another key is never executed.
    let forger = WireCodec::new("not-the-key", "hmac-sha256").unwrap();
    let forged = JupyterMessage::new(ExecuteRequest::new("print forged".to_owned()), None);
    shell.send(send(&forged, &forger)).await.unwrap();

    // A signed cell runs: its stream and its reply carry its header as parent.
    let execute = JupyterMessage::new(ExecuteRequest::new("print hello".to_owned()), None);
    shell.send(send(&execute, &codec)).await.unwrap();
    let stream = answer_to(&mut iopub, &codec, &execute, "stream").await;
    let JupyterMessageContent::StreamContent(stream) = stream.content else {
        panic!("not a stream");
    };
    assert_eq!(stream.text, "hello");
    let reply = answer_to(&mut shell, &codec, &execute, "execute_reply").await;
    let JupyterMessageContent::ExecuteReply(reply) = reply.content else {
        panic!("not an execute_reply");
    };
    assert_eq!(reply.status, ReplyStatus::Ok);
    // The forged request was dropped, so this cell is the first one counted.
    assert_eq!(reply.execution_count.0, 1);
}
