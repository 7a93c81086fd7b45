//! Exports a decision tree trained on iris into a new artifact folder, through the normal
//! export path: a real artifact without a notebook kernel, for `tests/test_signing.py`
//! (which signs and verifies it with linfa-export and with OpenSSF model_signing).
//!
//! Usage: `iris_artifact OUT_DIR`; prints the artifact digest.

use linfa::prelude::*;
use linfa_export::{DataFingerprint, ExportParams};
use linfa_trees::DecisionTree;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, out] = args.as_slice() else {
        return Err("usage: iris_artifact OUT_DIR".into());
    };
    let data = linfa_datasets::iris();
    let tree = DecisionTree::params().max_depth(Some(3)).fit(&data)?;
    let accuracy = tree.predict(&data).confusion_matrix(&data)?.accuracy();
    let report = ExportParams::new("iris-tree")
        .description("A depth-3 decision tree on the iris flowers.")
        .license("mit")
        .data(DataFingerprint::from_dataset(&data).with_name("iris"))
        .metric("train_accuracy", f64::from(accuracy))
        .check()?
        .export(&tree, out)?;
    println!("{}", report.digest());
    Ok(())
}
