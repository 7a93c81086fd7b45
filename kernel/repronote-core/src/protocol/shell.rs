//! The shell channel: requests answered in order, busy/idle around each, queued executions
//! aborted after a failure when `stop_on_error` is set.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use jupyter_protocol::ExecutionCount;
use jupyter_protocol::messaging::{
    Channel, CommInfoReply, CompleteReply, ExecuteReply, ExpressionResult, HistoryEntry,
    HistoryReply, HistoryRequest, InspectReply, IsCompleteReply, JupyterMessage,
    JupyterMessageContent, ReplyStatus, Status,
};
use tokio::sync::mpsc::UnboundedReceiver;

use crate::history::{self, History};
use crate::interpreter::{Cell, CellErrorKind, Completeness, InterpreterHandle, Outputs};
use crate::language;

use super::{Outbox, media};

/// The shell side of the kernel: executes cells one at a time.
#[derive(Debug)]
pub struct Shell {
    pub(super) interpreter: InterpreterHandle,
    pub(super) outbox: Outbox,
    pub(super) requests: UnboundedReceiver<JupyterMessage>,
    pub(super) stdin: UnboundedReceiver<JupyterMessage>,
    /// Requests that were queued when a cell failed with `stop_on_error`: their executions
    /// are answered `aborted`, the rest are served as usual.
    pub(super) aborting: VecDeque<JupyterMessage>,
    pub(super) execution_count: usize,
    pub(super) history: History,
    pub(super) cancelled: Arc<AtomicBool>,
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

    pub(super) async fn handle(&mut self, request: JupyterMessage) {
        self.outbox.publish(Some(&request), Status::busy());
        self.dispatch(&request).await;
        self.outbox.publish(Some(&request), Status::idle());
    }

    pub(super) async fn dispatch(&mut self, request: &JupyterMessage) {
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

    pub(super) async fn user_expressions(
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
                    ename: error.kind.name().to_owned(),
                    evalue: error.evalue,
                    traceback: error.traceback,
                },
                Err(gone) => ExpressionResult::Error {
                    ename: CellErrorKind::KernelError.name().to_owned(),
                    evalue: gone.to_string(),
                    traceback: Vec::new(),
                },
            };
            results.insert(name.clone(), result);
        }
        results
    }

    pub(super) fn history_reply(&self, query: &HistoryRequest) -> HistoryReply {
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
    pub(super) async fn collect_queued(&mut self) {
        // Let the socket readers hand over what already arrived.
        tokio::task::yield_now().await;
        while let Ok(request) = self.requests.try_recv() {
            self.aborting.push_back(request);
        }
    }

    pub(super) async fn abort_or_handle(&mut self, request: JupyterMessage) {
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
