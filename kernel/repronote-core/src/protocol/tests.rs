//! The core's bookkeeping, driven by a scripted interpreter: no sockets, no compiler.

use std::collections::HashMap;
use std::time::Duration;

use jupyter_protocol::messaging::{
    ExecuteRequest, HistoryRequest, InputReply, InterruptRequest, IsCompleteRequest,
    KernelInfoRequest, ShutdownRequest, UnknownMessage,
};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::*;
use crate::interpreter::InterpreterHandle;
use crate::interpreter::scripted::Scripted;
use jupyter_protocol::messaging::{
    Channel, ExecuteReply, JupyterMessage, JupyterMessageContent, ReplyStatus,
};
use tokio::sync::watch;

struct Harness {
    shell: UnboundedSender<JupyterMessage>,
    control: UnboundedSender<JupyterMessage>,
    stdin: UnboundedSender<JupyterMessage>,
    sent: UnboundedReceiver<Outgoing>,
    shutdown: watch::Receiver<bool>,
}

impl Harness {
    fn start() -> Self {
        let interpreter = InterpreterHandle::spawn(|| {
            Ok::<_, std::convert::Infallible>(Box::new(Scripted::default()))
        });
        let (outgoing, sent) = unbounded_channel();
        let (shell, shell_queue) = unbounded_channel();
        let (control, control_queue) = unbounded_channel();
        let (stdin, stdin_queue) = unbounded_channel();
        let requests = Requests {
            shell: shell_queue,
            control: control_queue,
            stdin: stdin_queue,
        };
        let shutdown = serve(interpreter, Outbox::new(outgoing), requests).shutdown_requested;
        Self {
            shell,
            control,
            stdin,
            sent,
            shutdown,
        }
    }

    fn execute(&self, code: &str) -> JupyterMessage {
        self.execute_with(ExecuteRequest::new(code.to_owned()))
    }

    fn execute_with(&self, request: ExecuteRequest) -> JupyterMessage {
        let message = JupyterMessage::new(request, None);
        self.shell.send(message.clone()).unwrap();
        message
    }

    /// Everything sent in answer to `request`, up to and including its reply and idle status.
    async fn exchange(&mut self, request: &JupyterMessage) -> Vec<Outgoing> {
        let mut seen = Vec::new();
        let (mut replied, mut idle) = (false, false);
        while !(replied && idle) {
            let outgoing = tokio::time::timeout(Duration::from_secs(5), self.sent.recv())
                .await
                .expect("the kernel answers within 5 s")
                .expect("the outbox stays open");
            let is_child = outgoing
                .message
                .parent_header
                .as_ref()
                .is_some_and(|parent| parent.msg_id == request.header.msg_id);
            if !is_child {
                continue;
            }
            if outgoing.message.header.msg_type.ends_with("_reply") {
                replied = true;
            }
            if let JupyterMessageContent::Status(status) = &outgoing.message.content
                && status.execution_state == jupyter_protocol::messaging::ExecutionState::Idle
            {
                idle = true;
            }
            seen.push(outgoing);
        }
        seen
    }
}

/// The content of the first message in an exchange that is a `$variant`.
macro_rules! first {
    ($exchange:expr, $variant:ident) => {
        $exchange
            .iter()
            .find_map(|o| match &o.message.content {
                JupyterMessageContent::$variant(inner) => Some(inner),
                _ => None,
            })
            .expect(concat!("a ", stringify!($variant)))
    };
}

fn types(exchange: &[Outgoing]) -> Vec<String> {
    exchange
        .iter()
        .map(|o| o.message.header.msg_type.clone())
        .collect()
}

fn execute_reply(exchange: &[Outgoing]) -> &ExecuteReply {
    first!(exchange, ExecuteReply)
}

#[tokio::test]
async fn an_execution_is_framed_by_busy_and_idle() {
    let mut kernel = Harness::start();
    let request = kernel.execute("print hello");
    let exchange = kernel.exchange(&request).await;
    assert_eq!(
        types(&exchange),
        [
            "status",
            "execute_input",
            "stream",
            "execute_reply",
            "status"
        ]
    );
    assert!(matches!(exchange[2].channel, Channel::IOPub));
    assert!(matches!(exchange[3].channel, Channel::Shell));
    assert_eq!(exchange[3].message.zmq_identities, request.zmq_identities);
}

#[tokio::test]
async fn the_counter_starts_at_one_and_skips_silent_and_unstored_runs() {
    let mut kernel = Harness::start();
    let first = kernel.execute("result 1");
    assert_eq!(
        execute_reply(&kernel.exchange(&first).await)
            .execution_count
            .0,
        1
    );

    let silent = kernel.execute_with(ExecuteRequest {
        silent: true,
        ..ExecuteRequest::new("print quiet".into())
    });
    let exchange = kernel.exchange(&silent).await;
    assert_eq!(types(&exchange), ["status", "execute_reply", "status"]);
    assert_eq!(execute_reply(&exchange).execution_count.0, 1);

    let unstored = kernel.execute_with(ExecuteRequest {
        store_history: false,
        ..ExecuteRequest::new("result 2".into())
    });
    assert_eq!(
        execute_reply(&kernel.exchange(&unstored).await)
            .execution_count
            .0,
        1
    );

    let second = kernel.execute("result 3");
    let exchange = kernel.exchange(&second).await;
    assert_eq!(execute_reply(&exchange).execution_count.0, 2);
    let result = first!(exchange, ExecuteResult);
    assert_eq!(result.execution_count.0, 2);
}

