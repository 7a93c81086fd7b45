//! The kernel core: the protocol's bookkeeping, independent of sockets and of Rust.
//!
//! One `match` over [`JupyterMessageContent`] decides what each request means. The core owns
//! the execution counter (bumped only for `store_history` executions, so silent ones leave no
//! trace), the history, busy/idle (published in exactly one place, around every request), the
//! abort of queued executions after an error when `stop_on_error` is set, and the round trip
//! to the frontend for `input_request`. It talks to the world through an [`Outbox`] and to Rust
//! through an [`InterpreterHandle`], so its tests use a scripted interpreter and a channel.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use jupyter_protocol::messaging::{
    Channel, ClearOutput, CommInfoReply, CompleteReply, DisplayData, ErrorOutput, ExecuteInput,
    ExecuteReply, ExecuteRequest, ExecuteResult, ExpressionResult, HistoryEntry, HistoryReply,
    HistoryRequest, InputRequest, InspectReply, InterruptReply, IsCompleteReply, JupyterMessage,
    JupyterMessageContent, Payload, ReplyError, ReplyStatus, ShutdownReply, Status, Stdio,
    StreamContent, Transient, UpdateDisplayData,
};
use jupyter_protocol::{ExecutionCount, Media};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::sync::watch;

use crate::history::{self, History};
use crate::interpreter::{
    Cell, CellError, CellEvent, CellOutput, Completeness, InterpreterHandle, MimeBundle, Outputs,
    StreamName,
};
use crate::language;

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
        message.header.username = "linfa-kernel".to_owned();
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

/// The shell side of the kernel: executes cells one at a time.
#[derive(Debug)]
pub struct Shell {
    interpreter: InterpreterHandle,
    outbox: Outbox,
    requests: UnboundedReceiver<JupyterMessage>,
    stdin: UnboundedReceiver<JupyterMessage>,
    /// Requests that were queued when a cell failed with `stop_on_error`: their executions
    /// are answered `aborted`, the rest are served as usual.
    aborting: VecDeque<JupyterMessage>,
    execution_count: usize,
    history: History,
    cancelled: Arc<AtomicBool>,
}

impl Shell {
    pub fn new(
        interpreter: InterpreterHandle,
        outbox: Outbox,
        requests: UnboundedReceiver<JupyterMessage>,
        stdin: UnboundedReceiver<JupyterMessage>,
        cancelled: Arc<AtomicBool>,
    ) -> Self {
        Self {
            interpreter,
            outbox,
            requests,
            stdin,
            aborting: VecDeque::new(),
            execution_count: 0,
            history: History::default(),
            cancelled,
        }
    }

    /// Serves shell requests until the transport closes.
    pub async fn run(mut self) {
        loop {
            if let Some(request) = self.aborting.pop_front() {
                self.abort_or_handle(request).await;
                continue;
            }
            match self.requests.recv().await {
                Some(request) => self.handle(request).await,
                None => return,
            }
        }
    }

    async fn handle(&mut self, request: JupyterMessage) {
        self.outbox.publish(Some(&request), Status::busy());
        self.dispatch(&request).await;
        self.outbox.publish(Some(&request), Status::idle());
    }

