//! Small readers over `ra_ap_syntax` nodes: attributes, doc comments, paths, visibility.

use ra_ap_syntax::{
    AstNode, AstToken, SyntaxNode,
    ast::{self, HasAttrs, HasVisibility},
};

/// The longest first doc paragraph kept, in bytes.
const MAX_DOC_LEN: usize = 400;

/// An item's attributes as compact text, `#[cfg(test)]` → `cfg(test)`.
pub(crate) fn attrs(node: &impl HasAttrs) -> Vec<String> {
    node.attrs()
        .map(|attr| {
            let text: String = attr
                .syntax()
                .text()
                .to_string()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            let text = text.trim_start_matches('#').trim_start_matches('!');
            let text = text.strip_prefix('[').unwrap_or(text);
            text.strip_suffix(']').unwrap_or(text).to_string()
        })
        .collect()
}

/// Whether the attributes compile the item only for tests.
pub(crate) fn is_test_only(attrs: &[String]) -> bool {
    attrs
        .iter()
        .any(|a| a == "cfg(test)" || a.starts_with("cfg(all(test,"))
}

pub(crate) fn is_doc_hidden(attrs: &[String]) -> bool {
    attrs.iter().any(|a| a == "doc(hidden)")
}

/// The value of `#[path = "..."]`, if any.
pub(crate) fn path_attr(attrs: &[String]) -> Option<String> {
    attrs.iter().find_map(|a| {
        let value = a.strip_prefix("path=")?;
        Some(value.trim_matches('"').to_string())
    })
}

/// The trait names in `#[derive(A, b::C)]` (last segments).
pub(crate) fn derives(attrs: &[String]) -> Vec<String> {
    attrs
        .iter()
        .filter_map(|a| a.strip_prefix("derive(")?.strip_suffix(')'))
        .flat_map(|list| list.split(','))
        .filter_map(|name| name.rsplit("::").next())
        .filter(|name| !name.is_empty())
        .map(str::to_string)
        .collect()
}

/// Whether the item is plain `pub` (not `pub(crate)`, `pub(super)`, `pub(in ...)`).
pub(crate) fn is_plain_pub(node: &impl HasVisibility) -> bool {
    node.visibility()
        .is_some_and(|vis| vis.syntax().text() == "pub")
}

/// The first paragraph of the doc comments (`///`, `//!`, `/** */`, `#[doc = "..."]`) directly
/// under `node`, or `None` if there is none.
pub(crate) fn first_doc_paragraph(node: &SyntaxNode) -> Option<String> {
    let mut lines = Vec::new();
    for element in node.children_with_tokens() {
        match element {
            ra_ap_syntax::NodeOrToken::Token(token) => {
                if let Some(comment) = ast::Comment::cast(token)
                    && let Some((text, _)) = comment.doc_comment()
                {
                    // `"".lines()` is empty, but an empty `///` line ends a paragraph.
                    lines.extend(text.split('\n').map(str::to_string));
                }
            }
            ra_ap_syntax::NodeOrToken::Node(child) => {
                if let Some(attr) = ast::Attr::cast(child) {
                    let text = attr.syntax().text().to_string();
                    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
                    let is_doc =
                        compact.starts_with("#[doc=\"") || compact.starts_with("#![doc=\"");
                    if is_doc && let Some((_, value)) = text.split_once('"') {
                        let value = value.rsplit_once('"').map_or(value, |(v, _)| v);
                        lines.extend(value.split("\\n").map(str::to_string));
                    }
                }
            }
        }
    }
    paragraph(&lines)
}

/// The first paragraph of doc `lines`, joined with spaces and capped at [`MAX_DOC_LEN`].
fn paragraph(lines: &[String]) -> Option<String> {
    let text = lines
        .iter()
        .map(|line| line.trim().trim_start_matches('*').trim())
        .skip_while(|line| line.is_empty())
        .take_while(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if text.is_empty() {
        return None;
    }
    if text.len() <= MAX_DOC_LEN {
        return Some(text);
    }
    let mut end = MAX_DOC_LEN;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Some(format!("{}…", &text[..end]))
}

/// A path's segments without generic arguments: `crate::a::B<T>` → `["crate", "a", "B"]`.
/// `None` for a qualified path such as `<T as Trait>::X`.
pub(crate) fn path_segments(path: &ast::Path) -> Option<Vec<String>> {
    let mut segments = Vec::new();
    for segment in path.segments() {
        let name = segment.name_ref()?;
        segments.push(name.text().to_string());
    }
    if segments.is_empty() {
        None
    } else {
        Some(segments)
    }
}

/// The path of a type that names one (`a::B<T>`, `&B`, `(B)`), else `None`.
pub(crate) fn type_path(ty: &ast::Type) -> Option<ast::Path> {
    match ty {
        ast::Type::PathType(path_type) => path_type.path(),
        ast::Type::RefType(ref_type) => type_path(&ref_type.ty()?),
        ast::Type::ParenType(paren) => type_path(&paren.ty()?),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraph_stops_at_blank_line() {
        let lines: Vec<String> = ["", " K-means clustering.", " Fast.", "", " More."]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            paragraph(&lines).as_deref(),
            Some("K-means clustering. Fast.")
        );
        assert_eq!(paragraph(&[]), None);
    }

    #[test]
    fn derive_names() {
        let attrs = vec!["derive(Clone,Debug,serde::Serialize)".to_string()];
        assert_eq!(derives(&attrs), ["Clone", "Debug", "Serialize"]);
    }
}
