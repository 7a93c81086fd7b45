//! Which public alias names a type, and with which arguments.
//!
//! An alias's target is matched against the type, each of the alias's parameters bound to the
//! part of the type it stands for. Both sides are first normalized: every alias inside them is
//! replaced by what it names, so that a target written with aliases matches the expanded type
//! rustc writes. linfa-logistic's `LogisticRegression<F> = LogisticRegressionParams<F, Ix1>`
//! matches `LogisticRegressionParams<f64, Dim<[usize; 1]>>` with `F = f64`, once ndarray's
//! `Ix1` is expanded to `Dim<[Ix; 1]>` and `Ix` to `usize`.

use std::collections::HashMap;

use crate::aliases::AliasRecord;
use crate::type_tree::{PathTy, Ty, TyKind};

/// How many aliases inside one another normalization expands (a bound, not a real limit: the
/// stack's deepest chain is a handful).
const MAX_EXPANSIONS: usize = 16;

/// The stack's aliases, ready for matching.
#[derive(Debug)]
pub(crate) struct AliasTable<'a> {
    /// Each alias by (name, declaring crate); `None` when the crate declares two aliases of that
    /// name in different modules, since which one a path means cannot then be told.
    by_item: HashMap<(&'a str, u32), Option<&'a AliasRecord>>,
    /// The aliases a cell can write (public, without lifetime parameters) with their normalized
    /// targets, shortest path first.
    writable: Vec<(&'a AliasRecord, Ty)>,
}

impl<'a> AliasTable<'a> {
    pub fn new(records: &'a [AliasRecord]) -> AliasTable<'a> {
        let mut by_item: HashMap<(&str, u32), Option<&AliasRecord>> = HashMap::new();
        for record in records {
            by_item
                .entry((record.name.as_str(), record.krate))
                .and_modify(|found| *found = None)
                .or_insert(Some(record));
        }
        let mut table = AliasTable {
            by_item,
            writable: Vec::new(),
        };
        let mut writable: Vec<(&AliasRecord, Ty)> = records
            .iter()
            .filter(|record| record.path.is_some() && !record.lifetimes)
            .map(|record| (record, table.normalize(&record.target)))
            .collect();
        writable.sort_by(|(a, _), (b, _)| {
            let key = |r: &AliasRecord| (r.path.as_ref().map_or(0, Vec::len), r.params.len());
            key(a).cmp(&key(b)).then_with(|| a.path.cmp(&b.path))
        });
        table.writable = writable;
        table
    }

    /// `ty` with every alias inside it replaced by what it names, recursively. An expanded node
    /// keeps the span of the alias it replaces: that text names the same type.
    pub fn normalize(&self, ty: &Ty) -> Ty {
        self.expand(ty, 0)
    }

    fn expand(&self, ty: &Ty, depth: usize) -> Ty {
        let kind = match &ty.kind {
            TyKind::Path(path) => {
                let args: Vec<Ty> = path.args.iter().map(|a| self.expand(a, depth)).collect();
                if depth < MAX_EXPANSIONS
                    && let Some(alias) = self.alias(path)
                    && alias.params.len() == args.len()
                {
                    let named = substitute(&alias.target, &alias.params, &args);
                    let mut expanded = self.expand(&named, depth + 1);
                    expanded.span.clone_from(&ty.span);
                    return expanded;
                }
                TyKind::Path(PathTy {
                    args,
                    ..path.clone()
                })
            }
            TyKind::Array(element, length) => TyKind::Array(
                Box::new(self.expand(element, depth)),
                Box::new(self.expand(length, depth)),
            ),
            TyKind::Slice(inner) => TyKind::Slice(Box::new(self.expand(inner, depth))),
            TyKind::Ref { mutable, inner } => TyKind::Ref {
                mutable: *mutable,
                inner: Box::new(self.expand(inner, depth)),
            },
            TyKind::Tuple(fields) => {
                TyKind::Tuple(fields.iter().map(|f| self.expand(f, depth)).collect())
            }
            TyKind::Param(_) | TyKind::Other(_) => ty.kind.clone(),
        };
        Ty {
            kind,
            span: ty.span.clone(),
        }
    }

    /// The alias `path` names, if it names exactly one.
    fn alias(&self, path: &PathTy) -> Option<&'a AliasRecord> {
        let krate = path.krate?;
        self.by_item.get(&(path.name.as_str(), krate)).copied()?
    }

    /// The public aliases that name `ty` (normalized), shortest path first, each with its
    /// arguments in parameter order (parts of `ty`).
    pub fn names_for(&self, ty: &Ty) -> Vec<(&'a AliasRecord, Vec<Ty>)> {
        let TyKind::Path(head) = &ty.kind else {
            return Vec::new();
        };
        self.writable
            .iter()
            .filter(|(_, target)| {
                matches!(&target.kind, TyKind::Path(t) if t.name == head.name && t.krate == head.krate)
            })
            .filter_map(|(alias, target)| Some((*alias, instantiate(alias, target, ty)?)))
            .collect()
    }
}

/// The arguments that make `alias` (whose normalized target is `target`) name `ty`, in parameter
/// order; `None` when it cannot, or when a parameter does not appear in the target.
fn instantiate(alias: &AliasRecord, target: &Ty, ty: &Ty) -> Option<Vec<Ty>> {
    let mut bound = HashMap::new();
    if !unify(target, ty, &mut bound) {
        return None;
    }
    alias.params.iter().map(|p| bound.remove(p)).collect()
}

/// Whether `pattern` (with parameters) matches `ty`, binding each parameter in `bound`; a
/// parameter met twice must stand for equal types.
fn unify(pattern: &Ty, ty: &Ty, bound: &mut HashMap<String, Ty>) -> bool {
    match (&pattern.kind, &ty.kind) {
        (TyKind::Param(name), _) => match bound.get(name) {
            Some(earlier) => earlier == ty,
            None => {
                bound.insert(name.clone(), ty.clone());
                true
            }
        },
        (TyKind::Path(p), TyKind::Path(t)) => {
            p.name == t.name
                && p.krate == t.krate
                && p.args.len() == t.args.len()
                && p.args.iter().zip(&t.args).all(|(p, t)| unify(p, t, bound))
        }
        (TyKind::Array(pe, pl), TyKind::Array(te, tl)) => {
            unify(pe, te, bound) && unify(pl, tl, bound)
        }
        (TyKind::Slice(p), TyKind::Slice(t)) => unify(p, t, bound),
        (
            TyKind::Ref {
                mutable: pm,
                inner: p,
            },
            TyKind::Ref {
                mutable: tm,
                inner: t,
            },
        ) => pm == tm && unify(p, t, bound),
        (TyKind::Tuple(p), TyKind::Tuple(t)) => {
            p.len() == t.len() && p.iter().zip(t).all(|(p, t)| unify(p, t, bound))
        }
        (TyKind::Other(p), TyKind::Other(t)) => p == t,
        _ => false,
    }
}

/// `target` with each of `params` replaced by the argument in the same place.
fn substitute(target: &Ty, params: &[String], args: &[Ty]) -> Ty {
    let kind = match &target.kind {
        TyKind::Param(name) => {
            if let Some(at) = params.iter().position(|p| p == name) {
                return args[at].clone();
            }
            target.kind.clone()
        }
        TyKind::Path(path) => TyKind::Path(PathTy {
            args: path
                .args
                .iter()
                .map(|a| substitute(a, params, args))
                .collect(),
            ..path.clone()
        }),
        TyKind::Array(element, length) => TyKind::Array(
            Box::new(substitute(element, params, args)),
            Box::new(substitute(length, params, args)),
        ),
        TyKind::Slice(inner) => TyKind::Slice(Box::new(substitute(inner, params, args))),
        TyKind::Ref { mutable, inner } => TyKind::Ref {
            mutable: *mutable,
            inner: Box::new(substitute(inner, params, args)),
        },
        TyKind::Tuple(fields) => {
            TyKind::Tuple(fields.iter().map(|f| substitute(f, params, args)).collect())
        }
        TyKind::Other(_) => target.kind.clone(),
    };
    Ty {
        kind,
        span: target.span.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::type_tree::{self, PathMeaning};

    /// Crate 0 is `dims` (ndarray's role), crate 1 is `logit` (linfa-logistic's).
    const CRATES: [&str; 2] = ["dims", "logit"];

    /// Reads `text` with `params` as parameters; a path starting with a crate name is in that
    /// crate, private when it has three segments or more.
    fn read(text: &str, params: &[&str]) -> Ty {
        let mut resolve = |segments: &[String]| {
            if let [single] = segments
                && params.contains(&single.as_str())
            {
                return PathMeaning::Param;
            }
            let name = segments.last().cloned().unwrap_or_default();
            let krate = CRATES
                .iter()
                .position(|c| segments.len() > 1 && segments[0] == *c);
            PathMeaning::Item {
                name,
                krate: krate.map(|k| k as u32),
                private: krate.is_some() && segments.len() > 2,
            }
        };
        type_tree::parse(text, &mut resolve).unwrap_or_else(|| panic!("`{text}` did not parse"))
    }

    /// An alias `path` (`crate::Name`, public unless `private`) with `params` and `target`
    /// (paths in the target written with their crate's name).
    fn alias(path: &str, params: &[&str], target: &str, public: bool) -> AliasRecord {
        let segments: Vec<String> = path.split("::").map(str::to_owned).collect();
        AliasRecord {
            name: segments.last().cloned().unwrap_or_default(),
            krate: CRATES.iter().position(|c| *c == segments[0]).unwrap_or(0) as u32,
            params: params.iter().map(|p| p.to_string()).collect(),
            lifetimes: false,
            path: public.then_some(segments),
            target: read(target, params),
        }
    }

    /// The aliases of the two crates, as ndarray and linfa-logistic write them.
    fn records() -> Vec<AliasRecord> {
        vec![
            alias("dims::Ix", &[], "usize", true),
            alias("dims::Ix1", &[], "dims::Dim<[dims::Ix; 1]>", true),
            alias("dims::Ix2", &[], "dims::Dim<[dims::Ix; 2]>", true),
            alias(
                "dims::Array",
                &["A", "D"],
                "dims::ArrayBase<dims::OwnedRepr<A>, D>",
                true,
            ),
            alias("dims::Array1", &["A"], "dims::Array<A, dims::Ix1>", true),
            alias(
                "logit::Regression",
                &["F"],
                "logit::Params<F, dims::Ix1>",
                true,
            ),
            alias(
                "logit::MultiRegression",
                &["F"],
                "logit::Params<F, dims::Ix2>",
                true,
            ),
            alias("logit::Pair", &["T"], "logit::Both<T, T>", true),
            alias(
                "logit::Hidden",
                &["F"],
                "logit::Params<F, dims::Ix1>",
                false,
            ),
        ]
    }

    /// The public names of `text` read as rustc writes it: (alias path, arguments' text).
    fn names(records: &[AliasRecord], text: &str) -> Vec<(String, Vec<String>)> {
        let table = AliasTable::new(records);
        let ty = table.normalize(&read(text, &[]));
        table
            .names_for(&ty)
            .into_iter()
            .map(|(alias, args)| {
                let path = alias.path.clone().unwrap_or_default().join("::");
                let args = args
                    .iter()
                    .map(|arg| {
                        let span = arg.span.clone().expect("an argument read from the text");
                        text[span].to_owned()
                    })
                    .collect();
                (path, args)
            })
            .collect()
    }

    fn named(path: &str, args: &[&str]) -> (String, Vec<String>) {
        (
            path.to_owned(),
            args.iter().map(|a| a.to_string()).collect(),
        )
    }

    #[test]
    fn the_alias_target_matches_once_its_aliases_are_expanded() {
        let records = records();
        assert_eq!(
            names(&records, "logit::inner::Params<f64, dims::Dim<[usize; 1]>>"),
            [named("logit::Regression", &["f64"])]
        );
        assert_eq!(
            names(&records, "logit::inner::Params<f32, dims::Dim<[usize; 2]>>"),
            [named("logit::MultiRegression", &["f32"])]
        );
    }

    #[test]
    fn an_alias_whose_fixed_arguments_differ_does_not_match() {
        let records = records();
        assert_eq!(
            names(&records, "logit::inner::Params<f64, dims::Dim<[usize; 3]>>"),
            []
        );
        assert_eq!(
            names(&records, "logit::inner::Params<f64, dims::Dim<[u32; 1]>>"),
            []
        );
        // Another type of the same name in another crate.
        assert_eq!(
            names(&records, "dims::inner::Params<f64, dims::Dim<[usize; 1]>>"),
            []
        );
    }

    #[test]
    fn aliases_in_the_type_itself_are_expanded_too() {
        assert_eq!(
            names(&records(), "logit::inner::Params<f64, dims::Ix1>"),
            [named("logit::Regression", &["f64"])]
        );
    }

    #[test]
    fn nested_generic_arguments_are_bound_whole() {
        let records = records();
        let text = "logit::inner::Params<std::vec::Vec<(dims::ArrayBase<dims::OwnedRepr<f64>, \
                    dims::Dim<[usize; 1]>>, &'static str)>, dims::Dim<[usize; 1]>>";
        assert_eq!(
            names(&records, text),
            [named(
                "logit::Regression",
                &[
                    "std::vec::Vec<(dims::ArrayBase<dims::OwnedRepr<f64>, dims::Dim<[usize; 1]>>, \
                   &'static str)>"
                ]
            )]
        );
        // The alias chain Array1 → Array → ArrayBase, with the element bound inside it.
        assert_eq!(
            names(
                &records,
                "dims::ArrayBase<dims::OwnedRepr<f64>, dims::Dim<[usize; 1]>>"
            ),
            [
                named("dims::Array1", &["f64"]),
                named("dims::Array", &["f64", "dims::Dim<[usize; 1]>"])
            ]
        );
    }

    #[test]
    fn a_parameter_used_twice_must_stand_for_one_type() {
        let records = records();
        assert_eq!(
            names(&records, "logit::inner::Both<u8, u8>"),
            [named("logit::Pair", &["u8"])]
        );
        assert_eq!(names(&records, "logit::inner::Both<u8, u16>"), []);
    }

    #[test]
    fn an_ambiguous_alias_name_is_not_expanded() {
        let mut records = records();
        records.push(alias("dims::Ix1", &[], "dims::Dim<[u64; 1]>", false));
        let table = AliasTable::new(&records);
        let ty = table.normalize(&read("dims::Ix1", &[]));
        assert_eq!(ty, read("dims::Ix1", &[]));
    }
}