    async fn dispatch(&mut self, request: &JupyterMessage) {
        let reply = |content: JupyterMessageContent| {
            self.outbox.reply(Channel::Shell, request, content);
        };
        match &request.content {
            JupyterMessageContent::ExecuteRequest(execute) => {
                self.execute(request, execute.clone()).await
            }
            JupyterMessageContent::KernelInfoRequest(_) => reply(language::kernel_info().into()),
            JupyterMessageContent::CompleteRequest(complete) => {
                let found = self
                    .interpreter
                    .complete(complete.code.clone(), complete.cursor_pos)
                    .await
                    .unwrap_or_default();
                reply(
                    CompleteReply {
                        matches: found.matches,
                        cursor_start: found.cursor_start,
                        cursor_end: found.cursor_end,
                        ..CompleteReply::default()
                    }
                    .into(),
                )
            }
            JupyterMessageContent::InspectRequest(inspect) => {
                let found = self
                    .interpreter
                    .inspect(
                        inspect.code.clone(),
                        inspect.cursor_pos,
                        inspect.detail_level.unwrap_or(0).min(1) as u8,
                    )
                    .await
                    .ok()
                    .flatten();
                reply(
                    InspectReply {
                        found: found.is_some(),
                        data: found.map(media).unwrap_or_default(),
                        ..InspectReply::default()
                    }
                    .into(),
                )
            }
            JupyterMessageContent::IsCompleteRequest(is_complete) => {
                let answer = match self.interpreter.is_complete(&is_complete.code) {
                    Completeness::Complete => IsCompleteReply::complete(),
                    Completeness::Incomplete { indent } => IsCompleteReply::incomplete(indent),
                    Completeness::Invalid => IsCompleteReply::invalid(),
                };
                reply(answer.into())
            }
            JupyterMessageContent::HistoryRequest(query) => reply(self.history_reply(query).into()),
            JupyterMessageContent::CommInfoRequest(_) => reply(CommInfoReply::default().into()),
            JupyterMessageContent::CommOpen(_)
            | JupyterMessageContent::CommMsg(_)
            | JupyterMessageContent::CommClose(_) => {
                tracing::debug!("comm message ignored: this kernel has no comm targets")
            }
            _ => tracing::warn!(
                "`{}` is not a shell request this kernel answers; ignored",
                request.header.msg_type
            ),
        }
    }

    async fn execute(&mut self, request: &JupyterMessage, execute: ExecuteRequest) {
        let silent = execute.silent;
        let store_history = execute.store_history && !silent;
        if store_history {
            self.execution_count += 1;
        }
        let count = ExecutionCount::new(self.execution_count);
        if !silent {
            self.outbox.publish(
                Some(request),
                ExecuteInput {
                    code: execute.code.clone(),
                    execution_count: count,
                },
            );
        }

        let outcome = self.run_cell(request, &execute, silent).await;
        let user_expressions = self
            .user_expressions(execute.user_expressions.as_ref())
            .await;
        let reply = match outcome {
            Ok(executed) => {
                let result_text = executed
                    .result
                    .as_ref()
                    .and_then(|data| data.get("text/plain"))
                    .and_then(|text| text.as_str())
                    .map(str::to_owned);
                if let (Some(data), false) = (executed.result, silent) {
                    self.outbox.publish(
                        Some(request),
                        ExecuteResult {
                            execution_count: count,
                            data: media(data),
                            metadata: serde_json::Map::new(),
                            transient: Some(Transient::default()),
                        },
                    );
                }
                if store_history {
                    self.history.record(count.0, &execute.code, result_text);
                }
                ExecuteReply {
                    status: ReplyStatus::Ok,
                    execution_count: count,
                    payload: executed
                        .page
                        .map(|page| {
                            vec![Payload::Page {
                                data: media(page),
                                start: 0,
                            }]
                        })
                        .unwrap_or_default(),
                    user_expressions: Some(user_expressions),
                    error: None,
                }
            }
            Err(error) => {
                if execute.stop_on_error {
                    self.collect_queued().await;
                }
                if !silent {
                    self.outbox.publish(
                        Some(request),
                        ErrorOutput {
                            ename: error.ename.clone(),
                            evalue: error.evalue.clone(),
                            traceback: error.traceback.clone(),
                        },
                    );
                }
                if store_history {
                    self.history.record(count.0, &execute.code, None);
                }
                self.outbox.reply(
                    Channel::Shell,
                    request,
                    ExecuteReply {
                        status: ReplyStatus::Error,
                        execution_count: count,
                        payload: Vec::new(),
                        user_expressions: Some(user_expressions),
                        error: Some(Box::new(ReplyError {
                            ename: error.ename,
                            evalue: error.evalue,
                            traceback: error.traceback,
                        })),
                    },
                );
                return;
            }
        };
        self.outbox.reply(Channel::Shell, request, reply);
    }

