//! An export inside a notebook session carries the session's provenance, read from the file
//! the kernel names in `REPRONOTE_PROVENANCE_FILE`; a broken file is a clear error.
//!
//! The variable is process-wide, so each case runs this test binary again as a child with the
//! variable set, where the `#[ignore]`d `in_a_session` test does the export.

mod common;

use common::{run_ignored_test, tiny_model};
use linfa_export::{ExportParams, ParamsError, SESSION_PROVENANCE_ENV};

const SESSION: &str = r#"{
  "seed": 42,
  "cells": ["0000000000000000000000000000000000000000000000000000000000000001"],
  "non_reproducible": true,
  "non_reproducible_reason": "entropy was allowed with `:allow_entropy`",
  "kernel": {"name": "repronote", "version": "0.1.0"}
}"#;

/// What the child checks, and where it exports.
const EXPECT_ENV: &str = "LINFA_EXPORT_TEST_EXPECT";
const TARGET_ENV: &str = "LINFA_EXPORT_TEST_TARGET";

fn run_child(provenance_text: &str, expect: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("provenance.json");
    std::fs::write(&file, provenance_text).unwrap();
    let target = dir.path().join("model");
    run_ignored_test(
        "in_a_session",
        &[
            (SESSION_PROVENANCE_ENV, file.as_os_str()),
            (EXPECT_ENV, expect.as_ref()),
            (TARGET_ENV, target.as_os_str()),
        ],
        None,
        "",
    );
}

#[test]
fn an_export_in_a_session_records_the_sessions_provenance() {
    run_child(SESSION, "recorded");
}

#[test]
fn a_broken_session_file_is_a_clear_error() {
    run_child("{ not json", "error");
}

#[test]
#[ignore = "run by the tests above, in a child process with the session variable set"]
fn in_a_session() {
    let expect = std::env::var(EXPECT_ENV).expect("run by the tests above");
    let target = std::env::var(TARGET_ENV).unwrap();
    let checked = ExportParams::new("session").metric("r2", 1.0).check();
    if expect == "error" {
        let error = checked.unwrap_err();
        assert!(matches!(error, ParamsError::SessionProvenance { .. }));
        let message = error.to_string();
        assert!(message.contains("provenance.json"), "{message}");
        assert!(message.contains("REPRONOTE_PROVENANCE_FILE"), "{message}");
        return;
    }
    let report = checked.unwrap().export(&tiny_model(), &target).unwrap();
    let provenance = report.manifest.provenance.expect("recorded");
    assert_eq!(provenance.seed, Some(42));
    assert_eq!(provenance.cells.len(), 1);
    assert!(provenance.non_reproducible);
    assert_eq!(provenance.kernel.unwrap().name, "repronote");
    let card =
        std::fs::read_to_string(std::path::Path::new(&target).join("MODEL_CARD.md")).unwrap();
    assert!(card.contains("Not reproducible"), "{card}");
}
