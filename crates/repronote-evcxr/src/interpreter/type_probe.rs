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
    /// Byte offset just after the cell's last statement, where a second probe goes when later
    /// lines of the cell settle the type (`let p = Params::new(); p.fit(&data)`).
    pub after_cell_statements: usize,
}

const WRAPPER_START: &str = "fn f(){\n";

/// The top-level `let NAME = ...;` statements without a type in a cell, with their names.
fn untyped_lets(code: &str) -> Vec<(String, LetSite)> {
    let wrapped = format!("{WRAPPER_START}{code}\n}}");
    let file = SourceFile::parse(&wrapped, Edition::Edition2024).tree();
    let Some(body) = file.syntax().descendants().find_map(ast::StmtList::cast) else {
        return Vec::new();
    };
    let offset =
        |position: ra_ap_syntax::TextSize| usize::from(position).checked_sub(WRAPPER_START.len());
    let Some(after_cell_statements) = body
        .statements()
        .last()
        .and_then(|last| offset(last.syntax().text_range().end()))
    else {
        return Vec::new();
    };
    body.statements()
        .filter_map(|statement| match statement {
            ast::Stmt::LetStmt(let_statement) if let_statement.ty().is_none() => {
                Some(let_statement)
            }
            _ => None,
        })
        .filter_map(|let_statement| {
            let Some(ast::Pat::IdentPat(pattern)) = let_statement.pat() else {
                return None;
            };
            let site = LetSite {
                after_pattern: offset(pattern.syntax().text_range().end())?,
                after_statement: offset(let_statement.syntax().text_range().end())?,
                after_cell_statements,
            };
            Some((pattern.name()?.text().to_string(), site))
        })
        .collect()
}

/// Where the last top-level `let name` without a type annotation is (the one later cells see).
pub fn find_let(code: &str, name: &str) -> Option<LetSite> {
    untyped_lets(code)
        .into_iter()
        .rev()
        .find(|(found, _)| found == name)
        .map(|(_, site)| site)
}

/// What to do about a binding whose type nothing in its cell settles (a macro, so that
/// [`unwritable`]'s reason can be one `&'static str` built with `concat!`).
macro_rules! settle_in_its_cell {
    () => {
        "Use it in the same cell (for a model's parameters, fit in the same cell), or write its \
         type with concrete types (`f64`, `usize`, ...) in place of each `_`"
    };
}

/// A note for rustc's "type annotations needed" (E0282, E0283) on a top-level binding.
///
/// In a file, rustc settles `let params = DecisionTree::params();` from how later lines use
/// `params`; in a notebook each cell is compiled alone, so no later cell can. `spans` are the
/// texts the error points at, `message` its first line.
pub fn inference_note(
    code: &str,
    error_code: &str,
    message: &str,
    spans: &[&str],
) -> Option<String> {
    if !matches!(error_code, "E0282" | "E0283") {
        return None;
    }
    let names: Vec<String> = untyped_lets(code)
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    let name = names
        .iter()
        .find(|name| spans.contains(&name.as_str()))
        .or_else(|| names.first().filter(|_| names.len() == 1))?;
    let ty = message
        .split_once("type annotations needed for `")
        .and_then(|(_, rest)| rest.rsplit_once('`'))
        .map(|(ty, _)| ty)
        .unwrap_or("Type");
    Some(format!(
        "note: each cell is compiled on its own, so a later cell cannot settle the type of \
         `{name}`. {}: `let {name}: {ty} = ...;`.",
        settle_in_its_cell!()
    ))
}

/// The cell with a probe for `name` at byte offset `at` (on the same line, so the cell's line
/// numbers do not move): [`LetSite::after_statement`] first, [`LetSite::after_cell_statements`]
/// when that found the type not yet settled.
pub fn probe_code(code: &str, name: &str, at: usize) -> String {
    let (before, after) = code.split_at(at);
    format!("{before} let _: [(); 0] = [{name}];{after}")
}

/// Whether rustc wrote the type with a `_` it could not settle (`DecisionTreeParams<_, _>`).
pub fn has_placeholder(ty: &str) -> bool {
    let part_of_name = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    ty.char_indices().any(|(at, c)| {
        c == '_'
            && !part_of_name(ty[..at].chars().next_back())
            && !part_of_name(ty[at + 1..].chars().next())
    })
}

/// The cell with `name` annotated as `ty`.
pub fn annotated_code(code: &str, ty: &str, site: &LetSite) -> String {
    let (before, after) = code.split_at(site.after_pattern);
    format!("{before}: {ty}{after}")
}

