//! Tests against small crates written on the fly and against the real stack sources in the
//! cargo registry.

use std::{
    path::{Path, PathBuf},
    sync::OnceLock,
    time::Instant,
};

use super::*;

fn names(completions: &[Completion]) -> Vec<String> {
    completions.iter().map(|c| c.name.clone()).collect()
}

fn contains(names: &[String], name: &str) -> bool {
    names.iter().any(|n| n == name)
}

fn has(completions: &[Completion], name: &str, kind: ItemKind) -> bool {
    completions.iter().any(|c| c.name == name && c.kind == kind)
}

// ---- small crates written on the fly ----

/// Writes `files` (relative path, text) under a temporary directory.
fn write_crate(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("create dirs");
        std::fs::write(path, text).expect("write file");
    }
    dir
}

fn source(name: &str, dir: &Path) -> CrateSource {
    CrateSource {
        name: name.to_string(),
        root: dir.join("src/lib.rs"),
    }
}

#[test]
fn module_walk_visibility_and_reexports() {
    let dir = write_crate(&[
        (
            "src/lib.rs",
            r#"
//! The alpha crate.
pub mod a;
mod hidden_impl;
#[path = "elsewhere/b_file.rs"]
pub mod b;
pub mod inline {
    pub mod deep;
    pub fn inline_fn() {}
}
pub use hidden_impl::{Exported, Other as Renamed, Hidden};
pub use self::a::*;
pub(crate) fn crate_only() {}
#[doc(hidden)]
pub fn secret() {}
#[cfg(test)]
mod tests { pub fn test_only() {} }
pub mod cycle1 { pub use super::cycle2::*; pub struct One; }
pub mod cycle2 { pub use super::cycle1::*; pub struct Two; }
"#,
        ),
        (
            "src/a/mod.rs",
            "pub mod nested;\npub use nested::*;\npub struct FromA;\n",
        ),
        (
            "src/a/nested.rs",
            "/// Deep down.\n///\n/// More.\npub struct Nested;\n#[macro_export]\nmacro_rules! mac { () => {} }\n",
        ),
        (
            "src/hidden_impl.rs",
            "pub struct Exported; pub struct Other; pub struct NotExported; #[doc(hidden)] pub struct Hidden;",
        ),
        ("src/elsewhere/b_file.rs", "pub enum Choice { Yes, No }"),
        ("src/inline/deep.rs", "pub const DEEP: u8 = 1;"),
    ]);
    let index = StackIndex::build(&[source("alpha", dir.path())]).expect("build");
    let root = index.path_items(&["alpha"], "");
    for (name, kind) in [
        ("a", ItemKind::Module),
        ("b", ItemKind::Module),
        ("inline", ItemKind::Module),
        ("Exported", ItemKind::Struct),
        ("Renamed", ItemKind::Struct),
        ("FromA", ItemKind::Struct),
        ("Nested", ItemKind::Struct),
        ("nested", ItemKind::Module),
        ("mac", ItemKind::Macro),
    ] {
        assert!(
            has(&root, name, kind),
            "{name} missing from {:?}",
            names(&root)
        );
    }
    for absent in [
        "hidden_impl",
        "NotExported",
        "crate_only",
        "secret",
        "tests",
        "Other",
        "Hidden",
    ] {
        assert!(!contains(&names(&root), absent), "{absent} offered");
    }
    assert!(has(
        &index.path_items(&["alpha", "inline", "deep"], ""),
        "DEEP",
        ItemKind::Const
    ));
    assert_eq!(
        names(&index.path_items(&["alpha", "b", "Choice"], "")),
        ["No", "Yes"]
    );
    let cycle = names(&index.path_items(&["alpha", "cycle1"], ""));
    assert!(
        contains(&cycle, "One") && contains(&cycle, "Two"),
        "{cycle:?}"
    );
    assert_eq!(
        index.doc(&["alpha", "Nested"]),
        Some((ItemKind::Struct, "Deep down.".to_string()))
    );
    assert_eq!(
        index.doc(&["alpha"]),
        Some((ItemKind::Module, "The alpha crate.".to_string()))
    );
    assert_eq!(names(&index.path_items(&["alpha"], "Ex")), ["Exported"]);
}

