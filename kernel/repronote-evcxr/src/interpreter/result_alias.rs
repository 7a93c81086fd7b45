//! A crate's `Result` alias imported by a cell, made to coexist with evcxr's generated code.
//!
//! linfa's crates export one-parameter aliases (`linfa_svm::error::Result<T>`), and their
//! examples import them: `use linfa_svm::{error::Result, Svm};`. evcxr keeps a cell's `use`
//! items at the top of every later compilation, and the code it generates around cells writes
//! `Result<(), EvcxrUserCodeError>` unqualified, so after such an import every later cell fails
//! with E0107 at a line of evcxr's, not the user's.
//!
//! The kernel therefore imports the alias under no name (`error::Result as _`) and defines, on
//! the same line, `type Result<T, E = <linfa_svm::error::Result<()> as ResultAliasError>::Error>
//! = std::result::Result<T, E>;`: `Result<T>` in the user's code is still the crate's alias,
//! and evcxr's two-argument `Result` is std's. The cell keeps its lines, so compiler messages
//! still point at them.

use ra_ap_syntax::ast::HasName;
use ra_ap_syntax::{AstNode, Edition, SourceFile, ast};

/// Imports left alone: std's own `Result` (two parameters, nothing to fix) and `fmt::Result`
/// (none, so it cannot be given a default).
const LEFT_ALONE: [&str; 3] = ["result::Result", "fmt::Result", "Result"];

const WRAPPER_START: &str = "fn f(){\n";

/// `code` with every top-level `use` of a `Result` alias rewritten as described above;
/// `trait_path` names the prelude's `ResultAliasError`.
pub fn rewrite_result_imports(code: &str, trait_path: &str) -> String {
    if !code.contains("Result") {
        return code.to_owned();
    }
    let wrapped = format!("{WRAPPER_START}{code}\n}}");
    let file = SourceFile::parse(&wrapped, Edition::Edition2024).tree();
    let Some(body) = file.syntax().descendants().find_map(ast::StmtList::cast) else {
        return code.to_owned();
    };
    let offset = |position: ra_ap_syntax::TextSize| usize::from(position) - WRAPPER_START.len();
    // (start, end, replacement), applied from the end.
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    for statement in body.statements() {
        let ast::Stmt::Item(ast::Item::Use(item)) = statement else {
            continue;
        };
        let mut alias_of = None;
        for tree in item.syntax().descendants().filter_map(ast::UseTree::cast) {
            let Some(path) = imported_result(&tree) else {
                continue;
            };
            let leaf = tree.syntax().text_range();
            // `Result` becomes `Result as _`; `Result as Result` too.
            let path_end = tree
                .path()
                .map_or(leaf.end(), |path| path.syntax().text_range().end());
            let kept = (offset(path_end), offset(leaf.end()));
            edits.push((kept.0, kept.1, " as _".to_owned()));
            alias_of = Some(path);
        }
        if let Some(path) = alias_of {
            let end = offset(item.syntax().text_range().end());
            edits.push((
                end,
                end,
                format!(
                    " type Result<T, E = <{path}<()> as {trait_path}>::Error> = \
                     ::std::result::Result<T, E>;"
                ),
            ));
        }
    }
    if edits.is_empty() {
        return code.to_owned();
    }
    edits.sort_by_key(|(start, _, _)| std::cmp::Reverse(*start));
    let mut code = code.to_owned();
    for (start, end, text) in edits {
        code.replace_range(start..end, &text);
    }
    code
}

/// Whether a rewritten cell failed because the alias it imports does not take one parameter
/// (rustc's E0107 on the kernel's `ALIAS<()>`).
pub(crate) fn was_not_one_parameter(errors: &[evcxr::CompilationError]) -> bool {
    errors
        .iter()
        .any(|error| error.code() == Some("E0107") && error.rendered().contains("<()> as "))
}

/// The full path a leaf of a use tree imports as `Result`, unless it is one of [`LEFT_ALONE`].
fn imported_result(tree: &ast::UseTree) -> Option<String> {
    if tree.use_tree_list().is_some() || tree.star_token().is_some() {
        return None;
    }
    let path = tree.path()?;
    let last = path.segment()?.name_ref()?.text().to_string();
    let bound_as = match tree.rename() {
        Some(rename) => rename.name()?.text().to_string(),
        None => last.clone(),
    };
    if bound_as != "Result" || last != "Result" {
        return None;
    }
    // The prefixes of the enclosing trees, outermost first: `linfa_svm::{error::Result}`.
    let mut segments = vec![path.syntax().text().to_string()];
    let mut node = tree.syntax().parent();
    while let Some(parent) = node {
        if let Some(outer) = ast::UseTree::cast(parent.clone())
            && let Some(prefix) = outer.path()
        {
            segments.push(prefix.syntax().text().to_string());
        }
        node = parent.parent();
    }
    segments.reverse();
    let full: String = segments.join("::").split_whitespace().collect();
    let left_alone = LEFT_ALONE.iter().any(|alone| {
        full == *alone || full.ends_with(&format!("::{alone}")) && alone.contains("::")
    });
    (!left_alone).then_some(full)
}

#[cfg(test)]
mod tests {
    use super::rewrite_result_imports;

    const TRAIT: &str = "::repronote_prelude::ResultAliasError";

    #[test]
    fn a_crates_alias_is_imported_unnamed_and_redefined_on_the_same_line() {
        let code = "use linfa::prelude::*;\nuse linfa_svm::{error::Result, Svm};\nlet x = 1;";
        assert_eq!(
            rewrite_result_imports(code, TRAIT),
            "use linfa::prelude::*;\nuse linfa_svm::{error::Result as _, Svm}; type Result<T, \
             E = <linfa_svm::error::Result<()> as ::repronote_prelude::ResultAliasError>::Error> \
             = ::std::result::Result<T, E>;\nlet x = 1;"
        );
    }

    #[test]
    fn a_plain_and_a_renamed_import_are_rewritten_too() {
        let plain = rewrite_result_imports("use linfa_trees::Result;", TRAIT);
        assert!(
            plain.starts_with(
                "use linfa_trees::Result as _; type Result<T, E = <linfa_trees::Result<()>"
            ),
            "{plain}"
        );
        let renamed = rewrite_result_imports("use linfa_bayes::{Result as Result};", TRAIT);
        assert!(
            renamed.starts_with(
                "use linfa_bayes::{Result as _}; type Result<T, E = <linfa_bayes::Result<()>"
            ),
            "{renamed}"
        );
    }

    #[test]
    fn std_results_other_names_and_code_without_imports_are_left_alone() {
        for code in [
            "use std::result::Result;",
            "use std::fmt::Result;",
            "use linfa_svm::error::Result as SvmResult;",
            "use linfa_svm::error::SvmError;",
            "let r: Result<u8, ()> = Ok(1);",
            "fn f() -> std::io::Result<()> { Ok(()) }",
        ] {
            assert_eq!(rewrite_result_imports(code, TRAIT), code);
        }
    }
}
