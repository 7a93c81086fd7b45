//! The artifact format pinned byte for byte, and every way of tampering with
//! an artifact refused with the right error before anything is decoded.

mod common;

use std::fs;
use std::os::unix::fs::symlink;

use common::{copy_dir, export_tiny, flip_byte, manifest_path, rewrite_manifest, tiny_model};
use linfa_export::{
    ExportError, ExportParams, ExportableModel, FileEntry, FileRole, Loaded, Manifest, VerifyError,
    VerifyOptions, load, locked_crates, verify, verify_with,
};
use linfa_linear::FittedLinearRegression;
use ndarray::array;
use serde_json::Value;
use sha2::{Digest, Sha256};

type Tiny = FittedLinearRegression<f64>;

const EXPECTED_MANIFEST: &str = r#"{
  "format_version": 1,
  "artifact_sha256": "{ARTIFACT}",
  "exported_at": null,
  "model": {
    "model_type": "linfa_linear::FittedLinearRegression",
    "type_params": [
      "f64"
    ],
    "crate_name": "linfa-linear",
    "crate_version": "0.8.1"
  },
  "files": {
    "MODEL_CARD.md": {
      "role": "model_card",
      "size": 2268,
      "sha256": "9e75d7041c2eadbac8e53dbe3c1f511fe4a2fae9a148b3eb8c0b9ae49900d083"
    },
    "model.cbor": {
      "role": "model_cbor",
      "size": 43,
      "sha256": "483128f89cbc897b279034962f00d4b3df05732575b18f129c95b9c5678c3a43"
    },
    "model.json": {
      "role": "model_json",
      "size": 64,
      "sha256": "5d0e23222fe940fe04135608af60d0f6f30827725c9c42610263997fba5327e2"
    }
  },
  "data": {
    "name": "toy",
    "source": "written by hand",
    "records": {
      "shape": [
        4,
        2
      ],
      "element_type": "f64",
      "sha256": "a5b7d4dccf27b6a23cb255a5559fed3b18ad05c91b8c21759cf965f99749ccfd"
    },
    "targets": {
      "shape": [
        4
      ],
      "element_type": "f64",
      "sha256": "439fbfa80f2c6db56253c92f407a60f63efac5a8e0b419ef22e0ae8bdc3cc161"
    }
  },
  "provenance": {
    "seed": 7,
    "cells": [],
    "non_reproducible": false,
    "non_reproducible_reason": null,
    "kernel": null
  },
  "hyperparameters": {
    "fit_intercept": true
  },
  "metrics": {
    "r2": 0.75
  },
  "toolchain": {
    "rustc": "{RUSTC}",
    "target": "{TARGET}",
    "linfa_export": "0.1.0"
  },
  "crates": {
{CRATES}
  },
  "card": {
    "name": "tiny linear",
    "description": "y = 0.5 + 2 x0 - 1.25 x1, fixed weights for tests.",
    "intended_use": "Testing linfa-export.",
    "limitations": "Two features only.",
    "license": "mit",
    "authors": [
      "linfa-export tests"
    ],
    "tags": [
      "test"
    ],
    "risks": {
      "bias": "None: synthetic data.",
      "private_data": "No personal data.",
      "environment": "Only valid for inputs near the four training rows.",
      "other": []
    }
  }
}
"#;

/// The artifact digest computed independently of the library: SHA-256 of
/// the compact, key-sorted manifest without the digest and export time.
fn independent_digest(manifest_text: &str) -> String {
    let mut value: Value = serde_json::from_str(manifest_text).unwrap();
    let map = value.as_object_mut().unwrap();
    map.remove("artifact_sha256");
    map.remove("exported_at");
    hex::encode(Sha256::digest(serde_json::to_vec(&value).unwrap()))
}

