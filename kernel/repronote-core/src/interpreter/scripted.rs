//! A scripted interpreter: a tiny language instead of Rust, answered at once.
//!
//! It drives the core's tests and the transport's integration test (`repronote-zmq`), the way
//! xeus tests its server with a mock interpreter: every protocol path (streams, results,
//! displays, stdin, errors, interrupts) without a compiler in the loop.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::{
    Cell, CellError, CellErrorKind, CellOutput, Completions, Executed, Interpreter, Interrupt,
    MimeBundle, Outputs, StreamName, plain_text,
};

/// Understands a tiny language: `print X`, `result X`, `fail`, `ask`, `display`, `hang`.
#[derive(Debug, Default)]
pub struct Scripted {
    stop: Arc<Stop>,
}

#[derive(Debug, Default)]
struct Stop(AtomicBool);

impl Interrupt for Stop {
    fn interrupt(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl Interpreter for Scripted {
    fn execute(&mut self, cell: &Cell, outputs: &Outputs) -> Result<Executed, CellError> {
        let code = cell.code.as_str();
        let (command, argument) = code.split_once(' ').unwrap_or((code, ""));
        let mut executed = Executed::default();
        match command {
            "print" => outputs.stream(StreamName::Stdout, argument),
            "result" => executed.result = Some(plain_text(argument)),
            "cell-id" => {
                executed.result = Some(plain_text(cell.id.as_deref().unwrap_or("(none)")));
            }
            "ask" => {
                let answer = outputs.read_input("name? ", false);
                executed.result = Some(plain_text(answer.unwrap_or_else(|| "<none>".into())));
            }
            "display" => {
                outputs.emit(CellOutput::Display {
                    data: plain_text("0%"),
                    display_id: Some("bar".into()),
                });
                outputs.emit(CellOutput::UpdateDisplay {
                    data: plain_text("100%"),
                    display_id: "bar".into(),
                });
                outputs.emit(CellOutput::ClearOutput { wait: true });
            }
            "hang" => {
                self.stop.0.store(false, Ordering::SeqCst);
                while !self.stop.0.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(5));
                }
                return Err(CellError {
                    kind: CellErrorKind::Interrupted,
                    evalue: "stopped".into(),
                    traceback: vec![],
                });
            }
            _ => {
                return Err(CellError {
                    kind: CellErrorKind::EvaluationError,
                    evalue: format!("unknown command {command}"),
                    traceback: vec![format!("unknown command {command}")],
                });
            }
        }
        Ok(executed)
    }

    fn complete(&mut self, _code: &str, cursor_pos: usize) -> Completions {
        Completions {
            matches: vec!["print".into()],
            cursor_start: 0,
            cursor_end: cursor_pos,
        }
    }

    fn inspect(&mut self, _code: &str, _cursor_pos: usize, _detail: u8) -> Option<MimeBundle> {
        None
    }

    fn interrupter(&self) -> Arc<dyn Interrupt> {
        self.stop.clone()
    }
}
