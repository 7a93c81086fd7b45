//! What one syntax node holds, in the index's terms: the names a `use` tree brings in, an
//! enum's variants, an impl's or trait's members, and the bounds on an impl's type parameters.

use ra_ap_syntax::AstNode;
use ra_ap_syntax::ast::{self, HasGenericParams, HasName, HasTypeBounds};

use crate::modules::{Import, RawUse};
use crate::{ItemKind, Member, syntax};

/// Flattens `a::{b, c::D as E, f::*}` into one [`RawUse`] per name.
pub(crate) fn flatten_use_tree(
    tree: &ast::UseTree,
    prefix: &[String],
    is_pub: bool,
    out: &mut Vec<RawUse>,
) {
    let mut path = prefix.to_vec();
    if let Some(p) = tree.path() {
        match syntax::path_segments(&p) {
            Some(segments) => path.extend(segments),
            None => return,
        }
    }
    if let Some(list) = tree.use_tree_list() {
        for child in list.use_trees() {
            flatten_use_tree(&child, &path, is_pub, out);
        }
        return;
    }
    if tree.star_token().is_some() {
        out.push(RawUse {
            path,
            import: Import::Glob,
            is_pub,
        });
        return;
    }
    // `a::{self}` imports `a`.
    if path.last().is_some_and(|last| last == "self") && path.len() > 1 {
        path.pop();
    }
    let name = match tree.rename() {
        Some(rename) => match rename.name() {
            Some(name) => name.text().to_string(),
            None => return, // `as _`
        },
        None => match path.last() {
            Some(last) => last.clone(),
            None => return,
        },
    };
    out.push(RawUse {
        path,
        import: Import::Named(name),
        is_pub,
    });
}

pub(crate) fn enum_variants(it: &ast::Enum) -> Vec<Member> {
    let Some(list) = it.variant_list() else {
        return Vec::new();
    };
    list.variants()
        .filter(|v| !syntax::is_test_only(&syntax::attrs(v)))
        .filter_map(|v| {
            Some(Member {
                name: v.name()?.text().to_string(),
                kind: ItemKind::Variant,
                has_self: false,
                doc: syntax::first_doc_paragraph(v.syntax()),
            })
        })
        .collect()
}

/// The items of a trait or impl block. `only_pub` keeps plain-`pub` ones (inherent impls).
pub(crate) fn assoc_members(list: &ast::AssocItemList, only_pub: bool) -> Vec<Member> {
    let mut members = Vec::new();
    for item in list.assoc_items() {
        let attrs = syntax::attrs(&item);
        if syntax::is_test_only(&attrs) || syntax::is_doc_hidden(&attrs) {
            continue;
        }
        let (name, kind, has_self, is_pub) = match &item {
            ast::AssocItem::Fn(f) => {
                let has_self = f.param_list().and_then(|p| p.self_param()).is_some();
                let kind = if has_self {
                    ItemKind::Method
                } else {
                    ItemKind::Function
                };
                (f.name(), kind, has_self, syntax::is_plain_pub(f))
            }
            ast::AssocItem::Const(c) => (c.name(), ItemKind::Const, false, syntax::is_plain_pub(c)),
            ast::AssocItem::TypeAlias(t) => (
                t.name(),
                ItemKind::TypeAlias,
                false,
                syntax::is_plain_pub(t),
            ),
            ast::AssocItem::MacroCall(_) => continue,
        };
        if only_pub && !is_pub {
            continue;
        }
        let Some(name) = name else { continue };
        members.push(Member {
            name: name.text().to_string(),
            kind,
            has_self,
            doc: syntax::first_doc_paragraph(item.syntax()),
        });
    }
    members
}

/// The impl's type parameters with the trait paths of their inline bounds.
pub(crate) fn type_params(it: &ast::Impl) -> Vec<(String, Vec<Vec<String>>)> {
    let Some(list) = it.generic_param_list() else {
        return Vec::new();
    };
    list.generic_params()
        .filter_map(|param| match param {
            ast::GenericParam::TypeParam(tp) => {
                let name = tp.name()?.text().to_string();
                Some((name, bound_paths(tp.type_bound_list())))
            }
            _ => None,
        })
        .collect()
}

/// The trait paths bounding `param` in the impl's `where` clause.
pub(crate) fn where_bounds(it: &ast::Impl, param: &str) -> Vec<Vec<String>> {
    let Some(clause) = it.where_clause() else {
        return Vec::new();
    };
    clause
        .predicates()
        .filter(|pred| {
            pred.ty()
                .and_then(|ty| syntax::type_path(&ty))
                .and_then(|p| syntax::path_segments(&p))
                .is_some_and(|segments| segments == [param])
        })
        .flat_map(|pred| bound_paths(pred.type_bound_list()))
        .collect()
}

/// The trait paths of `A + b::C<X> + 'a + ?Sized` (lifetimes and `?Sized` dropped).
fn bound_paths(list: Option<ast::TypeBoundList>) -> Vec<Vec<String>> {
    let Some(list) = list else {
        return Vec::new();
    };
    list.bounds()
        .filter(|bound| bound.question_mark_token().is_none())
        .filter_map(|bound| {
            let ty = bound.ty()?;
            syntax::path_segments(&syntax::type_path(&ty)?)
        })
        .collect()
}
