//! Which models can be exported, decided by the type system.
//!
//! linfa 0.8.1 gives serde support to some fitted models and not to others
//! (RandomForest and bagging ensembles, AdaBoost, BernoulliNb). Exporting one
//! of the latter could only write something that does not load back, so the
//! refusal happens at compile time: [`ExportableModel`] is implemented for the
//! serializable fitted models only, and trying to export anything else gives
//! a compiler error that says why. Each implementation also names the model
//! type and its crate, which the manifest records and `load` checks.

use std::hash::Hash;

use linfa::Float;
use linfa::dataset::Pr;
use linfa_bayes::{GaussianNb, MultinomialNb};
use linfa_clustering::{GaussianMixtureModel, KMeans};
use linfa_linear::FittedLinearRegression;
use linfa_logistic::{FittedLogisticRegression, MultiFittedLogisticRegression};
use linfa_nn::distance::{Distance, L1Dist, L2Dist, LInfDist, LpDist};
use linfa_reduction::Pca;
use linfa_svm::Svm;
use linfa_trees::DecisionTree;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// A fitted linfa model whose state can be written and read back exactly.
///
/// Implemented for `KMeans`, `GaussianMixtureModel` (linfa-clustering),
/// `DecisionTree` (linfa-trees), `FittedLogisticRegression`,
/// `MultiFittedLogisticRegression` (linfa-logistic), `FittedLinearRegression`
/// (linfa-linear), `GaussianNb`, `MultinomialNb` (linfa-bayes), `Svm`
/// (linfa-svm) and `Pca` (linfa-reduction).
///
/// Not implemented, on purpose, for RandomForest/bagging ensembles, AdaBoost
/// and BernoulliNb: linfa 0.8.1 cannot serialize them.
///
/// ```compile_fail,E0277
/// # use linfa::prelude::*;
/// # fn demo(dir: &std::path::Path) {
/// let data = ndarray::array![[1.0, 0.0], [0.0, 1.0]];
/// let targets = ndarray::array![0usize, 1];
/// let model = linfa_bayes::BernoulliNb::<f64, usize>::params()
///     .fit(&linfa::Dataset::new(data, targets))
///     .unwrap();
/// // error: `BernoulliNb<f64, usize>` cannot be exported by linfa-export
/// linfa_export::ExportParams::new("nb").check().unwrap().export(&model, dir);
/// # }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be exported by linfa-export",
    label = "this model type has no serialized form in linfa 0.8.1",
    note = "exportable: KMeans, GaussianMixtureModel, DecisionTree, FittedLogisticRegression, MultiFittedLogisticRegression, FittedLinearRegression, GaussianNb, MultinomialNb, Svm, Pca",
    note = "linfa 0.8.1 has no serde support for RandomForest/bagging ensembles, AdaBoost or BernoulliNb, so an export could not be loaded back; keep the training code and its seed to rebuild such a model instead"
)]
pub trait ExportableModel: Serialize + DeserializeOwned {
    /// Path of the type without generics, e.g. `linfa_clustering::KMeans`.
    const MODEL_TYPE: &'static str;
    /// Crate that defines the type (its serialized format), e.g. `linfa-clustering`.
    const CRATE: &'static str;

    /// Names of the generic parameters, e.g. `["f64", "L2Dist"]`.
    fn type_params() -> Vec<&'static str>;

    /// Shape facts the fitted model exposes (cluster count, feature count…),
    /// used as hyper-parameters when the caller gives none.
    fn derived_hyperparameters(&self) -> Option<Value> {
        None
    }
}

/// A stable name for a type parameter of an exportable model.
///
/// `std::any::type_name` is explicitly unstable across compilers, and the
/// model type must read the same in every manifest, so names are spelled out.
pub trait TypeTag {
    /// The name recorded in the manifest.
    const TAG: &'static str;
}

macro_rules! type_tags {
    ($($t:ty => $name:literal),* $(,)?) => {$(
        impl TypeTag for $t {
            const TAG: &'static str = $name;
        }
    )*};
}

type_tags!(
    f32 => "f32", f64 => "f64", bool => "bool", char => "char", String => "String",
    usize => "usize", u8 => "u8", u16 => "u16", u32 => "u32", u64 => "u64",
    isize => "isize", i8 => "i8", i16 => "i16", i32 => "i32", i64 => "i64",
    Pr => "Pr", L1Dist => "L1Dist", L2Dist => "L2Dist", LInfDist => "LInfDist",
);

impl<F: Float> TypeTag for LpDist<F> {
    const TAG: &'static str = "LpDist";
}

impl<F, D> ExportableModel for KMeans<F, D>
where
    F: Float + TypeTag,
    D: Distance<F> + TypeTag,
    Self: Serialize + DeserializeOwned,
{
    const MODEL_TYPE: &'static str = "linfa_clustering::KMeans";
    const CRATE: &'static str = "linfa-clustering";
    fn type_params() -> Vec<&'static str> {
        vec![F::TAG, D::TAG]
    }
    fn derived_hyperparameters(&self) -> Option<Value> {
        let c = self.centroids();
        Some(json!({ "n_clusters": c.nrows(), "n_features": c.ncols() }))
    }
}

