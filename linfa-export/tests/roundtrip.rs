//! Every exportable model family, trained on a real data set with a seeded
//! generator, survives export and load with bit-identical predictions, and
//! the same training gives the same artifact digest.

use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use linfa::prelude::*;
use linfa_export::{
    DataFingerprint, ExportParams, ExportableModel, FileRole, Timestamp, load, verify,
};
use ndarray::{Array1, Array2, Ix1};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256Plus;

const SEED: u64 = 42;

fn rng() -> Xoshiro256Plus {
    Xoshiro256Plus::seed_from_u64(SEED)
}

/// Iris, shuffled with the seeded generator, split 80/20.
fn iris() -> (Dataset<f64, usize, Ix1>, Dataset<f64, usize, Ix1>) {
    linfa_datasets::iris()
        .shuffle(&mut rng())
        .split_with_ratio(0.8)
}

fn params(name: &str, data: DataFingerprint, at_secs: u64) -> ExportParams {
    ExportParams::new(name)
        .description(format!("{name} trained in the round-trip tests"))
        .license("mit")
        .data(data)
        .seed(SEED)
        .timestamp(Timestamp::At(UNIX_EPOCH + Duration::from_secs(at_secs)))
        // The tests of this binary share one process, so one's loads would be another's parents.
        .without_session_lineage()
}

/// How repeatable a model family's training is in linfa 0.8.1.
#[derive(Clone, Copy, PartialEq)]
enum Training {
    /// Same data and seed give the same fitted state, bit for bit.
    Deterministic,
    /// Same data and seed give the same predictions, but stored floats may
    /// differ in the last bits: linfa-trees 0.8.1 sums f32 class frequencies
    /// over a `HashMap`, whose order changes per run, into the stored
    /// `impurity_decrease`.
    PredictionsOnly,
}

/// Exports `model` twice (different export times) and a model from a second,
/// identical training once; checks all three artifacts verify, that the same
/// model always gives the same digest (and a retrained one too when training
/// is deterministic), that load gives back a model predicting exactly like
/// the original, and returns the loaded model.
fn round_trip<M, P>(
    name: &str,
    training: Training,
    train: impl Fn() -> M,
    data: DataFingerprint,
    predict: impl Fn(&M) -> P,
) -> M
where
    M: ExportableModel,
    P: PartialEq + std::fmt::Debug,
{
    let tmp = tempfile::tempdir().unwrap();
    let model = train();
    let export = |m: &M, dir: &str, at: u64| {
        params(name, data.clone(), at)
            .check()
            .unwrap()
            .export(m, tmp.path().join(dir))
            .unwrap()
    };
    let first = export(&model, "first", 1_000);
    let again = export(&model, "again", 2_000);
    let second = train();
    let retrained = export(&second, "retrained", 3_000);
    assert_ne!(first.manifest.exported_at, again.manifest.exported_at);
    assert_eq!(
        first.digest(),
        again.digest(),
        "{name}: same model, same digest"
    );
    // The digest identifies the fitted state exactly: equal state, equal
    // digests; different state, different digests. (Compared through serde:
    // some linfa models' `PartialEq` looks at a single field.)
    let state = |m: &M| serde_json::to_value(m).unwrap();
    assert_eq!(
        state(&model) == state(&second),
        first.digest() == retrained.digest(),
        "{name}"
    );
    assert_eq!(
        predict(&second),
        predict(&model),
        "{name}: retraining changed predictions"
    );
    if training == Training::Deterministic {
        assert_eq!(
            first.digest(),
            retrained.digest(),
            "{name}: same training, same digest"
        );
        assert_eq!(first.manifest.files, retrained.manifest.files);
    }

    for dir in ["first", "again", "retrained"] {
        let report = verify(tmp.path().join(dir));
        assert!(report.is_ok(), "{name}/{dir}: {:?}", report.problems);
    }
    let loaded = load::<M>(tmp.path().join("first")).unwrap();
    assert_eq!(
        predict(&loaded.model),
        predict(&model),
        "{name}: predictions differ after load"
    );
    assert_eq!(loaded.manifest, first.manifest);
    assert_eq!(loaded.manifest.model.model_type, M::MODEL_TYPE);
    assert_eq!(loaded.manifest.model.crate_name, M::CRATE);

    // The JSON alone (no CBOR) loads the same model.
    let json_only = params(name, data, 1_000)
        .binary(false)
        .check()
        .unwrap()
        .export(&model, tmp.path().join("json-only"))
        .unwrap();
    assert!(
        json_only
            .manifest
            .file_with_role(FileRole::ModelCbor)
            .is_none()
    );
    let from_json = load::<M>(tmp.path().join("json-only")).unwrap();
    assert_eq!(predict(&from_json.model), predict(&model));
    assert_ne!(json_only.digest(), first.digest());
    check_sizes(&tmp.path().join("first"));
    loaded.model
}

