//! Types as trees that can be compared: a type alias's target, read from the stack's sources and
//! stored in the index, and a type rustc wrote, read at run time.
//!
//! rustc and a crate's source spell one type differently (`ndarray::Dim` or, inside ndarray,
//! `Dim` imported from `crate::dimension`), so each path is reduced to the item it names: its
//! name and defining crate, as the caller resolves it. Lifetimes are left out: a kept variable's
//! references are `'static` or elided. What the tree does not model (`dyn Trait`, `fn(..)`, a
//! qualified path) is kept as compact text and compared as such.

use std::ops::Range;

use ra_ap_syntax::{AstNode, Edition, SourceFile, ast};
use serde::{Deserialize, Serialize};

use crate::syntax;

/// A type, as stored in the index or read from rustc's text.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Ty {
    #[serde(rename = "k")]
    pub kind: TyKind,
    /// Where it is written in the text it was read from; `None` for a stored type and for what a
    /// substitution built from one.
    #[serde(skip)]
    pub span: Option<Range<usize>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum TyKind {
    #[serde(rename = "p")]
    Path(PathTy),
    /// A generic parameter of the alias whose target this is.
    #[serde(rename = "g")]
    Param(String),
    /// `[T; N]`: the element type and the length (a `Param`, or `Other` with its text).
    #[serde(rename = "a")]
    Array(Box<Ty>, Box<Ty>),
    #[serde(rename = "s")]
    Slice(Box<Ty>),
    #[serde(rename = "t")]
    Tuple(Vec<Ty>),
    /// `&T` (`mutable: false`) or `&mut T`, whatever the lifetime.
    #[serde(rename = "r")]
    Ref { mutable: bool, inner: Box<Ty> },
    /// Anything else, as its text without whitespace.
    #[serde(rename = "o")]
    Other(String),
}

/// A path type reduced to the item it names and its generic arguments.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PathTy {
    /// The item's name (the path's last segment).
    #[serde(rename = "n")]
    pub name: String,
    /// The crate defining it, an index into the index's crates; `None` outside the index (std,
    /// a primitive, a crate the stack does not name).
    #[serde(rename = "c", default, skip_serializing_if = "Option::is_none")]
    pub krate: Option<u32>,
    #[serde(rename = "a", default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<Ty>,
    /// Read from rustc's text: the path as written is not public (it runs through a private
    /// module), so a cell cannot write it.
    #[serde(skip)]
    pub private: bool,
}

/// Two types are equal when they name the same things, wherever they were written.
impl PartialEq for Ty {
    fn eq(&self, other: &Ty) -> bool {
        self.kind == other.kind
    }
}

impl Eq for Ty {}

impl PartialEq for PathTy {
    fn eq(&self, other: &PathTy) -> bool {
        self.name == other.name && self.krate == other.krate && self.args == other.args
    }
}

impl Eq for PathTy {}

/// What a path written inside a type names, as the caller resolves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PathMeaning {
    /// A generic parameter of the alias being read.
    Param,
    /// An item: its name, defining crate and whether the path as written is private.
    Item {
        name: String,
        krate: Option<u32>,
        private: bool,
    },
}

impl Ty {
    #[cfg(test)]
    pub fn new(kind: TyKind) -> Ty {
        Ty { kind, span: None }
    }

    /// The types directly inside this one, in the order they are written.
    pub fn children(&self) -> Vec<&Ty> {
        match &self.kind {
            TyKind::Path(path) => path.args.iter().collect(),
            TyKind::Array(element, length) => vec![element, length],
            TyKind::Slice(inner) | TyKind::Ref { inner, .. } => vec![inner],
            TyKind::Tuple(fields) => fields.iter().collect(),
            TyKind::Param(_) | TyKind::Other(_) => Vec::new(),
        }
    }

    /// The node read from the text at `span`: this one or one inside it.
    pub fn at_span(&self, span: &Range<usize>) -> Option<&Ty> {
        if self.span.as_ref() == Some(span) {
            return Some(self);
        }
        self.children()
            .into_iter()
            .find_map(|child| child.at_span(span))
    }

    /// Whether a private path is written anywhere in it.
    pub fn has_private_path(&self) -> bool {
        matches!(&self.kind, TyKind::Path(path) if path.private)
            || self.children().into_iter().any(Ty::has_private_path)
    }
}

/// Prefix that makes a type parse as the target of a type alias.
const WRAPPER: &str = "type T = ";

