//! Types for top-level `let` bindings that evcxr cannot infer.
//!
//! evcxr keeps a cell's top-level variables for later cells, so it must write down each one's
//! type; it asks rust-analyzer, which cannot follow linfa's blanket `Fit` impl, and gives up on
//! `let model = KMeans::params(3).fit(&data).unwrap();` ("Couldn't automatically determine type
//! of variable `model`"). rustc always knows the type. So the kernel asks it: it compiles the
//! cell once more with a probe after that `let`, an assignment that cannot type-check,
//! `let _: [(); 0] = [model];`, and reads the type from the mismatch (with
//! `-Ztrim-diagnostic-paths=false`, so the type is written with public paths such as
//! `linfa_clustering::KMeans<f64, linfa_nn::distance::L2Dist>`). The probe never runs: it
//! fails to compile whatever the type is. The cell then runs with the annotation added.
//!
//! What cannot be written down (a closure, a borrow of another variable, an opaque
//! `impl Trait`) gets an error that names the binding, says why and shows what to write.

use ra_ap_syntax::ast::HasName;
use ra_ap_syntax::{AstNode, Edition, SourceFile, ast};

/// The start of evcxr's message for a binding it cannot type.
const UNKNOWN_TYPE: &str = "Couldn't automatically determine type of variable `";

/// The variable evcxr could not type, from its error message.
pub fn unknown_variable(message: &str) -> Option<&str> {
    let rest = &message[message.find(UNKNOWN_TYPE)? + UNKNOWN_TYPE.len()..];
    Some(&rest[..rest.find('`')?])
}

/// A top-level `let NAME = ...;` without a type, in a cell's source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetSite {
    /// Byte offset just after the pattern, where `: Type` goes.
    pub after_pattern: usize,
    /// Byte offset just after the statement's `;`, where the probe goes.
    pub after_statement: usize,
}

const WRAPPER_START: &str = "fn f(){\n";

/// Where the last top-level `let name` without a type annotation is (the one later cells see).
pub fn find_let(code: &str, name: &str) -> Option<LetSite> {
    let wrapped = format!("{WRAPPER_START}{code}\n}}");
    let file = SourceFile::parse(&wrapped, Edition::Edition2024).tree();
    let body = file.syntax().descendants().find_map(ast::StmtList::cast)?;
    let offset =
        |position: ra_ap_syntax::TextSize| usize::from(position).checked_sub(WRAPPER_START.len());
    body.statements()
        .filter_map(|statement| match statement {
            ast::Stmt::LetStmt(let_statement) => Some(let_statement),
            _ => None,
        })
        .filter(|let_statement| let_statement.ty().is_none())
        .filter(|let_statement| match let_statement.pat() {
            Some(ast::Pat::IdentPat(pattern)) => pattern.name().is_some_and(|n| n.text() == name),
            _ => false,
        })
        .last()
        .and_then(|let_statement| {
            Some(LetSite {
                after_pattern: offset(let_statement.pat()?.syntax().text_range().end())?,
                after_statement: offset(let_statement.syntax().text_range().end())?,
            })
        })
}

/// The cell with a probe for `name` right after its `let` (on the same line, so the cell's
/// line numbers do not move).
pub fn probe_code(code: &str, name: &str, site: &LetSite) -> String {
    let (before, after) = code.split_at(site.after_statement);
    format!("{before} let _: [(); 0] = [{name}];{after}")
}

/// The cell with `name` annotated as `ty`.
pub fn annotated_code(code: &str, ty: &str, site: &LetSite) -> String {
    let (before, after) = code.split_at(site.after_pattern);
    format!("{before}: {ty}{after}")
}

/// The type rustc reported for the probe, from a compiler error's rendered text: the mismatch
/// note reads ``found struct `T` `` (or enum, tuple, ...), or for a unit value
/// ``found array `[(); 1]` ``.
pub fn type_from_rendered(rendered: &str) -> Option<String> {
    for line in rendered.lines() {
        let line = line.trim_start();
        let Some(found) = line.strip_prefix("found ") else {
            continue;
        };
        let ty = &found[found.find('`')? + 1..found.rfind('`')?];
        if ty.starts_with('[') && ty.ends_with("; 1]") {
            // The whole array was compared: the element itself is what the binding holds.
            return Some(ty["[".len()..ty.len() - "; 1]".len()].to_owned());
        }
        return Some(ty.to_owned());
    }
    None
}

