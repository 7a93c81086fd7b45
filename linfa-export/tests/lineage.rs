//! Lineage: a model built on loaded artifacts names them, across generations, with the signer
//! of a signed parent, in the manifest, the card, `inspect` and `verify --lineage`.
//!
//! The session's lineage is process-wide (a plain program) or a file named by an environment
//! variable (a notebook session), and tests in one binary run in parallel threads. So exactly
//! one test here uses this process's list (`three_generations_in_one_process`), and the
//! session-file tests run this binary again as children with the variable set, where the
//! `#[ignore]`d `cell` test plays one notebook cell.

mod common;

use std::path::{Path, PathBuf};

use common::{run, run_ignored_test, s, stdout};
use linfa::prelude::*;
use linfa_clustering::KMeans;
use linfa_export::{
    Curve, ExportParams, ExportReport, Loaded, ParamsError, Parent, PrivateKey,
    SESSION_LINEAGE_ENV, Timestamp, Trust, VerifyError, load, load_trusted, session_lineage, sign,
    verify,
};
use linfa_nn::distance::L2Dist;
use ndarray::array;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256Plus;

type Model = KMeans<f64, L2Dist>;

/// A tiny k-means model; `seed` changes where it starts, so each generation differs.
fn train(seed: u64) -> Model {
    let data = array![[0.0, 0.1], [0.2, 0.0], [5.0, 5.1], [5.2, 4.9], [9.0, 0.2]];
    KMeans::params_with_rng(2, Xoshiro256Plus::seed_from_u64(seed))
        .fit(&DatasetBase::from(data))
        .unwrap()
}

fn params(name: &str) -> ExportParams {
    ExportParams::new(name)
        .metric("inertia", 1.0)
        .timestamp(Timestamp::Omit)
}

fn export(params: ExportParams, seed: u64, dir: &Path) -> ExportReport {
    params.check().unwrap().export(&train(seed), dir).unwrap()
}