/// Reads `text` as a type, resolving each path with `resolve` (given the path's segments, without
/// generic arguments). `None` when it is not valid type syntax (`[closure@...]`, `{integer}`).
pub(crate) fn parse(text: &str, resolve: &mut dyn FnMut(&[String]) -> PathMeaning) -> Option<Ty> {
    let wrapped = format!("{WRAPPER}{text};");
    let parsed = SourceFile::parse(&wrapped, Edition::Edition2021);
    if !parsed.errors().is_empty() {
        return None;
    }
    let alias = parsed
        .tree()
        .syntax()
        .descendants()
        .find_map(ast::TypeAlias::cast)?;
    let reader = Reader {
        base: WRAPPER.len(),
        text: &wrapped,
    };
    Some(reader.ty(&alias.ty()?, resolve))
}

/// Converts syntax nodes of `text`, whose first `base` bytes are the wrapper.
struct Reader<'a> {
    base: usize,
    text: &'a str,
}

impl Reader<'_> {
    fn span(&self, node: &impl AstNode) -> Range<usize> {
        let range = node.syntax().text_range();
        usize::from(range.start()) - self.base..usize::from(range.end()) - self.base
    }

    fn other(&self, node: &impl AstNode) -> Ty {
        let span = self.span(node);
        let compact = self.text[span.start + self.base..span.end + self.base]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        Ty {
            kind: TyKind::Other(compact),
            span: Some(span),
        }
    }

    fn ty(&self, node: &ast::Type, resolve: &mut dyn FnMut(&[String]) -> PathMeaning) -> Ty {
        let kind = match node {
            ast::Type::PathType(path_type) => match path_type.path() {
                Some(path) => match self.path(&path, resolve) {
                    Some(kind) => kind,
                    None => return self.other(node),
                },
                None => return self.other(node),
            },
            // `(T)` is `T`.
            ast::Type::ParenType(paren) => match paren.ty() {
                Some(inner) => return self.ty(&inner, resolve),
                None => return self.other(node),
            },
            ast::Type::RefType(reference) => match reference.ty() {
                Some(inner) => TyKind::Ref {
                    mutable: reference.mut_token().is_some(),
                    inner: Box::new(self.ty(&inner, resolve)),
                },
                None => return self.other(node),
            },
            ast::Type::SliceType(slice) => match slice.ty() {
                Some(inner) => TyKind::Slice(Box::new(self.ty(&inner, resolve))),
                None => return self.other(node),
            },
            ast::Type::ArrayType(array) => match (array.ty(), array.const_arg()) {
                (Some(element), Some(length)) => TyKind::Array(
                    Box::new(self.ty(&element, resolve)),
                    Box::new(self.length(&length, resolve)),
                ),
                _ => return self.other(node),
            },
            ast::Type::TupleType(tuple) => {
                TyKind::Tuple(tuple.fields().map(|f| self.ty(&f, resolve)).collect())
            }
            _ => return self.other(node),
        };
        Ty {
            kind,
            span: Some(self.span(node)),
        }
    }

    /// An array's length: a generic parameter, or its text.
    fn length(
        &self,
        length: &ast::ConstArg,
        resolve: &mut dyn FnMut(&[String]) -> PathMeaning,
    ) -> Ty {
        if let Some(ast::Expr::PathExpr(path)) = length.expr()
            && let Some(segments) = path.path().and_then(|p| syntax::path_segments(&p))
            && segments.len() == 1
            && resolve(&segments) == PathMeaning::Param
        {
            return Ty {
                kind: TyKind::Param(segments[0].clone()),
                span: Some(self.span(length)),
            };
        }
        self.other(length)
    }

    /// A path type, or `None` for what the tree does not model (`<T as Trait>::X`, `Fn(A) -> B`,
    /// `Iterator<Item = T>`, arguments on a segment other than the last).
    fn path(
        &self,
        path: &ast::Path,
        resolve: &mut dyn FnMut(&[String]) -> PathMeaning,
    ) -> Option<TyKind> {
        let segments = syntax::path_segments(path)?;
        let all: Vec<ast::PathSegment> = path.segments().collect();
        let (last, before) = all.split_last()?;
        let plain = |segment: &ast::PathSegment| {
            segment.parenthesized_arg_list().is_none() && segment.type_anchor().is_none()
        };
        if !plain(last)
            || before
                .iter()
                .any(|s| !plain(s) || ast::HasGenericArgs::generic_arg_list(s).is_some())
        {
            return None;
        }
        let mut args = Vec::new();
        if let Some(list) = ast::HasGenericArgs::generic_arg_list(last) {
            for arg in list.generic_args() {
                match arg {
                    ast::GenericArg::TypeArg(arg) => args.push(self.ty(&arg.ty()?, resolve)),
                    ast::GenericArg::ConstArg(arg) => args.push(self.length(&arg, resolve)),
                    ast::GenericArg::LifetimeArg(_) => {}
                    ast::GenericArg::AssocTypeArg(_) => return None,
                }
            }
        }
        Some(match resolve(&segments) {
            PathMeaning::Param if args.is_empty() => TyKind::Param(segments.last()?.clone()),
            PathMeaning::Param => return None,
            PathMeaning::Item {
                name,
                krate,
                private,
            } => TyKind::Path(PathTy {
                name,
                krate,
                args,
                private,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Resolves `T` and `N` as parameters, paths starting with `lib` into crate 0 (private when
    /// they have three segments or more), anything else outside the index.
    fn resolve(segments: &[String]) -> PathMeaning {
        let name = segments.last().cloned().unwrap_or_default();
        if segments.len() == 1 && (name == "T" || name == "N") {
            return PathMeaning::Param;
        }
        let in_lib = segments.first().is_some_and(|s| s == "lib");
        PathMeaning::Item {
            name,
            krate: in_lib.then_some(0),
            private: in_lib && segments.len() > 2,
        }
    }

    fn read(text: &str) -> Ty {
        parse(text, &mut resolve).unwrap_or_else(|| panic!("`{text}` did not parse"))
    }

    fn path(name: &str, krate: Option<u32>, args: Vec<Ty>) -> Ty {
        Ty::new(TyKind::Path(PathTy {
            name: name.to_owned(),
            krate,
            args,
            private: false,
        }))
    }

    #[test]
    fn paths_reduce_to_the_item_and_keep_their_spans() {
        let text = "std::vec::Vec<lib::inner::Params<f64, lib::Dim<[usize; 1]>>>";
        let ty = read(text);
        let usize_array = Ty::new(TyKind::Array(
            Box::new(path("usize", None, vec![])),
            Box::new(Ty::new(TyKind::Other("1".to_owned()))),
        ));
        let expected = path(
            "Vec",
            None,
            vec![path(
                "Params",
                Some(0),
                vec![
                    path("f64", None, vec![]),
                    path("Dim", Some(0), vec![usize_array]),
                ],
            )],
        );
        assert_eq!(ty, expected);
        assert!(ty.has_private_path());
        let params = &ty.children()[0];
        let span = params.span.clone().expect("a span");
        assert_eq!(&text[span], "lib::inner::Params<f64, lib::Dim<[usize; 1]>>");
        assert!(matches!(&params.kind, TyKind::Path(p) if p.private));
    }

    #[test]
    fn parameters_references_tuples_and_lifetimes() {
        let ty = read("(&'static mut [T], &'a str, [u8; N], (T))");
        let expected = Ty::new(TyKind::Tuple(vec![
            Ty::new(TyKind::Ref {
                mutable: true,
                inner: Box::new(Ty::new(TyKind::Slice(Box::new(Ty::new(TyKind::Param(
                    "T".to_owned(),
                )))))),
            }),
            Ty::new(TyKind::Ref {
                mutable: false,
                inner: Box::new(path("str", None, vec![])),
            }),
            Ty::new(TyKind::Array(
                Box::new(path("u8", None, vec![])),
                Box::new(Ty::new(TyKind::Param("N".to_owned()))),
            )),
            Ty::new(TyKind::Param("T".to_owned())),
        ]));
        assert_eq!(ty, expected);
        assert!(!ty.has_private_path());
    }

    #[test]
    fn what_the_tree_does_not_model_is_compact_text() {
        let ty = read("Box<dyn Fn(f64) -> f64 + Send>");
        let TyKind::Path(boxed) = &ty.kind else {
            panic!("{ty:?}")
        };
        assert_eq!(
            boxed.args,
            [Ty::new(TyKind::Other("dynFn(f64)->f64+Send".to_owned()))]
        );
        assert_eq!(
            read("<T as Iterator>::Item"),
            Ty::new(TyKind::Other("<TasIterator>::Item".to_owned()))
        );
    }

    #[test]
    fn text_that_is_not_a_type_is_refused() {
        assert!(parse("[closure@src/lib.rs:3:9]", &mut resolve).is_none());
        assert!(parse("Vec<", &mut resolve).is_none());
    }
}