#[test]
fn methods_from_inherent_trait_derive_and_blanket_impls() {
    let base = write_crate(&[(
        "src/lib.rs",
        r#"
pub trait Shape { fn area(&self) -> f64; fn describe(&self) -> String { String::new() } }
pub trait Named { fn name(&self) -> String; }
impl<T: Shape> Named for T { fn name(&self) -> String { String::new() } }
pub trait Everything { fn everything(&self); }
impl<T> Everything for T { fn everything(&self) {} }
pub trait Unrelated { fn unrelated(&self); }
pub trait Bound2 {}
impl<O> Unrelated for O where O: Bound2 { fn unrelated(&self) {} }
"#,
    )]);
    let user = write_crate(&[(
        "src/lib.rs",
        r#"
use base::Shape;
pub use base::*;
pub mod re { pub use base::Named as Renamed; }
#[derive(Clone, Debug)]
pub struct Square<F> { side: F }
impl<F> Square<F> {
    pub fn new(side: F) -> Self { Square { side } }
    pub fn side(&self) -> &F { &self.side }
    fn private(&self) {}
}
impl<F> Shape for Square<F> { fn area(&self) -> f64 { 0.0 } }
"#,
    )]);
    let index = StackIndex::build(&[source("base", base.path()), source("user", user.path())])
        .expect("build");
    let methods = names(&index.methods("user::Square<f64>", ""));
    for name in ["side", "area", "describe", "name", "everything", "clone"] {
        assert!(contains(&methods, name), "{name} missing from {methods:?}");
    }
    for name in ["new", "private", "unrelated"] {
        assert!(!contains(&methods, name), "{name} offered in {methods:?}");
    }
    assert_eq!(
        names(&index.methods("&mut user::Square<f64>", "si")),
        ["side"]
    );
    assert_eq!(
        names(&index.methods("alloc::boxed::Box<user::Square<f64>>", "si")),
        ["side"]
    );
    let assoc = index.path_items(&["user", "Square"], "");
    assert!(has(&assoc, "new", ItemKind::Function), "{assoc:?}");
    assert!(!contains(&names(&assoc), "side"));
    // Re-exports of another indexed crate, by glob and by name.
    let user = index.path_items(&["user"], "");
    assert!(has(&user, "Shape", ItemKind::Trait), "{user:?}");
    assert!(has(&user, "Everything", ItemKind::Trait), "{user:?}");
    assert!(has(
        &index.path_items(&["user", "re"], ""),
        "Renamed",
        ItemKind::Trait
    ));
    let shape = index.path_items(&["base", "Shape"], "");
    assert!(has(&shape, "area", ItemKind::Method), "{shape:?}");
    let dyn_methods = names(&index.methods("dyn base::Shape", ""));
    assert!(contains(&dyn_methods, "area") && contains(&dyn_methods, "describe"));
}

#[test]
fn private_paths_are_written_through_the_public_alias_that_names_them() {
    let dims = write_crate(&[
        (
            "src/lib.rs",
            "mod dimension;\npub use dimension::Dim;\npub type Ix = usize;\n\
             pub type Ix1 = Dim<[Ix; 1]>;\npub type Ix2 = Dim<[Ix; 2]>;\n",
        ),
        ("src/dimension.rs", "pub struct Dim<I>(I);\n"),
    ]);
    let logit = write_crate(&[
        (
            "src/lib.rs",
            "mod hyperparams;\nuse dims::{Ix1, Ix2};\nuse hyperparams::Params;\n\
             pub type Regression<F> = Params<F, Ix1>;\n\
             pub type MultiRegression<F> = Params<F, Ix2>;\n\
             pub type Borrowed<'a, F> = Params<&'a F, Ix1>;\n\
             type Unnamed<F> = Params<F, dims::Dim<[u8; 1]>>;\n",
        ),
        ("src/hyperparams.rs", "pub struct Params<F, D>(F, D);\n"),
    ]);
    let built = StackIndex::build(&[source("dims", dims.path()), source("logit", logit.path())])
        .expect("build");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("index.json");
    built.save(&path).expect("save");
    let index = StackIndex::load(&path).expect("load");
    let public = |ty: &str| index.publicly_named(ty);

    assert_eq!(
        public("std::vec::Vec<logit::hyperparams::Params<f64, dims::Dim<[usize; 1]>>>").as_deref(),
        Some("std::vec::Vec<logit::Regression<f64>>")
    );
    assert_eq!(
        public("(logit::hyperparams::Params<f32, dims::Dim<[usize; 2]>>, u8)").as_deref(),
        Some("(logit::MultiRegression<f32>, u8)")
    );
    // Inside an alias's argument too.
    assert_eq!(
        public(
            "logit::hyperparams::Params<logit::hyperparams::Params<f64, dims::Dim<[usize; 1]>>, \
             dims::Dim<[usize; 1]>>"
        )
        .as_deref(),
        Some("logit::Regression<logit::Regression<f64>>")
    );
    // `Borrowed<'a, F>` would come first, but a kept variable's type cannot give it a lifetime.
    assert_eq!(
        public("logit::hyperparams::Params<&'static f64, dims::Dim<[usize; 1]>>").as_deref(),
        Some("logit::Regression<&'static f64>")
    );
    // No public alias fits: only a private one, or none with that length.
    assert_eq!(
        public("logit::hyperparams::Params<f64, dims::Dim<[u8; 1]>>"),
        None
    );
    assert_eq!(
        public("logit::hyperparams::Params<f64, dims::Dim<[usize; 3]>>"),
        None
    );
    // Public paths, and text that is not a type, are left alone.
    assert_eq!(public("dims::Dim<[usize; 1]>"), None);
    assert_eq!(public("[closure@src/lib.rs:3:9]"), None);
}

