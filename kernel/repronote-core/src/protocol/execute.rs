//! `execute_request`: the counter, the cell's outputs published as they happen, the reply, and
//! the round trip to the frontend for `input_request`.

use std::sync::atomic::Ordering;

use jupyter_protocol::ExecutionCount;
use jupyter_protocol::messaging::{
    Channel, ClearOutput, DisplayData, ErrorOutput, ExecuteInput, ExecuteReply, ExecuteRequest,
    ExecuteResult, InputRequest, JupyterMessage, JupyterMessageContent, Payload, ReplyError,
    ReplyStatus, Stdio, StreamContent, Transient, UpdateDisplayData,
};

use crate::interpreter::{
    Cell, CellError, CellErrorKind, CellEvent, CellOutput, Outputs, StreamName,
};

use super::media;
use super::shell::Shell;

impl Shell {
    pub(super) async fn execute(&mut self, request: &JupyterMessage, execute: ExecuteRequest) {
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
                            ename: error.kind.name().to_owned(),
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
                            ename: error.kind.name().to_owned(),
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
    pub(super) async fn run_cell(
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
                .get(super::SEED_IDENTITY_METADATA)
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
                kind: CellErrorKind::KernelError,
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

    pub(super) fn cell_event(
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

    pub(super) fn publish_output(&self, request: &JupyterMessage, output: CellOutput) {
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
}
