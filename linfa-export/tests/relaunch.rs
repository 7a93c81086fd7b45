//! A relaunched repository checks the exact model it was made for, and keeps its signature.

mod common;

use linfa_export::{Curve, PrivateKey, RelaunchOptions, Trust, relaunch, sign, verify_trusted};

#[test]
fn the_relaunched_notebook_pins_the_digest_and_the_signature_travels() {
    let tmp = tempfile::tempdir().unwrap();
    let report = common::export_tiny(tmp.path(), "art");
    let key = PrivateKey::generate(Curve::P256);
    sign(&report.dir, &key).unwrap();
    let options = RelaunchOptions {
        github: "my-lab/tiny".to_owned(),
        branch: "main".to_owned(),
    };
    let repo = tmp.path().join("repo");
    let written = relaunch(&report.dir, &repo, &options).unwrap();
    assert!(
        written.files.iter().any(|f| f.ends_with("model.sig")),
        "{:?}",
        written.files
    );
    let trust = Trust::key(key.public_key())
        .and_digest(report.digest())
        .unwrap();
    verify_trusted(repo.join("model"), &trust).unwrap();

    let notebook: serde_json::Value =
        serde_json::from_slice(&std::fs::read(repo.join("use-the-model.ipynb")).unwrap()).unwrap();
    let source = |id: &str| {
        notebook["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()["source"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let verify = source("verify");
    assert!(
        verify.contains(&format!(
            "linfa_export::Trust::digest(\"{}\")",
            report.digest()
        )),
        "{verify}"
    );
    assert!(
        verify.contains("verify_trusted(\"model\", &trust)"),
        "{verify}"
    );
    assert!(
        source("load").contains(
            "load_trusted::<linfa_linear::FittedLinearRegression<f64>>(\"model\", &trust)"
        )
    );
}