#[test]
fn manifest_of_a_fixed_model_is_exactly_as_expected() {
    let tmp = tempfile::tempdir().unwrap();
    let report = export_tiny(tmp.path(), "tiny");
    let written = fs::read_to_string(manifest_path(&report.dir)).unwrap();

    let crates = locked_crates()
        .iter()
        .map(|(k, v)| format!("    \"{k}\": \"{v}\""))
        .collect::<Vec<_>>()
        .join(",\n");
    let expected = EXPECTED_MANIFEST
        .replace("{RUSTC}", linfa_export::RUSTC_VERSION)
        .replace("{TARGET}", linfa_export::TARGET)
        .replace("{CRATES}", &crates);
    let digest = independent_digest(&expected);
    let expected = expected.replace("{ARTIFACT}", &digest);
    assert_eq!(written, expected);
    assert_eq!(report.digest(), digest);

    // The model bytes are the canonical JSON, byte for byte.
    assert_eq!(
        fs::read_to_string(report.dir.join("model.json")).unwrap(),
        "{\"intercept\":0.5,\"params\":{\"data\":[2.0,-1.25],\"dim\":[2],\"v\":1}}\n"
    );
    // The card starts with the front matter the Hugging Face Hub reads.
    let card = fs::read_to_string(report.dir.join("MODEL_CARD.md")).unwrap();
    assert!(card.starts_with(
        "---\nlicense: \"mit\"\nlibrary_name: \"linfa\"\ntags:\n- \"linfa\"\n- \"rust\"\n\
         - \"linfa-linear\"\n- \"FittedLinearRegression\"\n- \"test\"\n\
         datasets:\n- \"toy\"\nmetrics:\n- \"r2\"\n\
         model-index:\n- name: \"tiny linear\"\n  results:\n  - task:\n      \
         type: \"tabular-regression\"\n    dataset:\n      name: \"toy\"\n      type: \"toy\"\n    \
         metrics:\n    - type: \"r2\"\n      value: 0.75\n---\n\n# tiny linear\n"
    ));
    for needle in [
        "**Bias across groups**: None: synthetic data.",
        "**Private data**: No personal data.",
        "**Environment limits**: Only valid for inputs near the four training rows.",
        "| r2 | 0.75 |",
        "- Seed: 7",
        "## Citing this model",
        "tiny linear (linfa-export artifact, sha256 `<artifact_sha256>`)",
        "`linfa-export verify <folder> --expect <artifact_sha256>`",
    ] {
        assert!(card.contains(needle), "card lacks {needle:?}:\n{card}");
    }
}

#[test]
fn the_export_time_is_outside_the_digest() {
    use linfa_export::Timestamp;
    use std::time::{Duration, UNIX_EPOCH};
    let tmp = tempfile::tempdir().unwrap();
    let at = |secs| {
        common::tiny_params()
            .timestamp(Timestamp::At(UNIX_EPOCH + Duration::from_secs(secs)))
            .check()
            .unwrap()
            .export(&tiny_model(), tmp.path().join(secs.to_string()))
            .unwrap()
    };
    let (a, b) = (at(1_700_000_000), at(1_800_000_000));
    assert_eq!(
        a.manifest.exported_at.as_deref(),
        Some("2023-11-14T22:13:20Z")
    );
    assert_ne!(a.manifest.exported_at, b.manifest.exported_at);
    assert_eq!(a.digest(), b.digest());
    let c = common::tiny_params()
        .metric("r2", 0.76)
        .check()
        .unwrap()
        .export(&tiny_model(), tmp.path().join("c"))
        .unwrap();
    assert_ne!(a.digest(), c.digest());
}

/// Exports the tiny model and returns (tempdir, artifact path).
fn fresh() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = export_tiny(tmp.path(), "art").dir;
    assert!(verify(&dir).is_ok());
    (tmp, dir)
}

fn only_problem(dir: &std::path::Path) -> VerifyError {
    let mut report = verify(dir);
    assert_eq!(report.problems.len(), 1, "{:#?}", report.problems);
    report.problems.remove(0)
}

fn load_err(dir: &std::path::Path) -> VerifyError {
    match load::<Tiny>(dir) {
        Ok(_) => panic!("tampered artifact loaded"),
        Err(e) => e,
    }
}