    /// Runs the cell, publishing its output as it comes and answering its input requests.
    async fn run_cell(
        &mut self,
        request: &JupyterMessage,
        execute: &ExecuteRequest,
        silent: bool,
    ) -> Result<crate::interpreter::Executed, CellError> {
        self.cancelled.store(false, Ordering::SeqCst);
        let (events, mut event_queue) = tokio::sync::mpsc::unbounded_channel();
        let outputs = Outputs::new(events, self.cancelled.clone());
        let cell = Cell {
            code: execute.code.clone(),
            id: request
                .metadata
                .get("cellId")
                .and_then(|id| id.as_str())
                .map(str::to_owned),
            ..Cell::default()
        };
        let job = self.interpreter.execute(cell, outputs);
        tokio::pin!(job);
        let mut waiting_input: Option<std::sync::mpsc::Sender<Option<String>>> = None;
        let result = loop {
            tokio::select! {
                biased;
                Some(event) = event_queue.recv() => {
                    self.cell_event(request, event, silent, execute.allow_stdin, &mut waiting_input);
                }
                Some(answer) = self.stdin.recv(), if waiting_input.is_some() => {
                    if let JupyterMessageContent::InputReply(input) = answer.content
                        && let Some(reply) = waiting_input.take()
                    {
                        let _ = reply.send(Some(input.value));
                    }
                }
                result = &mut job => break result,
            }
        };
        while let Ok(event) = event_queue.try_recv() {
            self.cell_event(
                request,
                event,
                silent,
                execute.allow_stdin,
                &mut waiting_input,
            );
        }
        result.unwrap_or_else(|gone| {
            Err(CellError {
                ename: "KernelError".to_owned(),
                evalue: gone.to_string(),
                traceback: vec![
                    gone.to_string(),
                    "Check the kernel's log (the terminal or the Jupyter server log) and restart \
                     the kernel."
                        .to_owned(),
                ],
            })
        })
    }

    fn cell_event(
        &self,
        request: &JupyterMessage,
        event: CellEvent,
        silent: bool,
        allow_stdin: bool,
        waiting_input: &mut Option<std::sync::mpsc::Sender<Option<String>>>,
    ) {
        match event {
            CellEvent::Output(_) if silent => {}
            CellEvent::Output(output) => self.publish_output(request, output),
            CellEvent::InputRequest { reply, .. } if !allow_stdin => {
                let _ = reply.send(None);
                self.publish_output(
                    request,
                    CellOutput::Stream {
                        name: StreamName::Stderr,
                        text: "This frontend does not accept input (allow_stdin is false); the \
                               cell reads an empty line.\n"
                            .to_owned(),
                    },
                );
            }
            CellEvent::InputRequest {
                prompt,
                password,
                reply,
            } => {
                self.outbox
                    .reply(Channel::Stdin, request, InputRequest { prompt, password });
                *waiting_input = Some(reply);
            }
        }
    }

    fn publish_output(&self, request: &JupyterMessage, output: CellOutput) {
        let parent = Some(request);
        match output {
            CellOutput::Stream { name, text } => self.outbox.publish(
                parent,
                StreamContent {
                    name: match name {
                        StreamName::Stdout => Stdio::Stdout,
                        StreamName::Stderr => Stdio::Stderr,
                    },
                    text,
                },
            ),
            CellOutput::Display { data, display_id } => self.outbox.publish(
                parent,
                DisplayData {
                    data: media(data),
                    metadata: serde_json::Map::new(),
                    transient: display_id.map(|id| Transient {
                        display_id: Some(id),
                    }),
                },
            ),
            CellOutput::UpdateDisplay { data, display_id } => self
                .outbox
                .publish(parent, UpdateDisplayData::new(media(data), &display_id)),
            CellOutput::ClearOutput { wait } => self.outbox.publish(parent, ClearOutput { wait }),
        }
    }

    async fn user_expressions(
        &self,
        expressions: Option<&HashMap<String, String>>,
    ) -> HashMap<String, ExpressionResult> {
        let mut results = HashMap::new();
        for (name, expression) in expressions.into_iter().flatten() {
            let outcome = self
                .interpreter
                .execute(Cell::new(expression.clone()), Outputs::discarding())
                .await;
            let result = match outcome {
                Ok(Ok(executed)) => ExpressionResult::Ok {
                    data: media(executed.result.unwrap_or_default()),
                    metadata: serde_json::Map::new(),
                },
                Ok(Err(error)) => ExpressionResult::Error {
                    ename: error.ename,
                    evalue: error.evalue,
                    traceback: error.traceback,
                },
                Err(gone) => ExpressionResult::Error {
                    ename: "KernelError".to_owned(),
                    evalue: gone.to_string(),
                    traceback: Vec::new(),
                },
            };
            results.insert(name.clone(), result);
        }
        results
    }

