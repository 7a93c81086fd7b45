//! Completion and inspection of the preloaded stack's items, from an index built with it.
//!
//! rust-analyzer in the kernel sees std only (the stack reaches rustc by flags, see
//! [`crate::stack_externs`]), so it cannot complete `linfa_clustering::KMe` or `model.`. When
//! the stack is built, its crates' sources are indexed ([`repronote_stack_index`]) into a file
//! published with the build; a session loads it when first needed (see [`super::stack_index`])
//! and answers from it for stack paths and for variables whose type is a stack type. Everything
//! else (std, the cell's own items) still goes to rust-analyzer.

use repronote_stack_index::{CompletionSite, ItemKind, completion_site};

use super::stack_index::SessionIndex;

/// Completions found in the index: byte offsets into the cell and the names.
#[derive(Debug, PartialEq, Eq)]
pub struct Found {
    pub start: usize,
    pub end: usize,
    pub names: Vec<String>,
}

/// Completions for the stack at byte offset `cursor`, given the session's variables and their
/// types; `None` when the code there is not about the stack. The index is read only then.
pub fn complete<'a>(
    index: &mut SessionIndex,
    code: &str,
    cursor: usize,
    variables: impl Iterator<Item = (&'a str, &'a str)>,
) -> Option<Found> {
    let site = completion_site(code, cursor)?;
    let index = index.get()?;
    let is_stack_crate = |name: &str| index.crate_names().any(|c| c == name);
    let (start, names) = match site {
        CompletionSite::Path {
            path,
            prefix,
            start,
        } => {
            if !path.first().is_some_and(|first| is_stack_crate(first)) {
                return None;
            }
            let path: Vec<&str> = path.iter().map(String::as_str).collect();
            (start, index.path_items(&path, &prefix))
        }
        CompletionSite::Method {
            receiver,
            prefix,
            start,
        } => {
            let (_, ty) = variables
                .into_iter()
                .find(|(name, _)| *name == receiver.as_str())?;
            let first = ty.trim_start_matches(['&', ' ']).trim_start_matches("mut ");
            if !is_stack_crate(first.split("::").next().unwrap_or_default()) {
                return None;
            }
            (start, index.methods(ty, &prefix))
        }
    };
    let mut names: Vec<String> = names.into_iter().map(|c| c.name).collect();
    names.dedup();
    Some(Found {
        start,
        end: cursor,
        names,
    })
}

/// What the index says about the stack path that ends at or around byte offset `cursor`
/// (`linfa_clustering::KMeans`): its kind, full path and the first paragraph of its doc.
pub fn inspect(index: &mut SessionIndex, code: &str, cursor: usize) -> Option<String> {
    let end = code[cursor.min(code.len())..]
        .char_indices()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
        .map_or(code.len(), |(at, _)| cursor + at);
    let CompletionSite::Path {
        mut path, prefix, ..
    } = completion_site(code, end)?
    else {
        return None;
    };
    path.push(prefix);
    let index = index.get()?;
    if !index.crate_names().any(|c| c == path[0]) {
        return None;
    }
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    let (kind, doc) = index.doc(&path)?;
    Some(format!("{} {}\n\n{doc}", kind_word(kind), path.join("::")))
}

fn kind_word(kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::Module => "mod",
        ItemKind::Struct => "struct",
        ItemKind::Enum => "enum",
        ItemKind::Trait => "trait",
        ItemKind::Function | ItemKind::Method => "fn",
        ItemKind::TypeAlias => "type",
        ItemKind::Const => "const",
        ItemKind::Static => "static",
        ItemKind::Macro => "macro",
        ItemKind::Variant => "variant",
    }
}