#[test]
fn changed_model_json_is_refused_before_decoding() {
    let (_tmp, dir) = fresh();
    // Same size, still valid JSON for the model: 2.0 becomes 3.0.
    let path = dir.join("model.json");
    let text = fs::read_to_string(&path).unwrap().replace("[2.0,", "[3.0,");
    fs::write(&path, &text).unwrap();
    let expected_old = "5d0e23222fe940fe04135608af60d0f6f30827725c9c42610263997fba5327e2";
    let actual_new = hex::encode(Sha256::digest(text.as_bytes()));
    match only_problem(&dir) {
        VerifyError::DigestMismatch {
            file,
            expected,
            actual,
        } => {
            assert_eq!(file, "model.json");
            assert_eq!(expected, expected_old);
            assert_eq!(actual, actual_new);
        }
        other => panic!("{other:?}"),
    }
    // load verifies every file, including the JSON it does not decode.
    let err = load_err(&dir);
    let message = err.to_string();
    assert!(message.contains("model.json"), "{message}");
    assert!(
        message.contains(expected_old) && message.contains(&actual_new),
        "{message}"
    );

    // The tampered bytes do decode: only the hash check stood in the way.
    let tampered: Tiny = serde_json::from_str(&text).unwrap();
    assert_ne!(tampered, tiny_model());
}

#[test]
fn changed_model_cbor_is_refused() {
    let (_tmp, dir) = fresh();
    flip_byte(&dir, "model.cbor", -1);
    assert!(matches!(
        only_problem(&dir),
        VerifyError::DigestMismatch { ref file, .. } if file == "model.cbor"
    ));
    assert!(
        matches!(load_err(&dir), VerifyError::DigestMismatch { file, .. } if file == "model.cbor")
    );
}

#[test]
fn changed_card_is_refused() {
    let (_tmp, dir) = fresh();
    flip_byte(&dir, "MODEL_CARD.md", 10);
    assert!(matches!(
        only_problem(&dir),
        VerifyError::DigestMismatch { ref file, .. } if file == "MODEL_CARD.md"
    ));
    assert!(matches!(load_err(&dir), VerifyError::DigestMismatch { .. }));
}

#[test]
fn changed_manifest_is_refused() {
    // A metric edited by hand: still canonical JSON, digest no longer matches.
    let (_tmp, dir) = fresh();
    let path = manifest_path(&dir);
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, text.replace("\"r2\": 0.75", "\"r2\": 0.95")).unwrap();
    match only_problem(&dir) {
        VerifyError::ManifestDigestMismatch {
            file,
            expected,
            actual,
        } => {
            assert_eq!(file, "manifest.json");
            assert_ne!(expected, actual);
            assert_eq!(
                actual,
                independent_digest(&fs::read_to_string(&path).unwrap())
            );
        }
        other => panic!("{other:?}"),
    }

    // One byte of whitespace: same content, not the canonical bytes.
    let (_tmp, dir) = fresh();
    let path = manifest_path(&dir);
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, text.replacen("  \"model\"", " \t\"model\"", 1)).unwrap();
    assert!(matches!(
        only_problem(&dir),
        VerifyError::ManifestNotCanonical { .. }
    ));

    // A flipped byte inside a file digest.
    let (_tmp, dir) = fresh();
    let path = manifest_path(&dir);
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, text.replace("5d0e2322", "5d0e2323")).unwrap();
    assert!(matches!(
        load_err(&dir),
        VerifyError::ManifestDigestMismatch { .. }
    ));

    // Broken JSON.
    let (_tmp, dir) = fresh();
    flip_byte(&dir, "manifest.json", 0);
    assert!(matches!(
        only_problem(&dir),
        VerifyError::ManifestInvalid { .. }
    ));
}