#[tokio::test]
async fn an_error_aborts_the_executions_already_queued_but_not_later_ones() {
    let mut kernel = Harness::start();
    let failing = kernel.execute("fail");
    let queued = kernel.execute("result queued");
    let failed = kernel.exchange(&failing).await;
    assert_eq!(execute_reply(&failed).status, ReplyStatus::Error);
    let error = execute_reply(&failed)
        .error
        .as_ref()
        .expect("ename and evalue");
    assert_eq!(error.ename, "EvaluationError");
    assert!(types(&failed).contains(&"error".to_owned()));

    let aborted = kernel.exchange(&queued).await;
    assert_eq!(execute_reply(&aborted).status, ReplyStatus::Aborted);
    assert!(!types(&aborted).contains(&"execute_result".to_owned()));

    let later = kernel.execute("result later");
    assert_eq!(
        execute_reply(&kernel.exchange(&later).await).status,
        ReplyStatus::Ok
    );
}

#[tokio::test]
async fn without_stop_on_error_queued_cells_still_run() {
    let mut kernel = Harness::start();
    let failing = kernel.execute_with(ExecuteRequest {
        stop_on_error: false,
        ..ExecuteRequest::new("fail".into())
    });
    let queued = kernel.execute("result queued");
    kernel.exchange(&failing).await;
    assert_eq!(
        execute_reply(&kernel.exchange(&queued).await).status,
        ReplyStatus::Ok
    );
}

#[tokio::test]
async fn displays_updates_and_clears_reach_iopub() {
    let mut kernel = Harness::start();
    let request = kernel.execute("display");
    let exchange = kernel.exchange(&request).await;
    let kinds = types(&exchange);
    for kind in ["display_data", "update_display_data", "clear_output"] {
        assert!(
            kinds.contains(&kind.to_owned()),
            "{kind} missing from {kinds:?}"
        );
    }
    let update = first!(exchange, UpdateDisplayData);
    assert_eq!(update.transient.display_id.as_deref(), Some("bar"));
}

#[tokio::test]
async fn input_requests_go_to_stdin_and_the_answer_comes_back() {
    let mut kernel = Harness::start();
    let request = kernel.execute_with(ExecuteRequest {
        allow_stdin: true,
        ..ExecuteRequest::new("ask".into())
    });
    let prompt = loop {
        let outgoing = kernel.sent.recv().await.unwrap();
        if matches!(outgoing.channel, Channel::Stdin) {
            break outgoing.message;
        }
    };
    assert_eq!(prompt.header.msg_type, "input_request");
    assert_eq!(prompt.zmq_identities, request.zmq_identities);
    let answer = JupyterMessage::new(
        InputReply {
            value: "Ada".into(),
            ..InputReply::default()
        },
        Some(&prompt),
    );
    kernel.stdin.send(answer).unwrap();
    let exchange = kernel.exchange(&request).await;
    let result = first!(exchange, ExecuteResult).data.clone();
    assert_eq!(serde_json::to_value(result).unwrap()["text/plain"], "Ada");
}

#[tokio::test]
async fn input_is_refused_when_the_frontend_does_not_allow_stdin() {
    let mut kernel = Harness::start();
    let request = kernel.execute_with(ExecuteRequest {
        allow_stdin: false,
        ..ExecuteRequest::new("ask".into())
    });
    let exchange = kernel.exchange(&request).await;
    assert_eq!(execute_reply(&exchange).status, ReplyStatus::Ok);
    assert!(
        exchange
            .iter()
            .all(|o| !matches!(o.channel, Channel::Stdin))
    );
}

#[tokio::test]
async fn interrupt_on_control_stops_a_hanging_cell() {
    let mut kernel = Harness::start();
    let hanging = kernel.execute("hang");
    tokio::time::sleep(Duration::from_millis(50)).await;
    let interrupt = JupyterMessage::new(InterruptRequest {}, None);
    kernel.control.send(interrupt.clone()).unwrap();
    let exchange = kernel.exchange(&hanging).await;
    assert_eq!(execute_reply(&exchange).status, ReplyStatus::Error);
    let next = kernel.execute("result alive");
    assert_eq!(
        execute_reply(&kernel.exchange(&next).await).status,
        ReplyStatus::Ok
    );
}

