//! The model card's front matter as a hub reads it: every metric of the manifest appears in
//! `model-index` as an evaluation result with its value, the task its model type performs and
//! the data set its fingerprint names. Read back by hand, line by line, the way a YAML reader
//! would see these lines (the cards write every string JSON-quoted, a valid YAML scalar).

mod common;

use std::collections::BTreeMap;
use std::fs;

use common::export_tiny;
use linfa::prelude::*;
use linfa_export::{DataFingerprint, ExportParams, Manifest, Timestamp};
use linfa_trees::DecisionTree;

/// The front matter's lines: between the opening `---` and the next `---` line.
fn front_matter(card: &str) -> Vec<&str> {
    let rest = card
        .strip_prefix("---\n")
        .expect("a card opens with front matter");
    let (front, _) = rest.split_once("\n---\n").expect("front matter is closed");
    front.lines().collect()
}

/// A scalar as the card writes it: a JSON string (YAML double-quoted) or a plain number.
fn scalar(text: &str) -> String {
    serde_json::from_str::<String>(text.trim()).unwrap_or_else(|_| text.trim().to_owned())
}

/// What `model-index` says, read from its lines: the model's name, the task, the data set's
/// name and type, and each metric with its value.
#[derive(Debug, Default)]
struct Results {
    name: String,
    task: String,
    dataset: (String, String),
    metrics: Vec<(String, f64)>,
}

fn model_index(front: &[&str]) -> Option<Results> {
    let start = front.iter().position(|l| *l == "model-index:")?;
    // The block: every line after the key that is indented or a list item.
    let block = front[start + 1..]
        .iter()
        .take_while(|l| l.starts_with(' ') || l.starts_with("- "));
    let mut results = Results::default();
    let mut section = "";
    for line in block {
        let field = |prefix: &str| line.strip_prefix(prefix).map(scalar);
        if let Some(name) = field("- name: ") {
            results.name = name;
        } else if *line == "  results:" || *line == "  - task:" {
            section = "task";
        } else if *line == "    dataset:" {
            section = "dataset";
        } else if *line == "    metrics:" {
            section = "metrics";
        } else if let Some(value) = field("      type: ") {
            match section {
                "task" => results.task = value,
                "dataset" => results.dataset.1 = value,
                other => panic!("a type in {other:?}: {line:?}"),
            }
        } else if let Some(name) = field("      name: ") {
            assert_eq!(section, "dataset", "{line:?}");
            results.dataset.0 = name;
        } else if let Some(metric) = field("    - type: ") {
            assert_eq!(section, "metrics", "{line:?}");
            results.metrics.push((metric, f64::NAN));
        } else if let Some(value) = field("      value: ") {
            let last = results
                .metrics
                .last_mut()
                .expect("a value follows its metric");
            last.1 = value.parse().expect("a value is a number");
        } else {
            panic!("unexpected line in model-index: {line:?}");
        }
    }
    Some(results)
}

fn card_of(dir: &std::path::Path) -> String {
    fs::read_to_string(dir.join("MODEL_CARD.md")).unwrap()
}

#[test]
fn each_metric_is_an_evaluation_result_with_its_value() {
    let tmp = tempfile::tempdir().unwrap();
    let report = export_tiny(tmp.path(), "tiny");
    let results = model_index(&front_matter(&card_of(&report.dir))).expect("model-index");
    assert_eq!(results.name, "tiny linear");
    assert_eq!(results.task, "tabular-regression");
    assert_eq!(results.dataset, ("toy".to_owned(), "toy".to_owned()));
    let expected: Vec<(String, f64)> = report.manifest.metrics.clone().into_iter().collect();
    assert_eq!(results.metrics, expected);
}

#[test]
fn a_classifier_lists_every_metric_in_order_and_its_data() {
    let iris = linfa_datasets::iris();
    let tree = DecisionTree::params()
        .max_depth(Some(2))
        .fit(&iris)
        .unwrap();
    let metrics: BTreeMap<String, f64> = [
        ("accuracy".to_owned(), 0.9533333333333334),
        ("macro f1: held out".to_owned(), 0.5),
        ("log loss".to_owned(), 1e-7),
        ("count".to_owned(), 150.0),
    ]
    .into();
    let mut params = ExportParams::new("iris \"tree\"")
        .data(DataFingerprint::from_dataset(&iris).with_name("Iris (UCI)"))
        .timestamp(Timestamp::Omit)
        .without_session_lineage();
    for (name, value) in &metrics {
        params = params.metric(name, *value);
    }
    let tmp = tempfile::tempdir().unwrap();
    let report = params
        .check()
        .unwrap()
        .export(&tree, tmp.path().join("tree"))
        .unwrap();
    let card = card_of(&report.dir);
    let front = front_matter(&card);
    let results = model_index(&front).expect("model-index");
    assert_eq!(results.name, "iris \"tree\"");
    assert_eq!(results.task, "tabular-classification");
    assert_eq!(
        results.dataset,
        ("Iris (UCI)".to_owned(), "iris-uci".to_owned())
    );
    let found: BTreeMap<String, f64> = results.metrics.iter().cloned().collect();
    assert_eq!(found, metrics, "{card}");
    assert_eq!(found, report.manifest.metrics);
    // Every value is written as a plain decimal number, which YAML 1.1 and 1.2 read alike.
    assert!(front.contains(&"      value: 0.0000001"), "{front:#?}");
    assert!(front.contains(&"      value: 150"), "{front:#?}");
    // The card verifies like every other file, and the manifest still parses.
    assert!(linfa_export::verify(&report.dir).is_ok());
    let bytes = fs::read(report.dir.join("manifest.json")).unwrap();
    assert_eq!(Manifest::parse(&bytes).unwrap(), report.manifest);
}

#[test]
fn without_metrics_there_is_no_model_index() {
    let tmp = tempfile::tempdir().unwrap();
    let report = ExportParams::new("no metrics")
        .timestamp(Timestamp::Omit)
        .without_session_lineage()
        .check()
        .unwrap()
        .export(&common::tiny_model(), tmp.path().join("m"))
        .unwrap();
    let card = card_of(&report.dir);
    let front = front_matter(&card);
    assert!(model_index(&front).is_none(), "{card}");
    assert!(!front.iter().any(|l| l.starts_with("metrics")), "{card}");
}
