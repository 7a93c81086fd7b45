//! `nb run`: execute a notebook top to bottom in a fresh kernel, like `nbconvert --execute`.
//!
//! The session seed comes from `--seed`, else from the notebook's metadata
//! (`"linfa": {"seed": N}`), else the kernel's default; it is set with a silent `:seed N`
//! before the first cell, so execution counts start at 1 as in JupyterLab. The run stops at the
//! first cell that fails and names it; the outputs up to and including that cell are kept. A
//! cell tagged `raises-exception` is expected to fail, and the run goes on after it.

use std::path::Path;
use std::time::{Duration, Instant};

use jupyter_protocol::messaging::{JupyterMessageContent, ReplyStatus};
use nbformat::v4::{Cell, Notebook};

use crate::outputs::{self, Displays};
use repronote_zmq::client::{ClientError, KernelClient, KernelCommand};

/// Where a notebook keeps its seed: `metadata.linfa.seed`.
pub const SEED_METADATA: (&str, &str) = ("linfa", "seed");

#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The kernel to run the notebook in (a fresh one per run).
    pub kernel: KernelCommand,
    /// Overrides the notebook's seed.
    pub seed: Option<u64>,
    /// How long one cell may run.
    pub cell_timeout: Duration,
    /// Print a line per cell on stderr.
    pub progress: bool,
}

impl RunOptions {
    /// A run in `kernel` with the notebook's own seed, 600 s per cell, progress on stderr.
    pub fn new(kernel: KernelCommand) -> Self {
        Self {
            kernel,
            seed: None,
            cell_timeout: Duration::from_secs(600),
            progress: true,
        }
    }
}

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Kernel(#[from] ClientError),
    #[error("cell {number} ({id}) failed: {ename}: {evalue}")]
    CellFailed {
        /// 1-based position among all the notebook's cells.
        number: usize,
        id: String,
        ename: String,
        evalue: String,
    },
    #[error("cell {number} ({id}): {error}")]
    CellKernel {
        number: usize,
        id: String,
        error: ClientError,
    },
    #[error(
        "the notebook's metadata.linfa.seed is {0}; it must be a whole number from 0 to 18446744073709551615"
    )]
    BadSeed(serde_json::Value),
}

/// The session seed a run uses: `--seed`, else the notebook's metadata, else none (the kernel's
/// default).
pub fn seed_for(notebook: &Notebook, requested: Option<u64>) -> Result<Option<u64>, RunError> {
    if requested.is_some() {
        return Ok(requested);
    }
    let (section, key) = SEED_METADATA;
    match notebook
        .metadata
        .additional
        .get(section)
        .and_then(|s| s.get(key))
    {
        None => Ok(None),
        Some(value) => value
            .as_u64()
            .map(Some)
            .ok_or_else(|| RunError::BadSeed(value.clone())),
    }
}

/// Runs every code cell of `notebook` in a fresh kernel working in `cwd`, filling in outputs
/// and execution counts.
pub async fn run_notebook(
    notebook: &mut Notebook,
    cwd: &Path,
    options: &RunOptions,
) -> Result<(), RunError> {
    let seed = seed_for(notebook, options.seed)?;
    let started = Instant::now();
    let mut client = KernelClient::start(&options.kernel, cwd).await?;
    if let Some(info) = &client.kernel_info
        && let Ok(language) = serde_json::to_value(&info.language_info)
        && let Ok(language) = serde_json::from_value(language)
    {
        notebook.metadata.language_info = Some(language);
    }
    let result = run_cells(notebook, &mut client, seed, options).await;
    if options.progress {
        eprintln!("finished in {:.1} s", started.elapsed().as_secs_f64());
    }
    client.shutdown().await;
    result
}

async fn run_cells(
    notebook: &mut Notebook,
    client: &mut KernelClient,
    seed: Option<u64>,
    options: &RunOptions,
) -> Result<(), RunError> {
    if let Some(seed) = seed {
        client
            .execute(&format!(":seed {seed}"), true, options.cell_timeout)
            .await?;
    }
    let total = notebook
        .cells
        .iter()
        .filter(|c| matches!(c, Cell::Code { .. }))
        .count();
    let mut displays = Displays::default();
    let mut done = 0;
    for index in 0..notebook.cells.len() {
        let Cell::Code {
            id,
            source,
            outputs,
            execution_count,
            ..
        } = &mut notebook.cells[index]
        else {
            continue;
        };
        outputs.clear();
        *execution_count = None;
        done += 1;
        let code = source.concat();
        let id = id.to_string();
        let expected_failure = super::expected_to_fail(&notebook.cells[index]);
        if code.trim().is_empty() {
            continue;
        }
        let number = index + 1;
        let cell_started = Instant::now();
        let execution = client
            .execute(&code, false, options.cell_timeout)
            .await
            .map_err(|error| RunError::CellKernel {
                number,
                id: id.clone(),
                error,
            })?;
        outputs::record(
            &mut notebook.cells,
            index,
            execution.messages,
            &mut displays,
        );
        let JupyterMessageContent::ExecuteReply(reply) = execution.reply else {
            continue;
        };
        if let Cell::Code {
            execution_count, ..
        } = &mut notebook.cells[index]
        {
            *execution_count = Some(reply.execution_count.0 as i32);
        }
        let failed = reply.status != ReplyStatus::Ok;
        if options.progress {
            let outcome = match (failed, expected_failure) {
                (false, _) => "ok",
                (true, true) => "failed, as its raises-exception tag expects",
                (true, false) => "FAILED",
            };
            eprintln!(
                "[{done}/{total}] cell {number} ({id}): {outcome} in {:.1} s",
                cell_started.elapsed().as_secs_f64()
            );
        }
        if failed && !expected_failure {
            let (ename, evalue) = reply
                .error
                .map(|e| (e.ename, e.evalue))
                .unwrap_or_else(|| ("error".to_owned(), format!("{:?}", reply.status)));
            return Err(RunError::CellFailed {
                number,
                id,
                ename,
                evalue,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notebook(metadata: serde_json::Value) -> Notebook {
        serde_json::from_value(serde_json::json!({
            "metadata": metadata, "nbformat": 4, "nbformat_minor": 5, "cells": []
        }))
        .unwrap()
    }

    #[test]
    fn the_seed_comes_from_the_flag_then_the_metadata() {
        let seeded = notebook(serde_json::json!({"linfa": {"seed": 7}}));
        assert_eq!(seed_for(&seeded, None).unwrap(), Some(7));
        assert_eq!(seed_for(&seeded, Some(9)).unwrap(), Some(9));
        assert_eq!(
            seed_for(&notebook(serde_json::json!({})), None).unwrap(),
            None
        );
        let bad = notebook(serde_json::json!({"linfa": {"seed": "seven"}}));
        let error = seed_for(&bad, None).unwrap_err().to_string();
        assert!(
            error.contains("metadata.linfa.seed") && error.contains("seven"),
            "{error}"
        );
    }
}
