//! The training record shipped with an export, and comparing a re-run with the original.

mod common;

use std::fs;

use common::{export_tiny, run, run_ignored_test, s, stdout, tiny_model, tiny_params};
use linfa_export::{
    DataCheck, DataFingerprint, FileRole, ParamsError, Profiles, Provenance, RecordedCell,
    SESSION_PROVENANCE_ENV, SessionContext, TRAINING_RECORD_ENV, TRAINING_RECORD_FILE,
    TrainingRecord, TrainingRecordStatus, check_data_folder, compare_reproduction,
    read_training_record, sha256_hex, verify,
};
use ndarray::array;

fn record() -> TrainingRecord {
    TrainingRecord {
        seed: 42,
        cells: vec![
            RecordedCell {
                source: ":seed 42".to_owned(),
                id: Some("cell-1".to_owned()),
            },
            RecordedCell {
                source: "let model = train();".to_owned(),
                id: None,
            },
        ],
    }
}

fn session(record: TrainingRecord) -> SessionContext {
    let mut provenance = Provenance {
        seed: Some(42),
        ..Provenance::default()
    };
    for cell in &record.cells {
        provenance.record_cell(&cell.source);
    }
    SessionContext {
        provenance: Some(provenance),
        training_record: Some(record),
        lineage: Vec::new(),
    }
}

#[test]
fn the_sessions_training_record_is_shipped_and_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let report = tiny_params()
        .check_in(session(record()))
        .unwrap()
        .export(&tiny_model(), tmp.path().join("m"))
        .unwrap();
    let m = &report.manifest;
    assert_eq!(m.training_record, Some(TrainingRecordStatus::Included));
    let entry = &m.files[TRAINING_RECORD_FILE];
    assert_eq!(entry.role, FileRole::TrainingRecord);
    let bytes = fs::read(report.dir.join(TRAINING_RECORD_FILE)).unwrap();
    assert_eq!(entry.sha256, sha256_hex(&bytes));
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.contains("\"artifact_path\": null"), "{text}");
    let manifest_text = fs::read_to_string(report.dir.join("manifest.json")).unwrap();
    assert!(manifest_text.contains("\"training_record\": \"included\""));
    assert!(manifest_text.contains("\"role\": \"training_record\""));
    assert!(
        verify(&report.dir).is_ok(),
        "{:?}",
        verify(&report.dir).problems
    );

    let read = read_training_record(&report.dir).unwrap().unwrap();
    assert_eq!(read.seed, 42);
    assert_eq!(read.cells, record().cells);
    let cells = &m.provenance.as_ref().unwrap().cells;
    for (cell, digest) in read.cells.iter().zip(cells) {
        assert_eq!(&cell.sha256(), digest);
    }
    let card = fs::read_to_string(report.dir.join("MODEL_CARD.md")).unwrap();
    assert!(card.contains("- Training record: included"), "{card}");
    assert!(card.contains("nb reproduce"), "{card}");
    let out = stdout(&run(&["inspect", s(&report.dir)]));
    assert!(out.contains("Training record  included"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.trim_start().starts_with("training_record.json")
                && l.contains(" training_record ")),
        "{out}"
    );

    // A changed record no longer matches its digest.
    fs::write(
        report.dir.join(TRAINING_RECORD_FILE),
        text.replace("train()", "trian()"),
    )
    .unwrap();
    assert!(read_training_record(&report.dir).is_err());
}

