//! The output pump: a thread that turns the evaluation process's output lines into outputs of
//! the cell that is running, including the prelude's display markers, and recognises panics.

use evcxr::EvalContextOutputs;

use super::super::{CellOutput, MimeBundle, Outputs, StreamName};
use super::errors::PanicReport;
use super::locations::CellLocations;
use crate::output_protocol::{ChildLine, parse_line};

/// The cell's result as a bundle; a unit value `()` is no result at all, as Python's `None`.
pub(super) fn bundle(content: std::collections::HashMap<String, String>) -> Option<MimeBundle> {
    let unit_only = content.len() == 1 && content.get("text/plain").is_some_and(|t| t == "()");
    let data: MimeBundle = content
        .into_iter()
        .map(|(mime, text)| (mime, serde_json::Value::String(text)))
        .collect();
    (!data.is_empty() && !unit_only).then_some(data)
}

pub(super) enum PumpCommand {
    Attach(Outputs),
    Finish(crossbeam_channel::Sender<Option<PanicReport>>),
}

/// Moves the evaluation process's output to the cell that is running.
pub(super) struct OutputPump {
    pub(super) commands: crossbeam_channel::Sender<PumpCommand>,
}

impl OutputPump {
    pub(super) fn start(
        outputs: EvalContextOutputs,
        build_lines: crossbeam_channel::Receiver<String>,
        locations: CellLocations,
    ) -> Self {
        let (commands, command_queue) = crossbeam_channel::unbounded();
        let state = PumpState {
            locations,
            ..PumpState::default()
        };
        std::thread::Builder::new()
            .name("output-pump".to_owned())
            .spawn(move || state.run(outputs, build_lines, command_queue))
            .expect("the OS can start a thread");
        Self { commands }
    }

    pub(super) fn attach(&self, outputs: Outputs) {
        let _ = self.commands.send(PumpCommand::Attach(outputs));
    }

    /// Waits until every line of the finished cell was delivered; returns its panic, if any.
    pub(super) fn finish(&self) -> Option<PanicReport> {
        let (done, finished) = crossbeam_channel::bounded(1);
        self.commands.send(PumpCommand::Finish(done)).ok()?;
        finished.recv().ok().flatten()
    }
}

#[derive(Default)]
pub(super) struct PumpState {
    pub(super) target: Option<Outputs>,
    /// stderr lines of a panic being printed, held back from the stream.
    pub(super) capture: Option<PanicReport>,
    pub(super) in_backtrace: bool,
    pub(super) panic: Option<PanicReport>,
    /// Rewrites locations in evcxr's generated file as the cell's lines.
    pub(super) locations: CellLocations,
}

impl PumpState {
    pub(super) fn run(
        mut self,
        outputs: EvalContextOutputs,
        mut build_lines: crossbeam_channel::Receiver<String>,
        commands: crossbeam_channel::Receiver<PumpCommand>,
    ) {
        loop {
            crossbeam_channel::select! {
                recv(build_lines) -> line => match line {
                    Ok(line) => match &self.target {
                        Some(target) => target.stream(StreamName::Stderr, format!("{line}\n")),
                        None => tracing::info!("{line}"),
                    },
                    // The capture ended: stop listening rather than spin on a closed channel.
                    Err(_) => build_lines = crossbeam_channel::never(),
                },
                recv(outputs.stdout) -> line => match line {
                    Ok(line) => self.handle(parse_line(line)),
                    Err(_) => return,
                },
                recv(outputs.stderr) -> line => match line {
                    Ok(line) => self.stderr(format!("{line}\n")),
                    Err(_) => return,
                },
                recv(commands) -> command => match command {
                    Ok(PumpCommand::Attach(target)) => {
                        self.target = Some(target);
                        self.panic = None;
                    }
                    Ok(PumpCommand::Finish(done)) => {
                        while let Ok(line) = outputs.stdout.try_recv() {
                            self.handle(parse_line(line));
                        }
                        while let Ok(line) = outputs.stderr.try_recv() {
                            self.stderr(format!("{line}\n"));
                        }
                        if let Some(unfinished) = self.capture.take() {
                            // A panic outside the cell's own thread: show what it printed.
                            let text = std::iter::once(unfinished.header)
                                .chain(unfinished.message)
                                .collect::<Vec<_>>()
                                .join("\n");
                            self.emit(CellOutput::Stream { name: StreamName::Stderr, text: text + "\n" });
                        }
                        let _ = done.send(self.panic.take());
                        self.target = None;
                    }
                    Err(_) => return,
                },
            }
        }
    }