#[test]
fn save_then_load_gives_the_same_lookups() {
    let index = stack();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("index.json");
    index.save(&path).expect("save");
    let loaded = StackIndex::load(&path).expect("load");
    assert_eq!(
        loaded.crate_names().collect::<Vec<_>>(),
        index.crate_names().collect::<Vec<_>>()
    );
    assert_eq!(
        loaded.path_items(&["linfa_clustering"], ""),
        index.path_items(&["linfa_clustering"], "")
    );
    assert_eq!(loaded.methods(KMEANS, ""), index.methods(KMEANS, ""));
    assert_eq!(
        loaded.doc(&["linfa_clustering", "KMeans"]),
        index.doc(&["linfa_clustering", "KMeans"])
    );
}

#[test]
fn load_errors_name_the_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("missing.json");
    let err = StackIndex::load(&missing).expect_err("missing file");
    assert!(matches!(err, IndexError::ReadIndex { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&missing.display().to_string()),
        "{err}"
    );

    let corrupt = dir.path().join("corrupt.json");
    std::fs::write(&corrupt, "{not json").expect("write");
    let err = StackIndex::load(&corrupt).expect_err("corrupt file");
    assert!(matches!(err, IndexError::InvalidIndex { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&corrupt.display().to_string()),
        "{err}"
    );

    let old = dir.path().join("old.json");
    std::fs::write(&old, r#"{"v":0,"c":[],"m":[],"t":{}}"#).expect("write");
    let err = StackIndex::load(&old).expect_err("old format");
    assert!(
        matches!(err, IndexError::IncompatibleIndex { .. }),
        "{err:?}"
    );
}

#[test]
fn missing_source_is_an_error_naming_the_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    let err = StackIndex::build(&[source("nothing", dir.path())]).expect_err("no lib.rs");
    assert!(matches!(err, IndexError::ReadSource { .. }), "{err:?}");
    assert!(err.to_string().contains("lib.rs"), "{err}");
}

// ---- the real stack sources ----

const STACK: &[(&str, &str)] = &[
    ("linfa", "linfa-0.8.1"),
    ("linfa_clustering", "linfa-clustering-0.8.1"),
    ("linfa_nn", "linfa-nn-0.8.1"),
    ("linfa_trees", "linfa-trees-0.8.1"),
    ("linfa_datasets", "linfa-datasets-0.8.1"),
    ("ndarray", "ndarray-0.16.1"),
    ("linfa_linear", "linfa-linear-0.8.1"),
    ("linfa_logistic", "linfa-logistic-0.8.1"),
];

const KMEANS: &str = "linfa_clustering::KMeans<f64, linfa_nn::distance::L2Dist>";

/// `$CARGO_HOME/registry/src/*/<dir>/src/lib.rs`, panicking when the source is absent.
fn registry_root(dir: &str) -> PathBuf {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .expect("neither CARGO_HOME nor HOME is set");
    let registry = cargo_home.join("registry/src");
    let found = std::fs::read_dir(&registry)
        .ok()
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|entry| entry.path().join(dir).join("src/lib.rs"))
        .find(|lib| lib.is_file());
    found.unwrap_or_else(|| {
        panic!(
            "the source of {dir} is not in {}: these tests need it (run `cargo fetch` in the \
             workspace)",
            registry.display()
        )
    })
}

