//! The relay between a cell's output and evcxr.
//!
//! evcxr reads this process's stdout one line at a time, which loses two things a notebook
//! needs: text printed without a newline (a progress dot, a prompt) and the order of stdout
//! against stderr. Before the first cell runs we therefore put a relay between the cell and the
//! real stdout:
//!
//! - fd 1 and fd 2 become pipes read by one relay thread, which writes to the real stdout;
//! - stderr text is wrapped as a marker line ([`crate::output_protocol`]), so it keeps its place
//!   among stdout lines, and it is drained before the end-of-cell and panic lines pass;
//! - stdout text without a newline is sent as a partial-stdout marker once the cell pauses;
//! - at the end of a cell the relay asks the cell-side flusher (started by the prelude, living
//!   in the cell's copy of std) to flush and confirm, so nothing printed trails into the next
//!   cell.

use std::io::Write;
use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec, poll};

use repronote_prelude::contract::{MarkerKind, marker_line};

use crate::output_protocol::{MARKER, stream_marker};
use crate::prelude::FLUSH_FIFO_ENV;

const EXECUTION_COMPLETE: &[u8] = super::runtime::EXECUTION_COMPLETE.as_bytes();
const PANIC_NOTIFICATION: &[u8] = b"EVCXR_PANIC_NOTIFICATION";
/// How long output may sit without a newline before it is sent anyway.
const PARTIAL_AFTER: Duration = Duration::from_millis(40);
/// How long the end of a cell waits for the flusher's confirmation.
const FLUSH_DEADLINE: Duration = Duration::from_secs(2);

pub fn install() -> std::io::Result<()> {
    let real_stdout = rustix::io::dup(std::io::stdout().as_fd())?;
    let (out_read, out_write) = rustix::pipe::pipe()?;
    let (err_read, err_write) = rustix::pipe::pipe()?;
    rustix::stdio::dup2_stdout(&out_write)?;
    rustix::stdio::dup2_stderr(&err_write)?;
    let flush_fifo = std::env::var_os(FLUSH_FIFO_ENV).and_then(|path| {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .ok()
    });
    let relay = Relay {
        out_read,
        err_read,
        real_stdout: std::fs::File::from(real_stdout),
        flush_fifo,
        out: Vec::new(),
        err: Vec::new(),
        flusher_ready: false,
        held_completion: None,
    };
    std::thread::Builder::new()
        .name("output-relay".to_owned())
        .spawn(move || relay.run())?;
    Ok(())
}

struct Relay {
    out_read: OwnedFd,
    err_read: OwnedFd,
    real_stdout: std::fs::File,
    flush_fifo: Option<std::fs::File>,
    out: Vec<u8>,
    err: Vec<u8>,
    flusher_ready: bool,
    /// An end-of-cell line waiting for the flusher's confirmation, and since when.
    held_completion: Option<(Vec<u8>, Instant)>,
}

