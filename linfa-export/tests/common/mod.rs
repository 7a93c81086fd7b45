//! Helpers shared by the integration tests: a tiny fixed model, a way to
//! rewrite a manifest the way an attacker with a text editor would (and
//! re-seal it so only the targeted check can catch it), and byte tampering.

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use linfa_export::{
    DataFingerprint, ExportParams, ExportReport, MANIFEST_FILE, Manifest, Timestamp,
};
use linfa_linear::FittedLinearRegression;
use ndarray::array;

/// A linear model with fixed, exactly representable weights, built from its
/// serialized form so it needs no training.
pub fn tiny_model() -> FittedLinearRegression<f64> {
    serde_json::from_str(r#"{"intercept":0.5,"params":{"v":1,"dim":[2],"data":[2.0,-1.25]}}"#)
        .expect("tiny model JSON")
}

/// The options used for the tiny model in every test.
pub fn tiny_params() -> ExportParams {
    ExportParams::new("tiny linear")
        .description("y = 0.5 + 2 x0 - 1.25 x1, fixed weights for tests.")
        .intended_use("Testing linfa-export.")
        .limitations("Two features only.")
        .license("mit")
        .author("linfa-export tests")
        .tag("test")
        .bias_risk("None: synthetic data.")
        .private_data_risk("No personal data.")
        .environment_risk("Only valid for inputs near the four training rows.")
        .data(
            DataFingerprint::from_arrays(
                &array![[1.0, 2.0], [3.0, 4.0], [0.0, 1.0], [2.0, 0.0]],
                &array![2.0, 2.5, -0.75, 4.5],
            )
            .with_name("toy")
            .with_source("written by hand"),
        )
        .seed(7)
        .hyperparameters(serde_json::json!({ "fit_intercept": true }))
        .metric("r2", 0.75)
        .timestamp(Timestamp::Omit)
        // Tests in one binary share the process's lineage: loads in a test running alongside
        // must not become this model's parents.
        .without_session_lineage()
}

/// Exports the tiny model to `<tmp>/<name>`.
pub fn export_tiny(tmp: &Path, name: &str) -> ExportReport {
    tiny_params()
        .check()
        .unwrap()
        .export(&tiny_model(), tmp.join(name))
        .unwrap()
}

pub fn manifest_path(dir: &Path) -> PathBuf {
    dir.join(MANIFEST_FILE)
}

/// Parses, edits, re-seals and rewrites the manifest in canonical form.
pub fn rewrite_manifest(dir: &Path, edit: impl FnOnce(&mut Manifest)) {
    let bytes = fs::read(manifest_path(dir)).unwrap();
    let mut manifest = Manifest::parse(&bytes).unwrap();
    edit(&mut manifest);
    manifest.seal();
    fs::write(manifest_path(dir), manifest.to_pretty_json()).unwrap();
}

/// Changes one byte of `dir/file` at `offset` (from the end when negative)
/// to a different value, keeping the size.
pub fn flip_byte(dir: &Path, file: &str, offset: isize) {
    let path = dir.join(file);
    let mut bytes = fs::read(&path).unwrap();
    let i = if offset < 0 {
        bytes.len() - offset.unsigned_abs()
    } else {
        offset as usize
    };
    bytes[i] ^= 0x01;
    fs::write(&path, bytes).unwrap();
}

/// Recursively copies an artifact folder.
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            fs::copy(entry.path(), dest).unwrap();
        }
    }
}

/// The re-hashed forgery of issue 17, done the way an attacker does it in twenty lines,
/// without the library's sealing: rewrite `model.json` with `edit`, raise every metric to
/// 0.99, delete `model.cbor` from the folder and the manifest, recompute each listed file's
/// sha256 and size, then `artifact_sha256` (sha256 of the compact, key-sorted manifest
/// without `artifact_sha256` and `exported_at`), and write the manifest back in its layout.
pub fn forge(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    use sha2::{Digest, Sha256};
    let sha256 = |bytes: &[u8]| hex::encode(Sha256::digest(bytes));
    let mut model: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("model.json")).unwrap()).unwrap();
    edit(&mut model);
    let mut text = serde_json::to_string(&model).unwrap();
    text.push('\n');
    fs::write(dir.join("model.json"), text).unwrap();
    let _ = fs::remove_file(dir.join("model.cbor"));

    let mut manifest: Manifest =
        serde_json::from_slice(&fs::read(manifest_path(dir)).unwrap()).unwrap();
    for value in manifest.metrics.values_mut() {
        *value = 0.99;
    }
    manifest.files.remove("model.cbor");
    for (name, entry) in manifest.files.iter_mut() {
        let bytes = fs::read(dir.join(name)).unwrap();
        entry.sha256 = sha256(&bytes);
        entry.size = bytes.len() as u64;
    }
    let mut core = serde_json::to_value(&manifest).unwrap();
    core.as_object_mut().unwrap().remove("artifact_sha256");
    core.as_object_mut().unwrap().remove("exported_at");
    manifest.artifact_sha256 = sha256(&serde_json::to_vec(&core).unwrap());
    fs::write(manifest_path(dir), manifest.to_pretty_json()).unwrap();
}

/// Runs the real `linfa-export` binary (the command-line tests).
pub fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_linfa-export"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("run linfa-export")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// A path as a command-line argument.
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Runs the ignored test `name` of this test binary in a process of its own, the way a
/// notebook session runs each cell in a fresh library load: the files named by `envs` are all
/// it shares with the caller. Panics with the child's output, after `context`, unless the test
/// ran and passed.
pub fn run_ignored_test(
    name: &str,
    envs: &[(&str, &std::ffi::OsStr)],
    cwd: Option<&Path>,
    context: &str,
) {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.args(["--exact", name, "--ignored", "--nocapture"]);
    command.envs(envs.iter().copied());
    if let Some(cwd) = cwd {
        command.current_dir(cwd);
    }
    let output = command.output().unwrap();
    assert!(
        output.status.success() && String::from_utf8_lossy(&output.stdout).contains("1 passed"),
        "{context}\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
