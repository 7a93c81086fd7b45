//! Shows dependency builds in the notebook instead of the server log.
//!
//! When a cell adds a dependency (`:dep`), evcxr runs cargo and copies cargo's
//! `Compiling <crate>` lines to the kernel's own stderr, which only the Jupyter server log
//! shows: the notebook sits silent for the minute a build can take. The kernel therefore points
//! its fd 2 at a pipe whose lines go to the running cell as stderr text (see the output pump in
//! [`crate::interpreter::evcxr`]). The kernel's own log keeps the original stderr, through the
//! handle [`keep_original_stderr`] returns before the redirection.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::os::fd::AsFd;

/// A handle on the process's stderr as it was at start-up, for the kernel's own log.
pub fn keep_original_stderr() -> std::io::Result<File> {
    Ok(File::from(rustix::io::dup(std::io::stderr().as_fd())?))
}

/// Redirects this process's stderr into a pipe; returns the lines written to it from now on.
pub fn capture_stderr() -> std::io::Result<crossbeam_channel::Receiver<String>> {
    let (read, write) = rustix::pipe::pipe()?;
    rustix::stdio::dup2_stderr(&write)?;
    let (lines, received) = crossbeam_channel::unbounded();
    std::thread::Builder::new()
        .name("build-progress".to_owned())
        .spawn(move || {
            for line in BufReader::new(File::from(read)).lines() {
                let Ok(line) = line else { return };
                if lines.send(line).is_err() {
                    return;
                }
            }
        })?;
    Ok(received)
}