#[test]
fn a_record_that_is_not_the_provenances_is_refused() {
    let mut longer = session(record());
    longer
        .training_record
        .as_mut()
        .unwrap()
        .cells
        .push(RecordedCell {
            source: "extra".to_owned(),
            id: None,
        });
    let error = tiny_params().check_in(longer).unwrap_err();
    assert!(
        matches!(
            error,
            ParamsError::TrainingRecordLength {
                record: 3,
                provenance: 2
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("3 cells"), "{error}");

    let mut changed = session(record());
    changed.training_record.as_mut().unwrap().cells[1].source = "let model = other();".to_owned();
    let error = tiny_params().check_in(changed).unwrap_err();
    assert!(
        matches!(error, ParamsError::TrainingRecordCell { index: 1, .. }),
        "{error}"
    );
    assert!(error.to_string().contains("cell 2"), "{error}");
    assert!(
        error.to_string().contains("without_training_record"),
        "{error}"
    );

    // Explicit cells that are not the session's do not get the session's record either.
    let mut explicit = Provenance::default();
    explicit.record_cell("something else");
    let error = tiny_params()
        .provenance(explicit)
        .check_in(session(record()))
        .unwrap_err();
    assert!(matches!(error, ParamsError::TrainingRecordLength { .. }));
}

#[test]
fn a_withheld_record_is_said_and_not_shipped() {
    let tmp = tempfile::tempdir().unwrap();
    let report = tiny_params()
        .without_training_record()
        .check_in(session(record()))
        .unwrap()
        .export(&tiny_model(), tmp.path().join("m"))
        .unwrap();
    assert_eq!(
        report.manifest.training_record,
        Some(TrainingRecordStatus::Withheld)
    );
    assert!(!report.manifest.files.contains_key(TRAINING_RECORD_FILE));
    assert!(!report.dir.join(TRAINING_RECORD_FILE).exists());
    assert!(read_training_record(&report.dir).unwrap().is_none());
    let card = fs::read_to_string(report.dir.join("MODEL_CARD.md")).unwrap();
    assert!(card.contains("- Training record: withheld"), "{card}");
    let out = stdout(&run(&["inspect", s(&report.dir), "--json"]));
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["training_record"]["status"], "withheld");

    // Outside a session: no field at all, and the old manifest form.
    let plain = export_tiny(tmp.path(), "plain");
    assert_eq!(plain.manifest.training_record, None);
    let text = fs::read_to_string(plain.dir.join("manifest.json")).unwrap();
    assert!(!text.contains("training_record") && !text.contains("lineage"));
    let out = stdout(&run(&["inspect", s(&plain.dir)]));
    assert!(out.contains("Training record  absent"), "{out}");
    assert!(out.contains("Lineage          none"), "{out}");
}

/// `check()` reads the record from the kernel's file, and records where the export went
/// relative to the current folder; run in a child with the variables set and its own folder.
#[test]
fn in_a_session_the_record_comes_from_the_kernels_file() {
    let tmp = tempfile::tempdir().unwrap();
    let session = session(record());
    let provenance = tmp.path().join("provenance.json");
    let training = tmp.path().join("training.json");
    fs::write(
        &provenance,
        serde_json::to_string(&session.provenance).unwrap(),
    )
    .unwrap();
    fs::write(
        &training,
        serde_json::to_string(&session.training_record).unwrap(),
    )
    .unwrap();
    run_ignored_test(
        "export_in_a_session",
        &[
            (SESSION_PROVENANCE_ENV, provenance.as_os_str()),
            (TRAINING_RECORD_ENV, training.as_os_str()),
        ],
        Some(tmp.path()),
        "",
    );
    let read = read_training_record(tmp.path().join("models/m"))
        .unwrap()
        .unwrap();
    assert_eq!(read.artifact_path.as_deref(), Some("models/m"));
}

#[test]
#[ignore = "run by in_a_session_the_record_comes_from_the_kernels_file in a child process"]
fn export_in_a_session() {
    fs::create_dir("models").unwrap();
    let report = tiny_params()
        .check()
        .unwrap()
        .export(&tiny_model(), "models/m")
        .unwrap();
    assert_eq!(
        report.manifest.training_record,
        Some(TrainingRecordStatus::Included)
    );
}

#[test]
fn the_numeric_profiles_say_whether_a_difference_can_be_rounding() {
    let profiles = |a: Option<&str>, b: Option<&str>| {
        Profiles {
            original: a.map(str::to_owned),
            rerun: b.map(str::to_owned),
        }
        .to_string()
    };
    let across = profiles(Some("native"), Some("portable-v1"));
    assert!(
        across.starts_with("numeric profile: native in the original, portable-v1 in the re-run.")
    );
    assert!(across.contains("REPRONOTE_NUMERICS"), "{across}");
    let portable = profiles(Some("portable-v1"), Some("portable-v1"));
    assert!(
        portable.contains("this difference is not rounding"),
        "{portable}"
    );
    let native = profiles(Some("native"), Some("native"));
    assert!(native.contains("also depend on the CPU"), "{native}");
    let before = profiles(None, Some("portable-v1"));
    assert!(
        before.contains("a kernel before profiles: native"),
        "{before}"
    );
}

#[test]
fn a_rerun_is_compared_with_the_original() {
    let tmp = tempfile::tempdir().unwrap();
    let original = export_tiny(tmp.path(), "original");
    let same = export_tiny(tmp.path(), "same");
    let reproduction = compare_reproduction(&original.dir, &same.dir).unwrap();
    assert!(reproduction.is_identical());
    assert_eq!(
        reproduction.to_string(),
        format!(
            "reproduced: identical artifact digest {}\n",
            original.digest()
        )
    );

    let other = tiny_params()
        .metric("r2", 0.5)
        .metric("mae", 0.1)
        .check()
        .unwrap()
        .export(&tiny_model(), tmp.path().join("other"))
        .unwrap();
    let reproduction = compare_reproduction(&original.dir, &other.dir).unwrap();
    assert!(!reproduction.is_identical());
    let text = reproduction.to_string();
    let first = text.lines().next().unwrap();
    assert!(first.starts_with("not reproduced: "), "{text}");
    assert!(first.contains(original.digest()) && first.contains(other.digest()));
    assert!(
        text.contains("metric r2: original 0.75, re-run 0.5, difference -0.25, relative 3.3e-1\n"),
        "{text}"
    );
    assert!(
        text.contains("metric mae: only in the re-run (0.1)"),
        "{text}"
    );
    let files: Vec<&str> = reproduction.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(files, ["MODEL_CARD.md"], "the card lists the metrics");
    assert_eq!(reproduction.metrics[1].difference(), Some(-0.25));

    let out = run(&["compare", s(&original.dir), s(&other.dir)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("difference -0.25"),
        "{}",
        stdout(&out)
    );
    let out = run(&["compare", s(&original.dir), s(&same.dir)]);
    assert_eq!(out.status.code(), Some(0));

    // An artifact that does not verify is not compared.
    common::flip_byte(&other.dir, "model.json", 2);
    let error = compare_reproduction(&original.dir, &other.dir).unwrap_err();
    assert!(
        error.to_string().contains("model.json: sha256 mismatch"),
        "{error}"
    );
}

#[test]
fn missing_data_is_named_with_its_fingerprint() {
    let tmp = tempfile::tempdir().unwrap();
    let plain = export_tiny(tmp.path(), "plain");
    let data_dir = tmp.path().join("data");
    fs::create_dir(&data_dir).unwrap();
    assert_eq!(
        check_data_folder(&plain.dir, &data_dir).unwrap(),
        DataCheck::NotAFile {
            source: Some("written by hand".to_owned())
        }
    );

    let fingerprint = DataFingerprint::from_arrays(
        &array![[1.0, 2.0], [3.0, 4.0], [0.0, 1.0], [2.0, 0.0]],
        &array![2.0, 2.5, -0.75, 4.5],
    )
    .with_name("toy")
    .with_source("csv/toy.csv");
    let report = tiny_params()
        .data(fingerprint.clone())
        .check()
        .unwrap()
        .export(&tiny_model(), tmp.path().join("m"))
        .unwrap();
    let check = check_data_folder(&report.dir, &data_dir).unwrap();
    let missing = check.missing().expect("missing");
    assert_eq!(missing.path, data_dir.join("csv/toy.csv"));
    let text = check.to_string();
    assert!(
        text.contains("csv/toy.csv") && text.contains("`toy`"),
        "{text}"
    );
    assert!(
        text.contains(&fingerprint.records.sha256) && text.contains("shape [4, 2]"),
        "{text}"
    );
    assert_eq!(
        linfa_export::missing_data(&report.dir, &data_dir).unwrap(),
        std::slice::from_ref(missing)
    );
    assert!(
        linfa_export::missing_data(&plain.dir, &data_dir)
            .unwrap()
            .is_empty()
    );
    let out = run(&["check-data", s(&report.dir), s(&data_dir)]);
    assert_eq!(out.status.code(), Some(1));

    fs::create_dir(data_dir.join("csv")).unwrap();
    fs::write(data_dir.join("csv/toy.csv"), "x0,x1,y\n").unwrap();
    assert!(matches!(
        check_data_folder(&report.dir, &data_dir).unwrap(),
        DataCheck::Present { .. }
    ));
}