/// The CBOR file must actually be the compact one.
fn check_sizes(dir: &Path) {
    let json = std::fs::metadata(dir.join("model.json")).unwrap().len();
    let cbor = std::fs::metadata(dir.join("model.cbor")).unwrap().len();
    assert!(cbor < json, "cbor {cbor} bytes, json {json} bytes");
}

fn bits(a: &Array2<f64>) -> Vec<u64> {
    a.iter().map(|x| x.to_bits()).collect()
}

fn bits1(a: &Array1<f64>) -> Vec<u64> {
    a.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn kmeans() {
    let (train, valid) = iris();
    let records = DatasetBase::from(train.records().clone());
    round_trip(
        "iris-kmeans",
        Training::Deterministic,
        || {
            linfa_clustering::KMeans::params_with_rng(3, rng())
                .fit(&records)
                .unwrap()
        },
        DataFingerprint::from_records(train.records()).with_name("iris"),
        |m: &linfa_clustering::KMeans<f64, linfa_nn::distance::L2Dist>| m.predict(valid.records()),
    );
}

#[test]
fn gaussian_mixture() {
    let (train, valid) = iris();
    let records = DatasetBase::from(train.records().clone());
    round_trip(
        "iris-gmm",
        Training::Deterministic,
        || {
            linfa_clustering::GaussianMixtureModel::params_with_rng(3, rng())
                .fit(&records)
                .unwrap()
        },
        DataFingerprint::from_records(train.records()).with_name("iris"),
        |m: &linfa_clustering::GaussianMixtureModel<f64>| m.predict(valid.records()),
    );
}

#[test]
fn decision_tree() {
    let (train, valid) = iris();
    let tree = round_trip(
        "iris-tree",
        Training::PredictionsOnly,
        || linfa_trees::DecisionTree::params().fit(&train).unwrap(),
        DataFingerprint::from_dataset(&train).with_name("iris"),
        |m: &linfa_trees::DecisionTree<f64, usize>| m.predict(valid.records()),
    );
    let accuracy = tree
        .predict(&valid)
        .confusion_matrix(&valid)
        .unwrap()
        .accuracy();
    assert!(accuracy > 0.8, "accuracy {accuracy}");
}

#[test]
fn logistic_regression_binary() {
    let (train, valid) = linfa_datasets::winequality()
        .map_targets(|q| *q > 6)
        .shuffle(&mut rng())
        .split_with_ratio(0.8);
    round_trip(
        "wine-logistic",
        Training::Deterministic,
        || {
            linfa_logistic::LogisticRegression::default()
                .max_iterations(40)
                .fit(&train)
                .unwrap()
        },
        DataFingerprint::from_dataset(&train).with_name("winequality"),
        |m: &linfa_logistic::FittedLogisticRegression<f64, bool>| {
            (
                m.predict(valid.records()),
                bits1(&m.predict_probabilities(valid.records())),
            )
        },
    );
}

#[test]
fn logistic_regression_multi() {
    let (train, valid) = iris();
    round_trip(
        "iris-multi-logistic",
        Training::Deterministic,
        || {
            linfa_logistic::MultiLogisticRegression::default()
                .max_iterations(40)
                .fit(&train)
                .unwrap()
        },
        DataFingerprint::from_dataset(&train).with_name("iris"),
        |m: &linfa_logistic::MultiFittedLogisticRegression<f64, usize>| {
            (
                m.predict(valid.records()),
                bits(&m.predict_probabilities(valid.records())),
            )
        },
    );
}

#[test]
fn linear_regression() {
    let (train, valid) = linfa_datasets::diabetes()
        .shuffle(&mut rng())
        .split_with_ratio(0.8);
    assert_eq!(train.nsamples() + valid.nsamples(), 441);
    round_trip(
        "diabetes-ols",
        Training::Deterministic,
        || linfa_linear::LinearRegression::new().fit(&train).unwrap(),
        DataFingerprint::from_dataset(&train).with_name("diabetes"),
        |m: &linfa_linear::FittedLinearRegression<f64>| bits1(&m.predict(valid.records())),
    );
}

#[test]
fn gaussian_naive_bayes() {
    let (train, valid) = iris();
    round_trip(
        "iris-gnb",
        Training::Deterministic,
        || linfa_bayes::GaussianNb::params().fit(&train).unwrap(),
        DataFingerprint::from_dataset(&train).with_name("iris"),
        |m: &linfa_bayes::GaussianNb<f64, usize>| m.predict(valid.records()),
    );
}

#[test]
fn multinomial_naive_bayes() {
    let (train, valid) = iris();
    round_trip(
        "iris-mnb",
        Training::Deterministic,
        || linfa_bayes::MultinomialNb::params().fit(&train).unwrap(),
        DataFingerprint::from_dataset(&train).with_name("iris"),
        |m: &linfa_bayes::MultinomialNb<f64, usize>| m.predict(valid.records()),
    );
}

#[test]
fn svm_classifier() {
    let (train, valid) = iris();
    let train = train.map_targets(|t| *t == 0);
    round_trip(
        "iris-svm",
        Training::Deterministic,
        || {
            linfa_svm::Svm::<f64, bool>::params()
                .gaussian_kernel(50.0)
                .fit(&train)
                .unwrap()
        },
        DataFingerprint::from_dataset(&train).with_name("iris"),
        |m: &linfa_svm::Svm<f64, bool>| m.predict(valid.records()),
    );
}

#[test]
fn svm_regression() {
    let (train, valid) = linfa_datasets::diabetes()
        .shuffle(&mut rng())
        .split_with_ratio(0.8);
    round_trip(
        "diabetes-svr",
        Training::Deterministic,
        || {
            linfa_svm::Svm::<f64, f64>::params()
                .c_svr(10.0, None)
                .linear_kernel()
                .fit(&train)
                .unwrap()
        },
        DataFingerprint::from_dataset(&train).with_name("diabetes"),
        |m: &linfa_svm::Svm<f64, f64>| bits1(&m.predict(valid.records())),
    );
}

#[test]
fn pca() {
    let (train, valid) = iris();
    let records = DatasetBase::from(train.records().clone());
    round_trip(
        "iris-pca",
        Training::Deterministic,
        || linfa_reduction::Pca::params(2).fit(&records).unwrap(),
        DataFingerprint::from_records(train.records()).with_name("iris"),
        |m: &linfa_reduction::Pca<f64>| bits(&m.predict(valid.records())),
    );
}

#[test]
fn different_seed_gives_a_different_digest() {
    let (train, _) = iris();
    let records = DatasetBase::from(train.records().clone());
    let tmp = tempfile::tempdir().unwrap();
    let fit = |seed| {
        linfa_clustering::KMeans::params_with_rng(3, Xoshiro256Plus::seed_from_u64(seed))
            .n_runs(1)
            .fit(&records)
            .unwrap()
    };
    let data = DataFingerprint::from_records(train.records());
    let a = params("k", data.clone(), 0)
        .check()
        .unwrap()
        .export(&fit(1), tmp.path().join("a"))
        .unwrap();
    let b = params("k", data, 0)
        .seed(2)
        .check()
        .unwrap()
        .export(&fit(2), tmp.path().join("b"))
        .unwrap();
    assert_ne!(a.digest(), b.digest());
    let differences = linfa_export::diff(&a.manifest, &b.manifest);
    assert!(
        differences.iter().any(|d| d.field == "provenance.seed"),
        "{differences:?}"
    );
}
