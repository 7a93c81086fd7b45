//! `nb strip`: a notebook as it is committed: no outputs, no execution counts, no timings.

use nbformat::v4::{Cell, Notebook};

/// Keys of a cell's metadata that only describe one execution.
const EXECUTION_METADATA: &[&str] = &["ExecuteTime"];

/// Strips `notebook` in place; returns whether anything changed.
pub fn strip(notebook: &mut Notebook) -> bool {
    let mut changed = false;
    for cell in &mut notebook.cells {
        if let Cell::Code {
            outputs,
            execution_count,
            metadata,
            ..
        } = cell
        {
            changed |= !outputs.is_empty() || execution_count.is_some();
            outputs.clear();
            *execution_count = None;
            changed |= metadata.execution.take().is_some();
            for key in EXECUTION_METADATA {
                changed |= metadata.additional.remove(*key).is_some();
            }
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_counts_and_timings_go_the_rest_stays() {
        let mut notebook: Notebook = serde_json::from_value(serde_json::json!({
            "metadata": {"kernelspec": {"name": "linfa", "display_name": "Rust (linfa)"}},
            "nbformat": 4, "nbformat_minor": 5,
            "cells": [
                {"cell_type": "code", "id": "a", "execution_count": 2, "source": "1 + 1",
                 "metadata": {"tags": ["keep"], "ExecuteTime": {"end_time": "x"}},
                 "outputs": [{"output_type": "stream", "name": "stdout", "text": "hi\n"}]},
                {"cell_type": "markdown", "id": "b", "metadata": {}, "source": "text"}
            ]
        }))
        .unwrap();
        assert!(strip(&mut notebook));
        let Cell::Code {
            outputs,
            execution_count,
            metadata,
            source,
            ..
        } = &notebook.cells[0]
        else {
            panic!("a code cell")
        };
        assert!(outputs.is_empty() && execution_count.is_none());
        assert!(!metadata.additional.contains_key("ExecuteTime"));
        assert_eq!(metadata.tags.as_deref(), Some(&["keep".to_owned()][..]));
        assert_eq!(source.concat(), "1 + 1");
        assert!(!strip(&mut notebook), "a stripped notebook stays as it is");
    }
}
