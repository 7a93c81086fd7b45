//! Probed types written with public paths.
//!
//! rustc writes a type that no public path reaches by the path where it is declared: linfa-logistic
//! declares `LogisticRegressionParams` in its private module `hyperparams` and names it publicly
//! only through the aliases `LogisticRegression<F>` and `MultiLogisticRegression<F>`, so the probe
//! of `let models: Vec<_> = ... LogisticRegression::default().alpha(..) ...collect();` reports
//! `Vec<linfa_logistic::hyperparams::LogisticRegressionParams<f64, ndarray::Dim<[usize; 1]>>>`.
//! Written into the cell, that annotation fails: evcxr says the type rustc suggested is private.
//! The stack's index knows the public aliases and what they name, so each such path is written
//! through the alias that names its type ([`StackIndex::publicly_named`](
//! repronote_stack_index::StackIndex::publicly_named)): `Vec<linfa_logistic::LogisticRegression<f64>>`.
//!
//! The kernel does this where a probed type becomes an annotation, and again where evcxr refuses
//! a private type (one the kernel did not write, such as a private path the cell itself names).
//! A type no alias fits is left as it is, and evcxr's error stands.

use super::super::stack_index::SessionIndex;

/// How evcxr refuses a variable whose type names a private path (its message, around the
/// variable's name and the type).
const REFUSAL_START: &str = "Failed to determine type of variable `";
const REFUSAL_TYPE: &str = "rustc suggested type ";
const REFUSAL_END: &str = ", but that's private";

/// `ty` with its private paths written through public aliases, when the stack's index knows one
/// (see the module's doc); `ty` itself otherwise.
pub(super) fn publicly_named(
    index: &mut SessionIndex,
    stack_crates: &[String],
    ty: String,
) -> String {
    if !may_be_private(&ty, stack_crates) {
        return ty;
    }
    match index.get().and_then(|index| index.publicly_named(&ty)) {
        Some(public) => {
            tracing::info!("wrote `{ty}` as `{public}`: its path is private");
            public
        }
        None => ty,
    }
}

/// Whether `ty` has a path that may run through a private module of a stack crate: one of three
/// segments or more (crate, module, item) starting with a stack crate's name. Others never need
/// the index, which is then not read.
fn may_be_private(ty: &str, stack_crates: &[String]) -> bool {
    ty.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .map(|path| path.split("::").collect::<Vec<_>>())
        .any(|segments| segments.len() >= 3 && stack_crates.iter().any(|name| name == segments[0]))
}

/// The variable and type in evcxr's refusal of a private type, if `message` is one.
pub(super) fn refused_private_type(message: &str) -> Option<(&str, &str)> {
    let rest = &message[message.find(REFUSAL_START)? + REFUSAL_START.len()..];
    let name = &rest[..rest.find('`')?];
    let rest = &rest[rest.find(REFUSAL_TYPE)? + REFUSAL_TYPE.len()..];
    let ty = &rest[..rest.find(REFUSAL_END)?];
    Some((name, ty))
}

/// `code` with the annotation `name: ty` written `name: public`, if the code has it.
pub(super) fn reannotated(code: &str, name: &str, ty: &str, public: &str) -> Option<String> {
    let annotation = format!("{name}: {ty}");
    code.contains(&annotation)
        .then(|| code.replacen(&annotation, &format!("{name}: {public}"), 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRIVATE: &str = "std::vec::Vec<linfa_logistic::hyperparams::LogisticRegressionParams<\
                           f64, ndarray::Dim<[usize; 1]>>>";

    fn crates() -> Vec<String> {
        ["linfa", "linfa_logistic", "ndarray", "linfa_nn"]
            .iter()
            .map(|c| c.to_string())
            .collect()
    }

    #[test]
    fn only_a_long_path_into_a_stack_crate_may_be_private() {
        let crates = crates();
        assert!(may_be_private(PRIVATE, &crates));
        assert!(may_be_private(
            "linfa_clustering::KMeans<f64, linfa_nn::distance::L2Dist>",
            &crates
        ));
        assert!(!may_be_private(
            "ndarray::ArrayBase<ndarray::OwnedRepr<f64>, ndarray::Dim<[usize; 2]>>",
            &crates
        ));
        assert!(!may_be_private("std::vec::Vec<f64>", &crates));
        assert!(!may_be_private(PRIVATE, &[]));
    }

    #[test]
    fn a_type_that_cannot_be_private_does_not_read_the_index() {
        // No index at all: the type comes back as it was.
        let mut index = SessionIndex::new(None);
        let ty = "std::vec::Vec<f64>".to_owned();
        assert_eq!(publicly_named(&mut index, &crates(), ty.clone()), ty);
        assert_eq!(
            publicly_named(&mut index, &crates(), PRIVATE.to_owned()),
            PRIVATE
        );
    }

    #[test]
    fn evcxr_refusal_names_the_variable_and_the_type() {
        let message = format!(
            "Failed to determine type of variable `models`. rustc suggested type {PRIVATE}, but \
             that's private. Sometimes adding an extern crate will help rustc suggest the correct \
             public type name, or you can give an explicit type."
        );
        assert_eq!(refused_private_type(&message), Some(("models", PRIVATE)));
        assert_eq!(
            refused_private_type("Couldn't automatically determine type"),
            None
        );
    }

    #[test]
    fn the_annotation_is_replaced_once() {
        let code = format!("let models: {PRIVATE} = make();\nlet other: {PRIVATE} = make();");
        let public = "std::vec::Vec<linfa_logistic::LogisticRegression<f64>>";
        assert_eq!(
            reannotated(&code, "models", PRIVATE, public),
            Some(format!(
                "let models: {public} = make();\nlet other: {PRIVATE} = make();"
            ))
        );
        assert_eq!(reannotated(&code, "absent", PRIVATE, public), None);
    }
}