#[test]
fn three_generations_in_one_process() {
    let tmp = tempfile::tempdir().unwrap();
    let (a_dir, b_dir, c_dir) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("c"),
    );
    assert!(session_lineage().unwrap().is_empty());

    // Generation A: built on nothing. Verifying one's own export is not building on it.
    let a = export(params("model a"), 1, &a_dir);
    assert!(a.manifest.lineage.is_empty());
    assert!(verify(&a_dir).is_ok());
    assert!(session_lineage().unwrap().is_empty(), "own export verified");
    let loaded_a = load::<Model>(&a_dir).unwrap();
    let parent_a = Parent {
        artifact_sha256: a.digest().to_owned(),
        name: "model a".to_owned(),
        model_type: "linfa_clustering::KMeans<f64, L2Dist>".to_owned(),
        signer: None,
        lineage: Vec::new(),
    };
    assert_eq!(session_lineage().unwrap(), std::slice::from_ref(&parent_a));
    assert_eq!(Parent::from(&loaded_a), parent_a);

    // Generation B: built on A, then signed.
    let b = export(params("model b"), 2, &b_dir);
    assert_eq!(b.manifest.lineage, std::slice::from_ref(&parent_a));
    let manifest_text = std::fs::read_to_string(b_dir.join("manifest.json")).unwrap();
    assert!(manifest_text.contains("\"lineage\": ["), "{manifest_text}");
    let card = std::fs::read_to_string(b_dir.join("MODEL_CARD.md")).unwrap();
    assert!(card.contains("\nbase_model: \"model a\"\n---\n"), "{card}");
    assert!(card.contains("## Lineage"), "{card}");
    let key = PrivateKey::generate(Curve::P256);
    let fingerprint = key.public_key().fingerprint();
    sign(&b_dir, &key).unwrap();
    let loaded_b: Loaded<Model> = load_trusted(&b_dir, &Trust::key(key.public_key())).unwrap();
    let parent_b = Parent::from(&loaded_b);
    assert_eq!(parent_b.signer.as_deref(), Some(fingerprint.as_str()));
    assert_eq!(parent_b.lineage, std::slice::from_ref(&parent_a));
    // Loading A again changes nothing: one entry per artifact, in order of first use.
    load::<Model>(&a_dir).unwrap();
    assert_eq!(
        session_lineage().unwrap(),
        [parent_a.clone(), parent_b.clone()]
    );

    // Generation C: the session loaded both, so both are its parents by default; named
    // explicitly, only B, with A inside it.
    let both = export(params("model c"), 3, &tmp.path().join("c-both"));
    assert_eq!(both.manifest.lineage, [parent_a.clone(), parent_b.clone()]);
    let card = std::fs::read_to_string(tmp.path().join("c-both/MODEL_CARD.md")).unwrap();
    assert!(
        card.contains("\nbase_model:\n- \"model a\"\n- \"model b\"\n---\n"),
        "{card}"
    );
    let c = export(
        params("model c")
            .without_session_lineage()
            .parent(&loaded_b),
        3,
        &c_dir,
    );
    assert_eq!(c.manifest.lineage, std::slice::from_ref(&parent_b));
    assert_eq!(
        c.manifest.lineage[0].lineage,
        std::slice::from_ref(&parent_a)
    );
    let loaded_c = load::<Model>(&c_dir).unwrap();
    assert_eq!(
        Parent::from(&loaded_c).lineage,
        std::slice::from_ref(&parent_b)
    );

    // `inspect` shows the chain as a tree, from the child alone.
    let out = run(&["inspect", s(&c_dir)]);
    let text = stdout(&out);
    let b_line = format!(
        "  - model b (linfa_clustering::KMeans<f64, L2Dist>) sha256 {}, signed by key {fingerprint}",
        b.digest()
    );
    let a_line = format!(
        "    - model a (linfa_clustering::KMeans<f64, L2Dist>) sha256 {}, signature not checked",
        a.digest()
    );
    assert!(text.contains(&format!("{b_line}\n{a_line}\n")), "{text}");
    let out = run(&["inspect", s(&c_dir), "--json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["lineage"][0]["signer"], fingerprint.as_str());
    assert_eq!(
        json["lineage"][0]["lineage"][0]["artifact_sha256"],
        a.digest()
    );

    // `diff` names the parent that changed.
    let out = run(&["diff", s(&tmp.path().join("c-both")), s(&c_dir)]);
    assert!(
        stdout(&out).contains(&format!("lineage.{}: model a", a.digest())),
        "{}",
        stdout(&out)
    );

    verify_lineage_on_the_command_line(&a_dir, &b_dir, &c_dir, a.digest(), b.digest());
}

/// `verify --lineage` accepts exactly the recorded direct parents and names what is wrong.
fn verify_lineage_on_the_command_line(a: &Path, b: &Path, c: &Path, a_sha: &str, b_sha: &str) {
    let out = run(&["verify", s(c), "--lineage", s(b)]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("are exactly the recorded ones"));
    let out = run(&["verify", s(b), "--lineage", s(a)]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));

    // The grandparent is not a direct parent, and the parent is then missing.
    let out = run(&["verify", s(c), "--lineage", s(a)]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(&format!("unexpected parent {}", a.display())) && text.contains(a_sha),
        "{text}"
    );
    assert!(
        text.contains(&format!("missing parent `model b` (sha256 {b_sha})")),
        "{text}"
    );
    assert!(text.contains("FAILED"), "{text}");

    // An extra parent beside the right one.
    let out = run(&["verify", s(c), "--lineage", s(b), s(a)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!stdout(&out).contains("missing parent"), "{}", stdout(&out));

    // A parent that does not verify is named.
    let broken = c.parent().unwrap().join("broken-b");
    common::copy_dir(b, &broken);
    common::flip_byte(&broken, "model.json", 3);
    let out = run(&["verify", s(c), "--lineage", s(&broken)]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(&format!(
            "parent {}: model.json: sha256 mismatch",
            broken.display()
        )),
        "{text}"
    );
}

// The session file: one child process per notebook cell.

const STEP_ENV: &str = "LINFA_EXPORT_TEST_STEP";
const ROOT_ENV: &str = "LINFA_EXPORT_TEST_ROOT";

/// Runs the `cell` test in a fresh process with the session's lineage in `file`.
fn run_cell(step: &str, file: &Path, root: &Path) {
    run_ignored_test(
        "cell",
        &[
            (SESSION_LINEAGE_ENV, file.as_os_str()),
            (STEP_ENV, step.as_ref()),
            (ROOT_ENV, root.as_os_str()),
        ],
        None,
        &format!("step {step}:"),
    );
}

#[test]
fn the_session_file_carries_the_lineage_from_cell_to_cell() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("session").join("lineage.json");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    assert!(!file.exists());
    for step in ["export-a", "load-a", "export-b", "load-b-and-a", "export-c"] {
        run_cell(step, &file, tmp.path());
    }
    let text = std::fs::read_to_string(&file).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let names: Vec<&str> = json["parents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["model a", "model b"], "{text}");
    assert_eq!(json["exported"].as_array().unwrap().len(), 3, "{text}");
}

#[test]
fn a_broken_session_file_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("lineage.json");
    run_cell("export-a", &tmp.path().join("fresh.json"), tmp.path());
    std::fs::write(&file, "{ not json").unwrap();
    run_cell("broken", &file, tmp.path());
}