impl<F> ExportableModel for GaussianMixtureModel<F>
where
    F: Float + TypeTag,
    Self: Serialize + DeserializeOwned,
{
    const MODEL_TYPE: &'static str = "linfa_clustering::GaussianMixtureModel";
    const CRATE: &'static str = "linfa-clustering";
    fn type_params() -> Vec<&'static str> {
        vec![F::TAG]
    }
    fn derived_hyperparameters(&self) -> Option<Value> {
        Some(json!({ "n_clusters": self.weights().len(), "n_features": self.means().ncols() }))
    }
}

impl<F, L> ExportableModel for DecisionTree<F, L>
where
    F: Float + TypeTag,
    L: linfa::Label + TypeTag,
    Self: Serialize + DeserializeOwned,
{
    const MODEL_TYPE: &'static str = "linfa_trees::DecisionTree";
    const CRATE: &'static str = "linfa-trees";
    fn type_params() -> Vec<&'static str> {
        vec![F::TAG, L::TAG]
    }
    fn derived_hyperparameters(&self) -> Option<Value> {
        Some(json!({ "depth": self.max_depth(), "n_leaves": self.num_leaves() }))
    }
}

// linfa-logistic bounds its models by a private float trait implemented for
// `f32` and `f64` only, so these impls are spelled out per float type.
macro_rules! logistic_impls {
    ($($f:ty),*) => {$(
        impl<C> ExportableModel for FittedLogisticRegression<$f, C>
        where
            C: PartialOrd + Clone + TypeTag,
            Self: Serialize + DeserializeOwned,
        {
            const MODEL_TYPE: &'static str = "linfa_logistic::FittedLogisticRegression";
            const CRATE: &'static str = "linfa-logistic";
            fn type_params() -> Vec<&'static str> {
                vec![<$f>::TAG, C::TAG]
            }
            fn derived_hyperparameters(&self) -> Option<Value> {
                Some(json!({ "n_features": self.params().len() }))
            }
        }

        impl<C> ExportableModel for MultiFittedLogisticRegression<$f, C>
        where
            C: PartialOrd + Clone + TypeTag,
            Self: Serialize + DeserializeOwned,
        {
            const MODEL_TYPE: &'static str = "linfa_logistic::MultiFittedLogisticRegression";
            const CRATE: &'static str = "linfa-logistic";
            fn type_params() -> Vec<&'static str> {
                vec![<$f>::TAG, C::TAG]
            }
            fn derived_hyperparameters(&self) -> Option<Value> {
                Some(json!({
                    "n_features": self.params().nrows(),
                    "n_classes": self.classes().len(),
                }))
            }
        }
    )*};
}

logistic_impls!(f32, f64);

impl<F> ExportableModel for FittedLinearRegression<F>
where
    F: Float + TypeTag,
    Self: Serialize + DeserializeOwned,
{
    const MODEL_TYPE: &'static str = "linfa_linear::FittedLinearRegression";
    const CRATE: &'static str = "linfa-linear";
    fn type_params() -> Vec<&'static str> {
        vec![F::TAG]
    }
    fn derived_hyperparameters(&self) -> Option<Value> {
        Some(json!({ "n_features": self.params().len() }))
    }
}

impl<F, L> ExportableModel for GaussianNb<F, L>
where
    F: Float + TypeTag,
    L: Eq + Hash + TypeTag,
    Self: Serialize + DeserializeOwned,
{
    const MODEL_TYPE: &'static str = "linfa_bayes::GaussianNb";
    const CRATE: &'static str = "linfa-bayes";
    fn type_params() -> Vec<&'static str> {
        vec![F::TAG, L::TAG]
    }
}

impl<F, L> ExportableModel for MultinomialNb<F, L>
where
    F: Float + TypeTag,
    L: Eq + Hash + TypeTag,
    Self: Serialize + DeserializeOwned,
{
    const MODEL_TYPE: &'static str = "linfa_bayes::MultinomialNb";
    const CRATE: &'static str = "linfa-bayes";
    fn type_params() -> Vec<&'static str> {
        vec![F::TAG, L::TAG]
    }
}

impl<F, T> ExportableModel for Svm<F, T>
where
    F: Float + TypeTag,
    T: TypeTag,
    Self: Serialize + DeserializeOwned,
{
    const MODEL_TYPE: &'static str = "linfa_svm::Svm";
    const CRATE: &'static str = "linfa-svm";
    fn type_params() -> Vec<&'static str> {
        vec![F::TAG, T::TAG]
    }
    fn derived_hyperparameters(&self) -> Option<Value> {
        Some(json!({ "n_support_vectors": self.nsupport() }))
    }
}

impl<F> ExportableModel for Pca<F>
where
    F: Float + TypeTag,
    Self: Serialize + DeserializeOwned,
{
    const MODEL_TYPE: &'static str = "linfa_reduction::Pca";
    const CRATE: &'static str = "linfa-reduction";
    fn type_params() -> Vec<&'static str> {
        vec![F::TAG]
    }
}