/// Why a type cannot be written into the cell, if it cannot.
pub fn unwritable(ty: &str) -> Option<&'static str> {
    if ty.contains("{closure") {
        Some(
            "it is a closure, and closures have no name to write. Box it to keep it: \
             `let f: Box<dyn Fn(f64) -> f64> = Box::new(|x| x * 2.0);`",
        )
    } else if ty.contains("impl ") {
        Some(
            "its type is an opaque `impl Trait`, which cannot be named. Collect it into a \
             concrete type (for example `.collect::<Vec<_>>()`)",
        )
    } else if ty.contains('&') || ty.contains('\'') {
        Some(
            "it borrows from another value, and a kept variable must own its data. Keep an \
             owned copy instead (`.to_owned()`, `.to_vec()`, `.clone()`), or wrap the cell in \
             braces `{ ... }` to use it only inside this cell",
        )
    } else if ty.contains("{unknown}") || ty.contains("{integer}") || ty.contains("{float}") {
        Some("rustc could not settle its type either; annotate it")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_variable_is_read_from_evcxrs_message() {
        let message = "Couldn't automatically determine type of variable `model`.\n\
                       Please give it an explicit type.";
        assert_eq!(unknown_variable(message), Some("model"));
        assert_eq!(unknown_variable("something else"), None);
    }

    #[test]
    fn the_last_top_level_let_is_found_and_annotated() {
        let code = "let data = linfa_datasets::iris();\n\
                    { let model = 1; }\n\
                    let mut model = KMeans::params(3).fit(&data).unwrap();\n\
                    model.centroids()";
        let site = find_let(code, "model").unwrap();
        assert_eq!(
            annotated_code(code, "linfa_clustering::KMeans<f64, L2Dist>", &site),
            "let data = linfa_datasets::iris();\n\
             { let model = 1; }\n\
             let mut model: linfa_clustering::KMeans<f64, L2Dist> = KMeans::params(3).fit(&data).unwrap();\n\
             model.centroids()"
        );
        assert_eq!(
            probe_code(code, "model", &site),
            "let data = linfa_datasets::iris();\n\
             { let model = 1; }\n\
             let mut model = KMeans::params(3).fit(&data).unwrap(); let _: [(); 0] = [model];\n\
             model.centroids()"
        );
    }

    #[test]
    fn annotated_or_destructuring_lets_are_not_candidates() {
        assert_eq!(find_let("let model: u8 = 1;", "model"), None);
        assert_eq!(find_let("let (model, x) = (1, 2);", "model"), None);
        assert_eq!(find_let("let other = 1;", "model"), None);
        // A cell that does not parse (an evcxr command line) still yields its lets.
        assert!(find_let(":dep foo = \"1\"\nlet model = 1;", "model").is_some());
    }

    #[test]
    fn the_type_comes_from_the_mismatch_note() {
        let rendered = "error[E0308]: mismatched types\n  |\n  = note: expected unit type `()`\n\
                        \x20             found struct `linfa_clustering::KMeans<f64, linfa_nn::distance::L2Dist>`\n";
        assert_eq!(
            type_from_rendered(rendered).as_deref(),
            Some("linfa_clustering::KMeans<f64, linfa_nn::distance::L2Dist>")
        );
        let unit = "  = note: expected array `[(); 0]`\n             found array `[(); 1]`\n";
        assert_eq!(type_from_rendered(unit).as_deref(), Some("()"));
        let tuple =
            "  = note: expected unit type `()`\n            found tuple `(f64, Vec<usize>)`\n";
        assert_eq!(
            type_from_rendered(tuple).as_deref(),
            Some("(f64, Vec<usize>)")
        );
        assert_eq!(type_from_rendered("no note here"), None);
    }

    #[test]
    fn types_that_cannot_be_kept_say_why() {
        assert!(
            unwritable("{closure@src/lib.rs:3:9}")
                .unwrap()
                .contains("Box")
        );
        assert!(
            unwritable("ndarray::ArrayBase<ndarray::ViewRepr<&'a f64>, ndarray::Dim<[usize; 2]>>")
                .unwrap()
                .contains("owned")
        );
        assert!(unwritable("impl Iterator<Item = f64>").is_some());
        assert_eq!(unwritable("linfa_clustering::KMeans<f64, L2Dist>"), None);
    }
}
