//! The card's text: front matter that no user text can break, the Hub's fields, the
//! sections a reader needs.

use super::*;
use crate::format::fingerprint::{ArrayFingerprint, DataFingerprint};
use crate::format::fixtures;
use crate::format::manifest::CardFields;

fn manifest(card: CardFields) -> Manifest {
    Manifest {
        metrics: [("accuracy: top-1".to_owned(), 0.5)].into(),
        card,
        ..fixtures::manifest("linfa_svm::Svm", &["f64", "bool"], "linfa-svm")
    }
}

#[test]
fn hostile_text_cannot_break_the_front_matter() {
    let card = CardFields {
        name: "evil\n---\nlicense: stolen".to_owned(),
        license: Some("mit\"\nlibrary_name: x".to_owned()),
        tags: vec!["a: b".to_owned(), "- c".to_owned(), "linfa".to_owned()],
        ..CardFields::default()
    };
    let text = render(&manifest(card));
    let front: Vec<&str> = text.split("---\n").nth(1).unwrap().lines().collect();
    assert_eq!(
        front,
        [
            r#"license: "mit\"\nlibrary_name: x""#,
            r#"library_name: "linfa""#,
            "tags:",
            r#"- "linfa""#,
            r#"- "rust""#,
            r#"- "linfa-svm""#,
            r#"- "Svm""#,
            r#"- "a: b""#,
            r#"- "- c""#,
            "metrics:",
            r#"- "accuracy: top-1""#,
            "model-index:",
            r#"- name: "evil\n---\nlicense: stolen""#,
            "  results:",
            "  - task:",
            r#"      type: "tabular-classification""#,
            "    dataset:",
            r#"      name: "unnamed""#,
            r#"      type: "unnamed""#,
            "    metrics:",
            r#"    - type: "accuracy: top-1""#,
            "      value: 0.5",
        ]
    );
    // The title stays on one line.
    assert!(text.contains("\n# evil --- license: stolen\n"), "{text}");
}

#[test]
fn parents_are_the_base_model_and_the_lineage_section() {
    let parent = |name: &str, digest: char| {
        fixtures::parent(name, digest, "linfa_trees::DecisionTree<f64, usize>", None)
    };
    let mut m = manifest(CardFields {
        name: "child".to_owned(),
        ..CardFields::default()
    });
    let mut b = parent("b", 'b');
    b.lineage = vec![parent("a", 'a')];
    b.signer = Some("f00d".to_owned());
    m.lineage = vec![b.clone()];
    let text = render(&m);
    assert!(text.contains("\nbase_model: \"b\"\n---\n"), "{text}");
    assert!(text.contains("## Lineage\n"), "{text}");
    assert!(
        text.contains("- **b** (`linfa_trees::DecisionTree<f64, usize>`), sha256 `bbbb"),
        "{text}"
    );
    assert!(text.contains("signed by key `f00d`\n  - **a** ("), "{text}");
    m.lineage.push(parent("c", 'c'));
    let text = render(&m);
    assert!(
        text.contains("\nbase_model:\n- \"b\"\n- \"c\"\n---\n"),
        "{text}"
    );
}

#[test]
fn missing_statements_are_called_out() {
    let text = render(&manifest(CardFields {
        name: "m".to_owned(),
        ..CardFields::default()
    }));
    assert!(text.contains("license: \"other\""));
    assert!(text.contains("- **Bias across groups**: _Not stated by the exporter._"));
    assert!(text.contains("_No data fingerprint was recorded._"));
    assert!(text.contains("| Model type | `linfa_svm::Svm<f64, bool>` |"));
}

#[test]
fn metrics_are_evaluation_results_with_task_and_data() {
    let mut m = manifest(CardFields {
        name: "iris tree".to_owned(),
        ..CardFields::default()
    });
    m.model.model_type = "linfa_trees::DecisionTree".to_owned();
    m.model.type_params = vec!["f64".to_owned(), "usize".to_owned()];
    m.metrics = [("accuracy".to_owned(), 0.96), ("f1".to_owned(), 1.0)].into();
    m.data = Some(DataFingerprint {
        name: Some("Iris (UCI)".to_owned()),
        source: None,
        records: ArrayFingerprint {
            shape: vec![150, 4],
            element_type: "f64".to_owned(),
            sha256: "a".repeat(64),
        },
        targets: None,
    });
    let text = render(&m);
    let expected = "model-index:\n- name: \"iris tree\"\n  results:\n  - task:\n      \
                    type: \"tabular-classification\"\n    dataset:\n      name: \"Iris (UCI)\"\n      \
                    type: \"iris-uci\"\n    metrics:\n    - type: \"accuracy\"\n      value: 0.96\n    \
                    - type: \"f1\"\n      value: 1\n---\n";
    assert!(text.contains(expected), "{text}");

    m.metrics.clear();
    let text = render(&m);
    assert!(!text.contains("model-index"), "{text}");
}

#[test]
fn each_model_type_names_its_task() {
    let info = |model_type: &str, params: &[&str]| ModelInfo {
        model_type: model_type.to_owned(),
        type_params: params.iter().map(|p| (*p).to_owned()).collect(),
        crate_name: String::new(),
        crate_version: String::new(),
    };
    for (model_type, params, task) in [
        (
            "linfa_trees::DecisionTree",
            &["f64", "usize"][..],
            "tabular-classification",
        ),
        (
            "linfa_logistic::FittedLogisticRegression",
            &["f64", "bool"],
            "tabular-classification",
        ),
        (
            "linfa_logistic::MultiFittedLogisticRegression",
            &["f64", "usize"],
            "tabular-classification",
        ),
        (
            "linfa_bayes::GaussianNb",
            &["f64", "usize"],
            "tabular-classification",
        ),
        (
            "linfa_bayes::MultinomialNb",
            &["f64", "usize"],
            "tabular-classification",
        ),
        ("linfa_svm::Svm", &["f64", "bool"], "tabular-classification"),
        ("linfa_svm::Svm", &["f64", "Pr"], "tabular-classification"),
        ("linfa_svm::Svm", &["f64", "f64"], "tabular-regression"),
        (
            "linfa_linear::FittedLinearRegression",
            &["f64"],
            "tabular-regression",
        ),
        ("linfa_clustering::KMeans", &["f64", "L2Dist"], "clustering"),
        (
            "linfa_clustering::GaussianMixtureModel",
            &["f64"],
            "clustering",
        ),
        ("linfa_reduction::Pca", &["f64"], "dimensionality-reduction"),
        ("some_crate::Model", &[], "other"),
    ] {
        assert_eq!(task_type(&info(model_type, params)), task, "{model_type}");
    }
}

#[test]
fn values_and_names_stay_valid_yaml() {
    assert_eq!(yaml_number(0.75), "0.75");
    assert_eq!(yaml_number(1e-7), "0.0000001");
    assert_eq!(yaml_number(-2.0), "-2");
    assert_eq!(yaml_number(f64::NAN), ".nan");
    assert_eq!(yaml_number(f64::NEG_INFINITY), "-.inf");
    assert_eq!(slug("Iris (UCI) -- 2024"), "iris-uci-2024");
    assert_eq!(slug("%%"), "unnamed");
}