    fn history_reply(&self, query: &HistoryRequest) -> HistoryReply {
        let (entries, output) = match query {
            HistoryRequest::Tail { n, output, .. } => {
                (self.history.tail((*n).max(0) as usize), *output)
            }
            HistoryRequest::Range {
                session,
                start,
                stop,
                output,
                ..
            } => (
                self.history.range(
                    i64::from(session.unwrap_or(0)),
                    i64::from(*start),
                    i64::from(*stop),
                ),
                *output,
            ),
            HistoryRequest::Search {
                pattern,
                unique,
                output,
                n,
                ..
            } => (
                self.history.search(pattern, *unique, (*n).max(0) as usize),
                *output,
            ),
        };
        HistoryReply::new(
            entries
                .into_iter()
                .map(|entry| {
                    if output {
                        HistoryEntry::InputOutput(
                            history::SESSION,
                            entry.line,
                            (entry.input, entry.output.unwrap_or_default()),
                        )
                    } else {
                        HistoryEntry::Input(history::SESSION, entry.line, entry.input)
                    }
                })
                .collect(),
        )
    }

    /// Takes every request already queued when a cell failed with `stop_on_error`. This runs
    /// before the error reply leaves, so nothing the client sent after seeing the error is
    /// taken: those requests were queued by a "run all" that must stop here.
    async fn collect_queued(&mut self) {
        // Let the socket readers hand over what already arrived.
        tokio::task::yield_now().await;
        while let Ok(request) = self.requests.try_recv() {
            self.aborting.push_back(request);
        }
    }

    async fn abort_or_handle(&mut self, request: JupyterMessage) {
        if !matches!(request.content, JupyterMessageContent::ExecuteRequest(_)) {
            return self.handle(request).await;
        }
        tracing::debug!("execution aborted: an earlier cell failed");
        self.outbox.publish(Some(&request), Status::busy());
        self.outbox.reply(
            Channel::Shell,
            &request,
            ExecuteReply {
                status: ReplyStatus::Aborted,
                execution_count: ExecutionCount::new(self.execution_count),
                user_expressions: Some(HashMap::new()),
                ..ExecuteReply::default()
            },
        );
        self.outbox.publish(Some(&request), Status::idle());
    }
}

/// The control side: answered even while a cell runs.
#[derive(Debug)]
pub struct Control {
    pub interpreter: InterpreterHandle,
    pub outbox: Outbox,
    pub cancelled: Arc<AtomicBool>,
    pub shutdown: watch::Sender<bool>,
}

impl Control {
    /// Serves control requests until the transport closes or a shutdown is requested.
    pub async fn run(self, mut requests: UnboundedReceiver<JupyterMessage>) {
        while let Some(request) = requests.recv().await {
            self.outbox.publish(Some(&request), Status::busy());
            let shutting_down = self.handle(&request);
            self.outbox.publish(Some(&request), Status::idle());
            if shutting_down {
                let _ = self.shutdown.send(true);
                return;
            }
        }
    }

    /// Interrupts the running cell (and any prompt it is waiting on).
    pub fn interrupt(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        self.interpreter.interrupt();
    }

    fn handle(&self, request: &JupyterMessage) -> bool {
        match &request.content {
            JupyterMessageContent::KernelInfoRequest(_) => {
                self.outbox
                    .reply(Channel::Control, request, language::kernel_info())
            }
            JupyterMessageContent::InterruptRequest(_) => {
                self.interrupt();
                self.outbox
                    .reply(Channel::Control, request, InterruptReply::new());
            }
            JupyterMessageContent::ShutdownRequest(shutdown) => {
                self.interrupt();
                self.outbox.reply(
                    Channel::Control,
                    request,
                    ShutdownReply {
                        restart: shutdown.restart,
                        ..ShutdownReply::default()
                    },
                );
                return true;
            }
            _ => tracing::warn!(
                "`{}` is not a control request this kernel answers; ignored",
                request.header.msg_type
            ),
        }
        false
    }
}

/// A bundle as the protocol's `Media` (unknown MIME types are kept as they are).
pub fn media(bundle: MimeBundle) -> Media {
    let object: serde_json::Map<String, serde_json::Value> = bundle.into_iter().collect();
    serde_json::from_value(serde_json::Value::Object(object)).unwrap_or_default()
}

#[cfg(test)]
mod tests;