#[test]
fn removed_and_added_files_are_refused() {
    let (_tmp, dir) = fresh();
    fs::remove_file(dir.join("model.cbor")).unwrap();
    match only_problem(&dir) {
        VerifyError::MissingFile { file, expected } => {
            assert_eq!(file, "model.cbor");
            assert_eq!(
                expected,
                "483128f89cbc897b279034962f00d4b3df05732575b18f129c95b9c5678c3a43"
            );
        }
        other => panic!("{other:?}"),
    }

    let (_tmp, dir) = fresh();
    fs::create_dir(dir.join("extra")).unwrap();
    fs::write(dir.join("extra/notes.txt"), "hello").unwrap();
    assert!(matches!(
        only_problem(&dir),
        VerifyError::UnexpectedFile { ref file } if file == "extra/notes.txt"
    ));
    assert!(matches!(load_err(&dir), VerifyError::UnexpectedFile { .. }));

    let (_tmp, dir) = fresh();
    fs::remove_file(manifest_path(&dir)).unwrap();
    assert!(matches!(
        only_problem(&dir),
        VerifyError::ManifestMissing { .. }
    ));
}

#[test]
fn every_problem_is_reported_not_just_the_first() {
    let (_tmp, dir) = fresh();
    flip_byte(&dir, "model.json", 3);
    fs::remove_file(dir.join("MODEL_CARD.md")).unwrap();
    fs::write(dir.join("stray.bin"), [0u8; 3]).unwrap();
    let report = verify(&dir);
    let files: Vec<String> = report.problems.iter().map(VerifyError::file).collect();
    assert_eq!(
        files,
        ["MODEL_CARD.md", "model.json", "stray.bin"],
        "{:#?}",
        report.problems
    );
    assert!(matches!(
        report.problems[0],
        VerifyError::MissingFile { .. }
    ));
    assert!(matches!(
        report.problems[1],
        VerifyError::DigestMismatch { .. }
    ));
    assert!(matches!(
        report.problems[2],
        VerifyError::UnexpectedFile { .. }
    ));
}

#[test]
fn paths_leaving_the_folder_are_refused_before_any_read() {
    for bad in [
        "../outside.json",
        "/etc/passwd",
        "a\\..\\b",
        "",
        "sub/../../x",
    ] {
        let (tmp, dir) = fresh();
        // A real file at the escaping target, with the right digest, so only
        // the path check can refuse it.
        let secret = tmp.path().join("outside.json");
        fs::write(&secret, "secret").unwrap();
        rewrite_manifest(&dir, |m| {
            m.files.insert(
                bad.to_owned(),
                FileEntry {
                    role: FileRole::Attachment,
                    size: 6,
                    sha256: hex::encode(Sha256::digest(b"secret")),
                },
            );
        });
        match only_problem(&dir) {
            VerifyError::UnsafePath { file, .. } => assert_eq!(file, bad),
            other => panic!("{bad:?}: {other:?}"),
        }
        assert!(matches!(load_err(&dir), VerifyError::UnsafePath { .. }));
    }
}

#[test]
fn symlinks_are_refused() {
    // A listed file replaced by a link to an identical copy outside.
    let (tmp, dir) = fresh();
    let outside = tmp.path().join("card-copy.md");
    fs::copy(dir.join("MODEL_CARD.md"), &outside).unwrap();
    fs::remove_file(dir.join("MODEL_CARD.md")).unwrap();
    symlink(&outside, dir.join("MODEL_CARD.md")).unwrap();
    assert!(matches!(
        only_problem(&dir),
        VerifyError::Symlink { ref file } if file == "MODEL_CARD.md"
    ));
    assert!(matches!(load_err(&dir), VerifyError::Symlink { .. }));

    // An unlisted link, and a linked manifest.
    let (tmp, dir) = fresh();
    symlink("/etc/hostname", dir.join("link")).unwrap();
    assert!(matches!(only_problem(&dir), VerifyError::Symlink { ref file } if file == "link"));
    let (_tmp2, dir2) = fresh();
    let moved = tmp.path().join("m.json");
    fs::rename(manifest_path(&dir2), &moved).unwrap();
    symlink(&moved, manifest_path(&dir2)).unwrap();
    assert!(matches!(only_problem(&dir2), VerifyError::Symlink { .. }));
}

