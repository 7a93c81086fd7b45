//! A type rustc reported, written with public paths: each path through a private module of a
//! stack crate is replaced by a public alias naming the same type (see `alias_match`), wherever
//! it sits. `Vec<linfa_logistic::hyperparams::LogisticRegressionParams<f64,
//! ndarray::Dim<[usize; 1]>>>` becomes `Vec<linfa_logistic::LogisticRegression<f64>>`. The rest
//! of the text stays as rustc wrote it, and a private path no alias fits is left as it is.

use crate::alias_match::AliasTable;
use crate::type_tree::{self, PathMeaning, Ty, TyKind};
use crate::{Node, StackIndex, to_u32};

/// How deep rewriting goes into types inside types (well beyond anything rustc writes).
const MAX_DEPTH: usize = 64;

/// The primitive types, which a type built by expanding an alias may be written with.
const PRIMITIVES: &[&str] = &[
    "bool", "char", "str", "f32", "f64", "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16",
    "u32", "u64", "u128", "usize",
];

impl StackIndex {
    /// `ty`, a type as rustc writes it (full paths), with every path that is not public, but whose
    /// type a public alias of the stack names, written through that alias. `None` when nothing
    /// was rewritten: no private path, or no alias fits.
    pub fn publicly_named(&self, ty: &str) -> Option<String> {
        let tree = type_tree::parse(ty, &mut |segments| self.meaning(segments))?;
        if !tree.has_private_path() {
            return None;
        }
        let rewriter = Rewriter {
            text: ty,
            table: AliasTable::new(&self.aliases),
        };
        let written = rewriter.write(&tree, 0);
        (written != ty).then_some(written)
    }

    /// What a path rustc wrote names: a type of the index (private when the index cannot follow
    /// the path, as for a private module), or a type outside it by its last segment.
    fn meaning(&self, segments: &[String]) -> PathMeaning {
        let name = segments.last().cloned().unwrap_or_default();
        let outside = PathMeaning::Item {
            name: name.clone(),
            krate: None,
            private: false,
        };
        // One segment: a primitive, or a name from std's prelude.
        let [first, _, ..] = segments else {
            return outside;
        };
        let Some(krate) = self.crates.iter().position(|c| c.name == *first) else {
            return outside;
        };
        let path: Vec<&str> = segments.iter().map(String::as_str).collect();
        match self.node(&path) {
            Some(Node::Type(_, defined_in)) => PathMeaning::Item {
                name,
                krate: defined_in,
                private: false,
            },
            Some(Node::Module(_)) => outside,
            None => PathMeaning::Item {
                name,
                krate: Some(to_u32(krate)),
                private: true,
            },
        }
    }
}

/// Rewrites the nodes read from `text`.
struct Rewriter<'a> {
    text: &'a str,
    table: AliasTable<'a>,
}

impl Rewriter<'_> {
    /// The text of `node` (read from `self.text`), its private paths written through aliases
    /// where one fits.
    fn write(&self, node: &Ty, depth: usize) -> String {
        let Some(span) = node.span.clone() else {
            return String::new();
        };
        if depth < MAX_DEPTH
            && matches!(&node.kind, TyKind::Path(path) if path.private)
            && let Some(public) = self.through_alias(node, depth)
        {
            return public;
        }
        let mut written = String::new();
        let mut at = span.start;
        for child in node.children() {
            let Some(inner) = child.span.clone() else {
                continue;
            };
            written.push_str(&self.text[at..inner.start]);
            written.push_str(&self.write(child, depth + 1));
            at = inner.end;
        }
        written.push_str(&self.text[at..span.end]);
        written
    }

    /// `node` (a private path) written as the first public alias that names its type and whose
    /// arguments can be written.
    fn through_alias(&self, node: &Ty, depth: usize) -> Option<String> {
        let normalized = self.table.normalize(node);
        self.table
            .names_for(&normalized)
            .into_iter()
            .find_map(|(alias, args)| {
                let path = alias.path.as_ref()?.join("::");
                if args.is_empty() {
                    return Some(path);
                }
                let args: Vec<String> = args
                    .iter()
                    .map(|arg| self.write_argument(node, arg, depth))
                    .collect::<Option<_>>()?;
                Some(format!("{path}<{}>", args.join(", ")))
            })
    }

    /// An alias's argument, a part of `node`: the text it was read from, rewritten in turn, or,
    /// for a part that came from expanding an alias rustc wrote, its structure.
    fn write_argument(&self, node: &Ty, arg: &Ty, depth: usize) -> Option<String> {
        match arg.span.as_ref().and_then(|span| node.at_span(span)) {
            // The whole type again: no progress.
            Some(original) if original.span == node.span => None,
            Some(original) => Some(self.write(original, depth + 1)),
            None => structural(arg),
        }
    }
}

/// A type that came from expanding an alias, written from its structure: primitives, and
/// references, tuples, slices and arrays of them; `None` for anything else.
fn structural(ty: &Ty) -> Option<String> {
    Some(match &ty.kind {
        TyKind::Path(path)
            if path.krate.is_none()
                && path.args.is_empty()
                && PRIMITIVES.contains(&path.name.as_str()) =>
        {
            path.name.clone()
        }
        TyKind::Ref { mutable, inner } => {
            format!(
                "&{}{}",
                if *mutable { "mut " } else { "" },
                structural(inner)?
            )
        }
        TyKind::Slice(inner) => format!("[{}]", structural(inner)?),
        TyKind::Array(element, length) => match &length.kind {
            TyKind::Other(length) => format!("[{}; {length}]", structural(element)?),
            _ => return None,
        },
        TyKind::Tuple(fields) => {
            let fields: Vec<String> = fields.iter().map(structural).collect::<Option<_>>()?;
            match fields.as_slice() {
                [one] => format!("({one},)"),
                _ => format!("({})", fields.join(", ")),
            }
        }
        TyKind::Path(_) | TyKind::Param(_) | TyKind::Other(_) => return None,
    })
}
