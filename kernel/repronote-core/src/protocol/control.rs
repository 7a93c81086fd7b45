//! The control channel: answered while a cell runs (interrupt, shutdown, kernel_info).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use jupyter_protocol::messaging::{
    Channel, InterruptReply, JupyterMessage, JupyterMessageContent, ShutdownReply, Status,
};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::sync::watch;

use crate::interpreter::InterpreterHandle;
use crate::language;

use super::Outbox;

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