#[test]
fn truncated_file_is_refused_by_size() {
    let (_tmp, dir) = fresh();
    let path = dir.join("model.json");
    let bytes = fs::read(&path).unwrap();
    fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
    match only_problem(&dir) {
        VerifyError::SizeMismatch {
            file,
            declared,
            actual,
        } => {
            assert_eq!((file.as_str(), declared, actual), ("model.json", 64, 63));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn absurd_declared_sizes_are_refused() {
    let (_tmp, dir) = fresh();
    rewrite_manifest(&dir, |m| {
        m.files.get_mut("MODEL_CARD.md").unwrap().size = 1 << 50;
    });
    match only_problem(&dir) {
        VerifyError::DeclaredSizeTooLarge {
            file,
            declared,
            limit,
        } => {
            assert_eq!(file, "MODEL_CARD.md");
            assert_eq!(declared, 1 << 50);
            assert_eq!(limit, VerifyOptions::default().max_file_size);
        }
        other => panic!("{other:?}"),
    }
    // A tighter limit refuses the real files too.
    let (_tmp, dir) = fresh();
    let options = VerifyOptions {
        max_file_size: 50,
        ..VerifyOptions::default()
    };
    let report = verify_with(&dir, &options);
    assert!(
        report
            .problems
            .iter()
            .all(|p| matches!(p, VerifyError::DeclaredSizeTooLarge { .. }))
    );
    assert_eq!(report.problems.len(), 2, "{:#?}", report.problems);
    assert_eq!(report.files_hashed, 1);
}

#[test]
fn unknown_format_version_is_refused() {
    let (_tmp, dir) = fresh();
    let path = manifest_path(&dir);
    let text = fs::read_to_string(&path).unwrap();
    fs::write(
        &path,
        text.replace("\"format_version\": 1", "\"format_version\": 2"),
    )
    .unwrap();
    match only_problem(&dir) {
        VerifyError::UnknownFormatVersion {
            found, supported, ..
        } => {
            assert_eq!((found.as_str(), supported), ("2", 1));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn wrong_model_type_is_refused() {
    let (_tmp, dir) = fresh();
    let err = load::<linfa_reduction::Pca<f64>>(&dir).unwrap_err();
    match &err {
        VerifyError::ModelTypeMismatch {
            expected, found, ..
        } => {
            assert_eq!(expected, "linfa_reduction::Pca<f64>");
            assert_eq!(found, "linfa_linear::FittedLinearRegression<f64>");
        }
        other => panic!("{other:?}"),
    }
    assert!(load::<FittedLinearRegression<f32>>(&dir).is_err());
    let loaded: Loaded<Tiny> = load(&dir).unwrap();
    assert_eq!(loaded.model, tiny_model());
}

#[test]
fn incompatible_crate_versions_are_refused() {
    for (version, ok) in [
        ("0.7.2", false),
        ("1.0.0", false),
        ("0.8.0", true),
        ("0.8.9", true),
    ] {
        let (_tmp, dir) = fresh();
        rewrite_manifest(&dir, |m| m.model.crate_version = version.to_owned());
        match load::<Tiny>(&dir) {
            Ok(_) => assert!(ok, "{version} accepted"),
            Err(VerifyError::IncompatibleCrateVersion {
                artifact_version,
                built_version,
                ..
            }) => {
                assert!(!ok, "{version} refused");
                assert_eq!(artifact_version, version);
                assert_eq!(built_version, "0.8.1");
            }
            Err(other) => panic!("{other:?}"),
        }
    }
}

#[test]
fn attachments_are_copied_hashed_and_verified() {
    let tmp = tempfile::tempdir().unwrap();
    let source = tmp.path().join("sample.csv");
    fs::write(&source, "x0,x1,y\n1,2,2\n").unwrap();
    let report = common::tiny_params()
        .attach_file("data/sample.csv", &source)
        .check()
        .unwrap()
        .export(&tiny_model(), tmp.path().join("art"))
        .unwrap();
    let entry = &report.manifest.files["data/sample.csv"];
    assert_eq!(entry.role, FileRole::Attachment);
    assert_eq!(
        entry.sha256,
        hex::encode(Sha256::digest(b"x0,x1,y\n1,2,2\n"))
    );
    assert!(verify(&report.dir).is_ok());
    flip_byte(&report.dir, "data/sample.csv", 0);
    assert!(matches!(
        only_problem(&report.dir),
        VerifyError::DigestMismatch { .. }
    ));

    for bad in ["../x", "manifest.json", "model.json", "a//b"] {
        let err = common::tiny_params()
            .attach_file(bad, &source)
            .check()
            .unwrap_err();
        assert!(
            matches!(err, linfa_export::ParamsError::BadAttachmentName { .. }),
            "{bad}"
        );
    }
}

#[test]
fn invalid_params_are_refused_before_writing() {
    use linfa_export::{ParamsError, Provenance};
    assert!(matches!(
        ExportParams::new(" ").check(),
        Err(ParamsError::EmptyName)
    ));
    assert!(matches!(
        ExportParams::new("m").metric("loss", f64::NAN).check(),
        Err(ParamsError::NonFiniteMetric { .. })
    ));
    let prov = Provenance {
        cells: vec!["not-a-digest".to_owned()],
        ..Provenance::default()
    };
    assert!(matches!(
        ExportParams::new("m").provenance(prov).check(),
        Err(ParamsError::BadCellDigest { index: 0, .. })
    ));
    let prov = Provenance {
        non_reproducible: true,
        ..Provenance::default()
    };
    assert!(matches!(
        ExportParams::new("m").provenance(prov).check(),
        Err(ParamsError::MissingNonReproducibleReason)
    ));
}

/// A model whose JSON encoding fails (tuple map keys), to exercise a failure
/// in the middle of an export.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Unencodable {
    table: std::collections::BTreeMap<(u8, u8), f64>,
}

impl ExportableModel for Unencodable {
    const MODEL_TYPE: &'static str = "tests::Unencodable";
    const CRATE: &'static str = "linfa-export";
    fn type_params() -> Vec<&'static str> {
        Vec::new()
    }
}

#[test]
fn failed_or_existing_exports_leave_nothing_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let model = Unencodable {
        table: [((1, 2), 0.5)].into(),
    };
    let err = ExportParams::new("bad")
        .check()
        .unwrap()
        .export(&model, tmp.path().join("bad"))
        .unwrap_err();
    assert!(
        matches!(err, ExportError::Encode { ref file, .. } if file == "model.json"),
        "{err}"
    );
    assert_eq!(
        fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "leftovers after a failed export"
    );

    // An existing target is kept unless overwrite is asked for.
    let first = export_tiny(tmp.path(), "art");
    let err = common::tiny_params()
        .check()
        .unwrap()
        .export(&tiny_model(), &first.dir)
        .unwrap_err();
    assert!(matches!(err, ExportError::TargetExists { .. }));
    let replaced = common::tiny_params()
        .metric("r2", 0.5)
        .overwrite(true)
        .check()
        .unwrap()
        .export(&tiny_model(), &first.dir)
        .unwrap();
    assert!(verify(&first.dir).is_ok());
    assert_ne!(replaced.digest(), first.digest());
    let names: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["art"], "temporary folders left behind");
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(&first.dir).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o755, "artifact folder mode {mode:o}");
}

#[test]
fn an_export_interrupted_before_its_manifest_never_verifies() {
    // What a crash leaves in the staging folder: every file but the manifest.
    let (tmp, dir) = fresh();
    let staging = tmp.path().join(".linfa-export-crashed");
    copy_dir(&dir, &staging);
    fs::remove_file(manifest_path(&staging)).unwrap();
    assert!(matches!(
        only_problem(&staging),
        VerifyError::ManifestMissing { .. }
    ));
    // A manifest cut short (torn write) does not parse.
    let text = fs::read(manifest_path(&dir)).unwrap();
    fs::write(manifest_path(&staging), &text[..text.len() / 2]).unwrap();
    assert!(matches!(
        only_problem(&staging),
        VerifyError::ManifestInvalid { .. }
    ));
}

#[test]
fn fingerprint_of_a_linfa_dataset_matches_its_arrays() {
    let ds = linfa::Dataset::new(array![[1.0f64, 2.0], [3.0, 4.0]], array![0usize, 1]);
    let fp = linfa_export::DataFingerprint::from_dataset(&ds);
    assert_eq!(fp.records, linfa_export::ArrayFingerprint::of(ds.records()));
    let t = fp.targets.unwrap();
    assert_eq!(t.element_type, "usize");
    let mut bytes = Vec::new();
    bytes.extend_from_slice(&0u64.to_le_bytes());
    bytes.extend_from_slice(&1u64.to_le_bytes());
    assert_eq!(t.sha256, hex::encode(Sha256::digest(&bytes)));
}

#[test]
fn parse_round_trips_the_written_manifest() {
    let (_tmp, dir) = fresh();
    let bytes = fs::read(manifest_path(&dir)).unwrap();
    let m = Manifest::parse(&bytes).unwrap();
    assert_eq!(m.to_pretty_json().as_bytes(), &bytes[..]);
    assert!(bytes.ends_with(b"}\n"));
}

static DECODES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A model that counts how often it is deserialized, to prove that refused
/// artifacts are never decoded.
#[derive(Debug, PartialEq, serde::Serialize)]
struct Counted {
    weights: Vec<f64>,
}

impl<'de> serde::Deserialize<'de> for Counted {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        struct Raw {
            weights: Vec<f64>,
        }
        DECODES.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Raw::deserialize(d).map(|r| Counted { weights: r.weights })
    }
}