    pub(super) fn emit(&self, output: CellOutput) {
        match &self.target {
            Some(target) => target.emit(output),
            None => tracing::debug!("output outside of a cell: {output:?}"),
        }
    }

    pub(super) fn handle(&mut self, line: ChildLine) {
        let stdout = |text| CellOutput::Stream {
            name: StreamName::Stdout,
            text,
        };
        match line {
            ChildLine::Stdout(text) => self.emit(stdout(text + "\n")),
            ChildLine::PartialStdout(text) => self.emit(stdout(text)),
            ChildLine::Stderr(text) => self.stderr(text),
            ChildLine::Display { display_id, data } => {
                self.emit(CellOutput::Display { data, display_id })
            }
            ChildLine::UpdateDisplay { display_id, data } => {
                self.emit(CellOutput::UpdateDisplay { data, display_id })
            }
            ChildLine::ClearOutput { wait } => self.emit(CellOutput::ClearOutput { wait }),
            ChildLine::Panic => self.panic = Some(self.capture.take().unwrap_or_default()),
            ChildLine::Unknown(marker) => tracing::debug!("unknown output marker: {marker}"),
        }
    }

    /// Streams stderr text, except a panic report, which becomes the cell's error instead.
    pub(super) fn stderr(&mut self, text: String) {
        let mut passthrough = String::new();
        for line in text.split_inclusive('\n') {
            let bare = line.trim_end_matches('\n');
            if bare.starts_with("thread '") && bare.contains(" panicked at ") {
                // std separates the report from earlier output with a blank line; it belongs
                // to the report.
                if passthrough.ends_with("\n\n") || passthrough == "\n" {
                    passthrough.pop();
                }
                self.capture = Some(PanicReport {
                    header: self.locations.in_cell_terms(bare),
                    message: Vec::new(),
                });
                self.in_backtrace = false;
            } else if let Some(capture) = &mut self.capture {
                if bare.starts_with("note: ") || bare.starts_with("stack backtrace:") {
                    self.in_backtrace = true;
                } else {
                    let leading_blank = capture.message.is_empty() && bare.is_empty();
                    if !self.in_backtrace && !leading_blank {
                        capture.message.push(bare.to_owned());
                    }
                }
            } else {
                passthrough.push_str(line);
            }
        }
        if !passthrough.is_empty() {
            // `dbg!` writes its location in evcxr's generated file.
            self.emit(CellOutput::Stream {
                name: StreamName::Stderr,
                text: self.locations.in_cell_terms(&passthrough),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    use super::super::super::{CellEvent, plain_text};
    use super::*;

    #[test]
    fn a_unit_result_is_not_shown() {
        let text =
            |t: &str| std::collections::HashMap::from([("text/plain".to_owned(), t.to_owned())]);
        assert_eq!(bundle(text("()")), None);
        assert_eq!(bundle(text("42")), Some(plain_text("42")));
        assert_eq!(bundle(Default::default()), None);
    }

    fn pump_with_target() -> (PumpState, tokio::sync::mpsc::UnboundedReceiver<CellEvent>) {
        let (events, receiver) = tokio::sync::mpsc::unbounded_channel();
        let state = PumpState {
            target: Some(Outputs::new(events, Arc::new(AtomicBool::new(false)))),
            ..PumpState::default()
        };
        (state, receiver)
    }

    fn streamed(receiver: &mut tokio::sync::mpsc::UnboundedReceiver<CellEvent>) -> Vec<CellOutput> {
        let mut outputs = Vec::new();
        while let Ok(CellEvent::Output(output)) = receiver.try_recv() {
            outputs.push(output);
        }
        outputs
    }

    #[test]
    fn a_panic_report_becomes_the_error_not_stderr() {
        let (mut pump, mut receiver) = pump_with_target();
        pump.stderr("before\n".to_owned());
        pump.stderr(
            "thread '<unnamed>' panicked at src/lib.rs:10:5:\nboom\nnote: run with `RUST_BACKTRACE=1`\n"
                .to_owned(),
        );
        pump.handle(ChildLine::Panic);
        let error = pump.panic.take().unwrap().into_cell_error();
        assert_eq!(error.kind.name(), "panic");
        assert_eq!(error.evalue, "boom");
        assert_eq!(
            streamed(&mut receiver),
            vec![CellOutput::Stream {
                name: StreamName::Stderr,
                text: "before\n".to_owned()
            }]
        );
    }
}