fn stack_sources() -> Vec<CrateSource> {
    STACK
        .iter()
        .map(|(name, dir)| CrateSource {
            name: name.to_string(),
            root: registry_root(dir),
        })
        .collect()
}

/// The index of the 8 stack crates, built once for all tests.
fn stack() -> &'static StackIndex {
    static INDEX: OnceLock<StackIndex> = OnceLock::new();
    INDEX.get_or_init(|| StackIndex::build(&stack_sources()).expect("build the stack index"))
}

#[test]
fn stack_build_time_and_size() {
    let sources = stack_sources();
    let started = Instant::now();
    let index = StackIndex::build(&sources).expect("build");
    let elapsed = started.elapsed();
    let json = serde_json::to_vec(&index).expect("serialize");
    let types: usize = index.types.values().map(Vec::len).sum();
    let members: usize = index
        .types
        .values()
        .flatten()
        .map(|t| t.members.len())
        .sum();
    eprintln!(
        "stack index: {} crates built in {:.2?}, JSON {} bytes ({:.2} MB), {} modules, {} types, {} members, {} aliases",
        sources.len(),
        elapsed,
        json.len(),
        json.len() as f64 / 1e6,
        index.modules.len(),
        types,
        members,
        index.aliases.len()
    );
    assert!(elapsed.as_secs() < 10, "build took {elapsed:?}");
    assert!(json.len() < 8_000_000, "JSON is {} bytes", json.len());
    let started = Instant::now();
    let methods = index.methods(KMEANS, "");
    eprintln!("methods(KMeans) took {:?}", started.elapsed());
    assert!(!methods.is_empty());
}

#[test]
fn stack_crate_names_in_order() {
    let names: Vec<&str> = stack().crate_names().collect();
    let expected: Vec<&str> = STACK.iter().map(|(name, _)| *name).collect();
    assert_eq!(names, expected);
}

#[test]
fn stack_clustering_items() {
    let items = stack().path_items(&["linfa_clustering"], "KMe");
    assert!(has(&items, "KMeans", ItemKind::Struct), "{items:?}");
    assert!(has(&items, "KMeansParams", ItemKind::Struct), "{items:?}");
    assert!(items.iter().all(|c| c.name.starts_with("KMe")));
    let mut sorted = items.clone();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(names(&items), names(&sorted));
}

#[test]
fn stack_linfa_prelude() {
    let items = stack().path_items(&["linfa", "prelude"], "");
    for (name, kind) in [
        ("Fit", ItemKind::Trait),
        ("Predict", ItemKind::Trait),
        ("PredictInplace", ItemKind::Trait),
        ("Dataset", ItemKind::TypeAlias),
        ("DatasetBase", ItemKind::Struct),
        ("Records", ItemKind::Trait),
        ("Float", ItemKind::Trait),
        ("SilhouetteScore", ItemKind::Trait),
    ] {
        assert!(
            has(&items, name, kind),
            "{name} missing from {:?}",
            names(&items)
        );
    }
}

#[test]
fn stack_kmeans_associated_fns() {
    let items = stack().path_items(&["linfa_clustering", "KMeans"], "");
    assert!(has(&items, "params", ItemKind::Function), "{items:?}");
    assert!(!contains(&names(&items), "centroids"), "{items:?}");
}

#[test]
fn stack_kmeans_methods() {
    let methods = names(&stack().methods(KMEANS, ""));
    for name in ["centroids", "predict", "predict_inplace", "cluster_count"] {
        assert!(contains(&methods, name), "{name} missing from {methods:?}");
    }
    assert_eq!(
        names(&stack().methods(&format!("&{KMEANS}"), "cen")),
        ["centroids"]
    );
}