/// The type rustc reported for the probe, from a compiler error's rendered text: the mismatch
/// note reads ``found struct `T` `` (or enum, tuple, ...), or for a unit value
/// ``found array `[(); 1]` ``; a primitive (`f64`, `bool`, `usize`) is only named in the label.
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
    // A primitive or a standard type gets no note, only the label under the probe:
    // ``expected `()`, found `f64` ``.
    rendered.lines().find_map(|line| {
        let found = &line[line.find("expected `()`, found `")? + "expected `()`, found `".len()..];
        Some(found[..found.rfind('`')?].to_owned())
    })
}

/// Why a borrowing binding cannot be kept, and what to write instead.
const BORROW_ADVICE: &str = "it borrows from another value, and a kept variable must own its \
     data. Keep an owned copy instead (`.to_owned()`, `.to_vec()`, `.clone()`; for a list of \
     names, `.iter().map(|s| s.to_string()).collect::<Vec<String>>()`), or wrap the cell in \
     braces `{ ... }` to use it only inside this cell";

/// evcxr's own refusal of a binding that borrows (`let names = data.feature_names();`).
const EVCXR_BORROW_REFUSAL: &str = "contains a reference with a non-static lifetime";

/// A note for evcxr's refusal of a borrowing binding: what to write instead.
pub fn borrow_note(message: &str) -> Option<String> {
    message
        .contains(EVCXR_BORROW_REFUSAL)
        .then(|| format!("note: {BORROW_ADVICE}."))
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
        Some(BORROW_ADVICE)
    } else if has_placeholder(ty) {
        Some(concat!(
            "nothing in its cell settles its type. ",
            settle_in_its_cell!()
        ))
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
    fn an_untypable_binding_gets_a_notebook_note_with_its_name_and_type() {
        let code = "let params = DecisionTree::params().max_depth(Some(4));";
        let note = inference_note(
            code,
            "E0283",
            "type annotations needed for `DecisionTreeParams<_, _>`",
            &["DecisionTree", "params"],
        )
        .unwrap();
        assert!(
            note.contains("later cell cannot settle the type of `params`"),
            "{note}"
        );
        assert!(
            note.contains("`let params: DecisionTreeParams<_, _> = ...;`"),
            "{note}"
        );
    }

    #[test]
    fn other_errors_and_cells_without_such_a_binding_get_no_note() {
        let code = "let params = DecisionTree::params();";
        assert_eq!(inference_note(code, "E0308", "mismatched types", &[]), None);
        let two = "let a = Vec::new();\nlet b = Vec::new();";
        assert_eq!(
            inference_note(two, "E0282", "type annotations needed", &[]),
            None
        );
        assert!(inference_note(two, "E0282", "type annotations needed", &["b"]).is_some());
    }

    #[test]
    fn evcxrs_refusal_of_a_borrow_gets_what_to_write_instead() {
        let message = "The variable `names` contains a reference with a non-static lifetime so\n\
                       can't be persisted.";
        let note = borrow_note(message).unwrap();
        assert!(note.contains("Keep an owned copy"), "{note}");
        assert!(note.contains("collect::<Vec<String>>()"), "{note}");
        assert_eq!(borrow_note("mismatched types"), None);
    }

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
            probe_code(code, "model", site.after_statement),
            "let data = linfa_datasets::iris();\n\
             { let model = 1; }\n\
             let mut model = KMeans::params(3).fit(&data).unwrap(); let _: [(); 0] = [model];\n\
             model.centroids()"
        );
    }

    #[test]
    fn a_second_probe_goes_after_the_cells_last_statement() {
        let code = "let params = DecisionTree::params();\n\
                    let tree = params.fit(&data).unwrap();\n\
                    tree.depth()";
        let site = find_let(code, "params").unwrap();
        assert_eq!(
            probe_code(code, "params", site.after_cell_statements),
            "let params = DecisionTree::params();\n\
             let tree = params.fit(&data).unwrap(); let _: [(); 0] = [params];\n\
             tree.depth()"
        );
    }

    #[test]
    fn an_unsettled_type_is_told_from_underscores_in_names() {
        assert!(has_placeholder("linfa_trees::DecisionTreeParams<_, _>"));
        assert!(has_placeholder("Vec<_>"));
        assert!(!has_placeholder(
            "linfa_trees::DecisionTreeParams<f64, usize>"
        ));
        assert!(!has_placeholder("my_crate::_Hidden<u8>"));
        assert!(
            unwritable("linfa_trees::DecisionTreeParams<_, _>")
                .unwrap()
                .contains("fit in the same cell")
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
        let primitive = " --> src/lib.rs:9:55\n  |\n9 |     let _: [(); 0] = [inertia];\n  \
                         |                       ^^^^^^^ expected `()`, found `f64`\n";
        assert_eq!(type_from_rendered(primitive).as_deref(), Some("f64"));
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