#[test]
#[ignore = "run by the tests above, in a child process with the session variable set"]
fn cell() {
    let step = std::env::var(STEP_ENV).expect("run by the tests above");
    let root = PathBuf::from(std::env::var(ROOT_ENV).unwrap());
    let dir = |name: &str| root.join(name);
    let names = |parents: &[Parent]| parents.iter().map(|p| p.name.clone()).collect::<Vec<_>>();
    match step.as_str() {
        "export-a" => {
            export(params("model a"), 1, &dir("a"));
            assert!(verify(dir("a")).is_ok());
            assert!(session_lineage().unwrap().is_empty());
        }
        "load-a" => {
            load::<Model>(dir("a")).unwrap();
        }
        "export-b" => {
            assert_eq!(names(&session_lineage().unwrap()), ["model a"]);
            let b = export(params("model b"), 2, &dir("b"));
            assert_eq!(names(&b.manifest.lineage), ["model a"]);
        }
        "load-b-and-a" => {
            load::<Model>(dir("b")).unwrap();
            assert!(verify(dir("a")).is_ok());
        }
        "export-c" => {
            let c = export(params("model c"), 3, &dir("c"));
            assert_eq!(names(&c.manifest.lineage), ["model a", "model b"]);
            assert_eq!(names(&c.manifest.lineage[1].lineage), ["model a"]);
        }
        "broken" => {
            let file = std::env::var(SESSION_LINEAGE_ENV).unwrap();
            let error = params("x").check().unwrap_err();
            assert!(
                matches!(error, ParamsError::SessionLineage { .. }),
                "{error}"
            );
            assert!(error.to_string().contains(&file), "{error}");
            assert!(error.to_string().contains(SESSION_LINEAGE_ENV), "{error}");
            // Nothing is read when the session's parents are not wanted.
            params("x").without_session_lineage().check().unwrap();
            // A load that cannot be remembered is not handed out.
            let error = load::<Model>(dir("a")).unwrap_err();
            assert!(
                matches!(error, VerifyError::SessionLineage { .. }),
                "{error}"
            );
            assert!(error.to_string().contains("verified"), "{error}");
            // ...unless the caller said not to record it.
            let options = linfa_export::VerifyOptions {
                record_lineage: false,
                ..Default::default()
            };
            linfa_export::load_with::<Model>(dir("a"), &options).unwrap();
        }
        other => panic!("unknown step {other}"),
    }
}