impl ExportableModel for Counted {
    const MODEL_TYPE: &'static str = "tests::Counted";
    const CRATE: &'static str = "linfa";
    fn type_params() -> Vec<&'static str> {
        Vec::new()
    }
}

#[test]
fn refused_artifacts_are_never_deserialized() {
    use std::sync::atomic::Ordering::SeqCst;
    type Tamper = fn(&std::path::Path, &std::path::Path);
    let tampers: Vec<(&str, Tamper)> = vec![
        ("model.json byte", |d, _| flip_byte(d, "model.json", 3)),
        ("model.cbor byte", |d, _| flip_byte(d, "model.cbor", -1)),
        ("card byte", |d, _| flip_byte(d, "MODEL_CARD.md", 0)),
        ("manifest byte", |d, _| flip_byte(d, "manifest.json", 40)),
        ("file removed", |d, _| {
            fs::remove_file(d.join("MODEL_CARD.md")).unwrap()
        }),
        ("file added", |d, _| {
            fs::write(d.join("x.bin"), "x").unwrap()
        }),
        ("path outside", |d, _| {
            rewrite_manifest(d, |m| {
                let e = m.files.remove("MODEL_CARD.md").unwrap();
                m.files.insert("../MODEL_CARD.md".to_owned(), e);
            });
        }),
        ("symlink", |d, tmp| {
            let out = tmp.join("moved.cbor");
            fs::rename(d.join("model.cbor"), &out).unwrap();
            symlink(&out, d.join("model.cbor")).unwrap();
        }),
        ("truncated", |d, _| {
            let bytes = fs::read(d.join("model.cbor")).unwrap();
            fs::write(d.join("model.cbor"), &bytes[..bytes.len() - 2]).unwrap();
        }),
        ("huge size", |d, _| {
            rewrite_manifest(d, |m| {
                m.files.get_mut("model.cbor").unwrap().size = u64::MAX
            })
        }),
    ];
    let model = Counted {
        weights: vec![0.25, -1.5, 3.0],
    };
    let tmp = tempfile::tempdir().unwrap();
    let params = ExportParams::new("counted").check().unwrap();
    for (i, (what, tamper)) in tampers.iter().enumerate() {
        let dir = tmp.path().join(i.to_string());
        params.export(&model, &dir).unwrap();
        tamper(&dir, tmp.path());
        DECODES.store(0, SeqCst);
        assert!(load::<Counted>(&dir).is_err(), "{what}: loaded");
        assert_eq!(
            DECODES.load(SeqCst),
            0,
            "{what}: deserialized before refusing"
        );
    }
    // Control: an intact artifact is decoded exactly once.
    let dir = tmp.path().join("intact");
    params.export(&model, &dir).unwrap();
    DECODES.store(0, SeqCst);
    assert_eq!(load::<Counted>(&dir).unwrap().model, model);
    assert_eq!(DECODES.load(SeqCst), 1);
}