#[test]
fn stack_dataset_methods() {
    let ty = "linfa::DatasetBase<ndarray::ArrayBase<ndarray::OwnedRepr<f64>, ndarray::Dim<[usize; 2]>>, ndarray::ArrayBase<ndarray::OwnedRepr<usize>, ndarray::Dim<[usize; 1]>>>";
    let methods = stack().methods(ty, "split");
    assert!(
        has(&methods, "split_with_ratio", ItemKind::Method),
        "{methods:?}"
    );
    assert!(methods.iter().all(|c| c.name.starts_with("split")));
    let all = names(&stack().methods(ty, ""));
    for name in ["records", "targets", "nsamples", "fold", "shuffle"] {
        assert!(contains(&all, name), "{name} missing from {all:?}");
    }
    // The alias `Dataset` leads to `DatasetBase`'s methods too.
    let alias = names(&stack().methods("linfa::Dataset<f64, usize>", "split"));
    assert!(contains(&alias, "split_with_ratio"), "{alias:?}");
}

#[test]
fn stack_ndarray_methods() {
    let methods = names(&stack().methods(
        "ndarray::ArrayBase<ndarray::OwnedRepr<f64>, ndarray::Dim<[usize; 2]>>",
        "",
    ));
    for name in ["shape", "nrows", "dot", "mapv", "len", "iter", "t", "sum"] {
        assert!(contains(&methods, name), "{name} missing from {methods:?}");
    }
    let zeros = stack().path_items(&["ndarray", "Array2"], "zer");
    assert!(has(&zeros, "zeros", ItemKind::Function), "{zeros:?}");
    let alias = names(&stack().methods("ndarray::Array2<f64>", "nro"));
    assert_eq!(
        alias,
        ["nrows"],
        "through the aliases Array2 → Array → ArrayBase"
    );
    let mut dedup = methods.clone();
    dedup.dedup();
    assert_eq!(methods, dedup, "duplicates");
}

#[test]
fn stack_kmeans_doc() {
    let (kind, doc) = stack()
        .doc(&["linfa_clustering", "KMeans"])
        .expect("KMeans has a doc");
    assert_eq!(kind, ItemKind::Struct);
    assert!(!doc.is_empty());
    eprintln!("KMeans doc: {doc}");
    let (kind, _) = stack()
        .doc(&["linfa_clustering", "KMeans", "params"])
        .expect("KMeans::params has a doc");
    assert_eq!(kind, ItemKind::Function);
    assert_eq!(stack().doc(&["linfa_clustering", "NoSuchThing"]), None);
}

#[test]
fn stack_cross_crate_reexports() {
    // linfa_clustering re-exports nothing of linfa_nn, but ndarray's prelude is a glob user.
    let prelude = stack().path_items(&["ndarray", "prelude"], "");
    for name in ["Array2", "ArrayBase", "Axis", "s"] {
        assert!(
            contains(&names(&prelude), name),
            "{name} missing from {:?}",
            names(&prelude)
        );
    }
    let distance = stack().path_items(&["linfa_nn", "distance"], "L");
    assert!(has(&distance, "L2Dist", ItemKind::Struct), "{distance:?}");
}

#[test]
fn stack_logistic_regression_params_through_their_aliases() {
    let index = stack();
    let public = |ty: &str| index.publicly_named(ty);
    assert_eq!(
        public(
            "std::vec::Vec<linfa_logistic::hyperparams::LogisticRegressionParams<f64, \
             ndarray::Dim<[usize; 1]>>>"
        )
        .as_deref(),
        Some("std::vec::Vec<linfa_logistic::LogisticRegression<f64>>")
    );
    assert_eq!(
        public(
            "linfa_logistic::hyperparams::LogisticRegressionParams<f32, ndarray::Dim<[usize; 2]>>"
        )
        .as_deref(),
        Some("linfa_logistic::MultiLogisticRegression<f32>")
    );
    assert_eq!(
        public(
            "linfa_logistic::hyperparams::LogisticRegressionValidParams<f64, \
             ndarray::Dim<[usize; 1]>>"
        )
        .as_deref(),
        Some("linfa_logistic::ValidLogisticRegression<f64>")
    );
    assert_eq!(
        public(
            "linfa_logistic::hyperparams::LogisticRegressionParams<f64, ndarray::Dim<[usize; 3]>>"
        ),
        None
    );
    assert_eq!(public(KMEANS), None);
}