#[tokio::test]
async fn user_expressions_are_evaluated_after_the_cell() {
    let mut kernel = Harness::start();
    let request = kernel.execute_with(ExecuteRequest {
        user_expressions: Some(HashMap::from([
            ("good".to_owned(), "result 42".to_owned()),
            ("bad".to_owned(), "fail".to_owned()),
        ])),
        ..ExecuteRequest::new("print x".into())
    });
    let exchange = kernel.exchange(&request).await;
    let expressions = execute_reply(&exchange).user_expressions.as_ref().unwrap();
    let json = serde_json::to_value(expressions).unwrap();
    assert_eq!(json["good"]["status"], "ok");
    assert_eq!(json["good"]["data"]["text/plain"], "42");
    assert_eq!(json["bad"]["status"], "error");
    assert_eq!(json["bad"]["ename"], "EvaluationError");
}

#[tokio::test]
async fn history_answers_tail_range_and_search() {
    let mut kernel = Harness::start();
    for code in ["result 1", "print a", "result 1"] {
        let request = kernel.execute(code);
        kernel.exchange(&request).await;
    }
    let ask = |request: HistoryRequest| JupyterMessage::new(request, None);
    let tail = ask(HistoryRequest::Tail {
        n: 2,
        output: true,
        raw: true,
    });
    kernel.shell.send(tail.clone()).unwrap();
    let exchange = kernel.exchange(&tail).await;
    let reply = first!(exchange, HistoryReply);
    let json = serde_json::to_value(&reply.history).unwrap();
    assert_eq!(
        json,
        serde_json::json!([[1, 2, ["print a", ""]], [1, 3, ["result 1", "1"]]])
    );

    let search = ask(HistoryRequest::Search {
        pattern: "result*".into(),
        unique: true,
        output: false,
        raw: true,
        n: 0,
    });
    kernel.shell.send(search.clone()).unwrap();
    let exchange = kernel.exchange(&search).await;
    let reply = first!(exchange, HistoryReply);
    assert_eq!(reply.history.len(), 1);
}

#[tokio::test]
async fn kernel_info_and_is_complete_are_answered() {
    let mut kernel = Harness::start();
    let info = JupyterMessage::new(KernelInfoRequest {}, None);
    kernel.control.send(info.clone()).unwrap();
    let exchange = kernel.exchange(&info).await;
    let reply = first!(exchange, KernelInfoReply);
    assert_eq!(reply.language_info.name, "rust");
    assert!(matches!(exchange[1].channel, Channel::Control));

    let incomplete = JupyterMessage::new(
        IsCompleteRequest {
            code: "fn f() {".into(),
        },
        None,
    );
    kernel.shell.send(incomplete.clone()).unwrap();
    let exchange = kernel.exchange(&incomplete).await;
    let reply = first!(exchange, IsCompleteReply);
    assert_eq!(reply.indent, "    ");
}

#[tokio::test]
async fn a_recorded_seed_identity_reaches_the_interpreter_and_a_cell_id_does_not() {
    let mut kernel = Harness::start();
    let request = JupyterMessage::new(ExecuteRequest::new("cell-id".into()), None)
        .with_metadata(serde_json::json!({ crate::protocol::SEED_IDENTITY_METADATA: "3f2a-cell" }));
    kernel.shell.send(request.clone()).unwrap();
    let exchange = kernel.exchange(&request).await;
    let result = first!(exchange, ExecuteResult);
    assert_eq!(
        serde_json::to_value(&result.data).unwrap()["text/plain"],
        "3f2a-cell"
    );
    // JupyterLab's `cellId` is not an identity for seeding: the same notebook must give the
    // same seeds from clients that send none.
    let request = JupyterMessage::new(ExecuteRequest::new("cell-id".into()), None)
        .with_metadata(serde_json::json!({ "cellId": "3f2a-cell" }));
    kernel.shell.send(request.clone()).unwrap();
    let exchange = kernel.exchange(&request).await;
    let result = first!(exchange, ExecuteResult);
    assert_eq!(
        serde_json::to_value(&result.data).unwrap()["text/plain"],
        "(none)"
    );
}

#[tokio::test]
async fn unknown_requests_are_ignored_and_the_kernel_keeps_serving() {
    let mut kernel = Harness::start();
    let unknown = JupyterMessage::new(
        JupyterMessageContent::UnknownMessage(UnknownMessage {
            msg_type: "teleport_request".into(),
            content: serde_json::json!({}),
        }),
        None,
    );
    kernel.shell.send(unknown).unwrap();
    let request = kernel.execute("result still here");
    assert_eq!(
        execute_reply(&kernel.exchange(&request).await).status,
        ReplyStatus::Ok
    );
}

#[tokio::test]
async fn shutdown_replies_then_signals_the_process_to_stop() {
    let mut kernel = Harness::start();
    let request = JupyterMessage::new(ShutdownRequest { restart: true }, None);
    kernel.control.send(request.clone()).unwrap();
    let exchange = kernel.exchange(&request).await;
    let reply = first!(exchange, ShutdownReply);
    assert!(reply.restart);
    kernel.shutdown.changed().await.unwrap();
    assert!(*kernel.shutdown.borrow());
}