impl Relay {
    fn run(mut self) {
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let (out_ready, err_ready) = match self.wait(PARTIAL_AFTER) {
                Ok(ready) => ready,
                Err(_) => return,
            };
            if err_ready {
                match rustix::io::read(&self.err_read, &mut buffer) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => self.err.extend_from_slice(&buffer[..n]),
                }
                self.send_stderr();
            }
            if out_ready {
                match rustix::io::read(&self.out_read, &mut buffer) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => self.out.extend_from_slice(&buffer[..n]),
                }
                self.process_stdout_lines();
            }
            if !out_ready && !err_ready {
                self.send_partials();
            }
            if let Some((_, since)) = &self.held_completion
                && since.elapsed() > FLUSH_DEADLINE
            {
                self.release_completion();
            }
        }
    }

    fn wait(&self, timeout: Duration) -> rustix::io::Result<(bool, bool)> {
        let timeout = Timespec {
            tv_sec: 0,
            tv_nsec: i64::from(timeout.subsec_nanos()),
        };
        let mut fds = [
            PollFd::new(&self.out_read, PollFlags::IN),
            PollFd::new(&self.err_read, PollFlags::IN),
        ];
        loop {
            match poll(&mut fds, Some(&timeout)) {
                Ok(_) => break,
                Err(rustix::io::Errno::INTR) => continue,
                Err(error) => return Err(error),
            }
        }
        let ready = |fd: &PollFd| !fd.revents().is_empty();
        Ok((ready(&fds[0]), ready(&fds[1])))
    }

    /// Reads whatever stderr holds right now, without blocking.
    fn drain_stderr(&mut self) {
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let mut fds = [PollFd::new(&self.err_read, PollFlags::IN)];
            let zero = Timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            if !matches!(poll(&mut fds, Some(&zero)), Ok(n) if n > 0) {
                break;
            }
            match rustix::io::read(&self.err_read, &mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => self.err.extend_from_slice(&buffer[..n]),
            }
        }
        if !self.err.is_empty() {
            let text = std::mem::take(&mut self.err);
            self.write(&stream_marker(MarkerKind::Stderr, &text));
        }
    }

    fn send_stderr(&mut self) {
        if let Some(end) = self.err.iter().rposition(|&b| b == b'\n') {
            let text: Vec<u8> = self.err.drain(..=end).collect();
            self.write(&stream_marker(MarkerKind::Stderr, &text));
        }
    }

    fn send_partials(&mut self) {
        if !self.err.is_empty() {
            let text = std::mem::take(&mut self.err);
            self.write(&stream_marker(MarkerKind::Stderr, &text));
        }
        if !self.out.is_empty() && self.held_completion.is_none() {
            let text = std::mem::take(&mut self.out);
            self.write(&stream_marker(MarkerKind::Stdout, &text));
        }
    }

    fn process_stdout_lines(&mut self) {
        while let Some(end) = self.out.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.out.drain(..=end).take(end).collect();
            self.handle_line(&line);
        }
    }

    fn handle_line(&mut self, line: &[u8]) {
        // Text printed without a newline right before a protocol line shares its line; split it.
        if let Some(at) = protocol_start(line) {
            self.write(&stream_marker(MarkerKind::Stdout, &line[..at]));
            return self.handle_line(&line[at..]);
        }
        let marker = MARKER.as_bytes();
        if line.starts_with(marker) {
            let kind = std::str::from_utf8(&line[marker.len()..])
                .ok()
                .and_then(MarkerKind::parse);
            match kind {
                Some(MarkerKind::Flusher) => self.flusher_ready = true,
                Some(MarkerKind::Flushed) => self.release_completion(),
                _ => self.write_line(line),
            }
        } else if line.starts_with(EXECUTION_COMPLETE) {
            self.hold_completion(line);
        } else if line.starts_with(PANIC_NOTIFICATION) {
            self.drain_stderr();
            self.write(format!("{}\n", marker_line(MarkerKind::Panic, &[])).as_bytes());
            self.write_line(line);
        } else {
            self.write_line(line);
        }
    }

    fn hold_completion(&mut self, line: &[u8]) {
        let asked = self.flusher_ready
            && self
                .flush_fifo
                .as_mut()
                .is_some_and(|fifo| fifo.write_all(b"f").is_ok());
        self.held_completion = Some((line.to_vec(), Instant::now()));
        if !asked {
            self.release_completion();
        }
    }

    fn release_completion(&mut self) {
        let Some((line, _)) = self.held_completion.take() else {
            return;
        };
        self.drain_stderr();
        if !self.out.is_empty() {
            let text = std::mem::take(&mut self.out);
            self.write(&stream_marker(MarkerKind::Stdout, &text));
        }
        self.write_line(&line);
    }

    fn write_line(&mut self, line: &[u8]) {
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line);
        bytes.push(b'\n');
        self.write(&bytes);
    }

    fn write(&mut self, bytes: &[u8]) {
        // If the kernel is gone there is nobody left to tell.
        let _ = self.real_stdout.write_all(bytes);
    }
}

/// Where a protocol line (evcxr's or ours) starts inside `line`, if not at its beginning.
fn protocol_start(line: &[u8]) -> Option<usize> {
    [&b"EVCXR_"[..], MARKER.as_bytes()]
        .iter()
        .filter_map(|needle| {
            line.windows(needle.len())
                .position(|window| window == *needle)
        })
        .filter(|&at| at > 0)
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_lines_glued_to_partial_text_are_found() {
        assert_eq!(protocol_start(b"abcEVCXR_EXECUTION_COMPLETE"), Some(3));
        assert_eq!(protocol_start(b"dots...\x1eLINFA display - x=00"), Some(7));
        assert_eq!(protocol_start(b"EVCXR_EXECUTION_COMPLETE"), None);
        assert_eq!(protocol_start(b"plain text"), None);
    }
}
