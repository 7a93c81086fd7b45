//! Types for top-level `let` bindings that evcxr cannot infer.
//!
//! evcxr keeps a cell's top-level variables for later cells, so it must write down each one's
//! type; it asks rust-analyzer, which in this kernel sees std only (and could not follow
//! linfa's blanket `Fit` impl anyway): it gives up on `let model = KMeans::params(3).fit(&data)
//! .unwrap();`. rustc always knows the type. So the kernel asks it: it checks the cell once
//! with a probe per untyped binding, an assignment that cannot type-check, `let _: () =
//! Some(model);`, and reads the type from the mismatch (with `-Ztrim-diagnostic-paths=false`,
//! so the type is written with public paths such as
//! `linfa_clustering::KMeans<f64, linfa_nn::distance::L2Dist>`). The probe never runs: it
//! fails to compile whatever the type is. The cell then runs with the annotations added.
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

/// The cell parsed as a function body, and the byte offset just after its last statement.
fn parse_cell(code: &str) -> Option<(ast::StmtList, usize)> {
    let wrapped = format!("{WRAPPER_START}{code}\n}}");
    let file = SourceFile::parse(&wrapped, Edition::Edition2024).tree();
    let body = file.syntax().descendants().find_map(ast::StmtList::cast)?;
    let after_cell_statements = offset(body.statements().last()?.syntax().text_range().end())?;
    Some((body, after_cell_statements))
}

/// A position in the parsed wrapper as a byte offset into the cell.
fn offset(position: ra_ap_syntax::TextSize) -> Option<usize> {
    usize::from(position).checked_sub(WRAPPER_START.len())
}

/// The top-level `let NAME = ...;` statements without a type in a cell, with their names.
fn untyped_lets(code: &str) -> Vec<(String, LetSite)> {
    let Some((body, after_cell_statements)) = parse_cell(code) else {
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

/// Whether a probe's rendered error wrote a type rustc had not settled yet (`{integer}`,
/// `{float}`), which [`probed_type`] replaces with the default.
pub fn defaulted(rendered: &str) -> bool {
    rendered.contains("{integer}") || rendered.contains("{float}")
}

/// The cell with a probe for each of `names` at byte offset `at`, each on a line of its own:
/// `let _: () = Some(name);`, which cannot type-check whatever `name` is. Wrapping the value
/// in `Option` makes rustc always add the note that writes the whole type with its paths (for
/// a plain struct it would only name it, trimmed, in the label). `crates` are imported as `_`
/// first: rustc writes a type by its public path (`ndarray::OwnedRepr`, not the private
/// `ndarray::data_repr::OwnedRepr`) only for crates the code names. The probe is only checked,
/// never run or shown, so the lines it adds do not matter.
pub fn probes_code(code: &str, names: &[&str], at: usize, crates: &[String]) -> String {
    let (before, after) = code.split_at(at);
    let imports: String = crates
        .iter()
        .map(|name| format!("\nuse {name} as _;"))
        .collect();
    let probes: String = names
        .iter()
        .map(|name| format!("\n{PROBE_START}{name});"))
        .collect();
    format!("{before}{imports}{probes}\n{after}")
}

/// How a probe line starts (see [`probes_code`]).
const PROBE_START: &str = "let _: () = Some(";

/// Which binding a probe's error is about and the type rustc reports, from its rendered text:
/// the source line it shows names the binding, the note writes ``found enum
/// `std::option::Option<T>` ``.
pub fn probed_type(rendered: &str) -> Option<(String, String)> {
    let name = rendered.lines().find_map(|line| {
        let rest = &line[line.find(PROBE_START)? + PROBE_START.len()..];
        Some(rest[..rest.find(')')?].to_owned())
    })?;
    let note = "found enum `std::option::Option<";
    let ty = rendered.lines().find_map(|line| {
        let rest = &line[line.find(note)? + note.len()..];
        Some(rest.strip_suffix(">`")?.to_owned())
    })?;
    // rustc reports before it falls back to the default number types; a literal nothing else
    // settles gets them when the cell is compiled.
    let ty = ty.replace("{float}", "f64").replace("{integer}", "i32");
    Some((name, ty))
}

/// `ty` with every reference made `'static` (`&str` becomes `&'static str`), so that a binding
/// holding string literals (`map_targets(|x| if *x > 6 { "good" } else { "bad" })`) can be
/// kept; `None` if it names a lifetime of its own, which a kept variable cannot have. A
/// reference that really borrows another value then fails to compile, and the kernel says so
/// (see [`BORROW_ADVICE`]).
pub fn with_static_references(ty: &str) -> Option<String> {
    // rustc writes a lifetime it knows is `'static` (`&'static str`); any other is a borrow.
    let unnamed = ty.replace("&'static ", "&");
    if unnamed.contains('\'') {
        return None;
    }
    Some(unnamed.replace('&', "&'static "))
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

/// Why a borrowing binding cannot be kept, and what to write instead.
pub const BORROW_ADVICE: &str = "it borrows from another value, and a kept variable must own its \
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
    } else if ty.replace("&'static ", "").contains(['&', '\'']) {
        Some(BORROW_ADVICE)
    } else if has_placeholder(ty) {
        Some(concat!(
            "nothing in its cell settles its type. ",
            settle_in_its_cell!()
        ))
    } else if ty.contains("{unknown}")
        || ty.contains("{integer}")
        || ty.contains("{float}")
        || ty.contains("...")
    {
        Some("rustc could not settle its type either; annotate it")
    } else {
        None
    }
}

mod bindings;

pub use bindings::{annotate_lets, bound_names, literal_initializers, mentions, untyped_bindings};

#[cfg(test)]
mod tests;
