//! The real `linfa-export` binary against real artifact folders.

mod common;

use std::fs;

use common::{export_tiny, flip_byte, run, s, stderr, stdout, tiny_model, tiny_params};

#[test]
fn verify_ok() {
    let tmp = tempfile::tempdir().unwrap();
    let report = export_tiny(tmp.path(), "art");
    let out = run(&["verify", s(&report.dir)]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let text = stdout(&out);
    assert!(text.starts_with("OK "), "{text}");
    assert!(text.contains(report.digest()), "{text}");
    assert!(text.contains("3 files"), "{text}");
    let trust = text.lines().nth(1).unwrap_or_default();
    assert!(trust.starts_with("trust: consistency only"), "{text}");
}

#[test]
fn verify_tampered_names_file_and_both_digests() {
    let tmp = tempfile::tempdir().unwrap();
    let report = export_tiny(tmp.path(), "art");
    let dir = &report.dir;
    flip_byte(dir, "model.json", 5);
    fs::write(dir.join("stray.txt"), "x").unwrap();
    let expected = &report.manifest.files["model.json"].sha256;
    let actual = linfa_export::sha256_hex(&fs::read(dir.join("model.json")).unwrap());

    let out = run(&["verify", s(dir)]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].contains("model.json: sha256 mismatch"), "{text}");
    assert!(
        lines[0].contains(expected.as_str()) && lines[0].contains(&actual),
        "{text}"
    );
    assert!(
        lines[1].contains("stray.txt: not listed in manifest.json"),
        "{text}"
    );
    assert!(lines[2].starts_with("FAILED"), "{text}");
}

#[test]
fn verify_missing_folder_explains() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(&["verify", s(&tmp.path().join("nope"))]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("nope"), "{}", stdout(&out));

    let out = run(&["verify", s(tmp.path())]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("no manifest.json"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn inspect_json_and_human() {
    let tmp = tempfile::tempdir().unwrap();
    let report = export_tiny(tmp.path(), "art");
    let out = run(&["inspect", "--json", s(&report.dir)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["verified"], true);
    assert_eq!(doc["problems"], serde_json::json!([]));
    let manifest: linfa_export::Manifest = serde_json::from_value(doc["manifest"].clone()).unwrap();
    assert_eq!(manifest, report.manifest);

    let out = run(&["inspect", s(&report.dir)]);
    let text = stdout(&out);
    assert!(
        text.contains("linfa_linear::FittedLinearRegression<f64>"),
        "{text}"
    );
    assert!(text.contains("Verified         yes"), "{text}");
    assert!(text.contains("r2 = 0.75"), "{text}");

    flip_byte(&report.dir, "model.cbor", 0);
    let out = run(&["inspect", "--json", s(&report.dir)]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["verified"], false);
    assert!(doc["problems"][0].as_str().unwrap().contains("model.cbor"));
}

#[test]
fn diff_reports_what_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let a = export_tiny(tmp.path(), "a");
    let same = export_tiny(tmp.path(), "same");
    let b = tiny_params()
        .seed(8)
        .metric("r2", 0.5)
        .metric("mae", 0.1)
        .check()
        .unwrap()
        .export(&tiny_model(), tmp.path().join("b"))
        .unwrap();

    let out = run(&["diff", s(&a.dir), s(&same.dir)]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("identical"), "{}", stdout(&out));

    let out = run(&["diff", s(&a.dir), s(&b.dir)]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    for needle in [
        format!("artifact_sha256: {} -> {}", a.digest(), b.digest()),
        "provenance.seed: 7 -> 8".to_owned(),
        "metrics.r2: 0.75 -> 0.5 (change -0.25)".to_owned(),
        "metrics.mae: (absent) -> 0.1".to_owned(),
    ] {
        assert!(text.contains(&needle), "missing {needle:?} in\n{text}");
    }
    // The model itself did not change.
    assert!(!text.contains("files.model.json"), "{text}");
}

#[test]
fn card_prints_the_verified_card() {
    let tmp = tempfile::tempdir().unwrap();
    let report = export_tiny(tmp.path(), "art");
    let out = run(&["card", s(&report.dir)]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        out.stdout,
        fs::read(report.dir.join("MODEL_CARD.md")).unwrap()
    );
    assert!(stdout(&out).starts_with("---\nlicense: \"mit\""));

    flip_byte(&report.dir, "MODEL_CARD.md", -2);
    let out = run(&["card", s(&report.dir)]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("does not verify") && err.contains("linfa-export verify"),
        "{err}"
    );
}

#[test]
fn bad_usage_exits_2() {
    let out = run(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    let tmp = tempfile::tempdir().unwrap();
    let out = run(&["inspect", s(&tmp.path().join("missing"))]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("error: cannot read the artifact at"),
        "{}",
        stderr(&out)
    );
}
