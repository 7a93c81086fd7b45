//! Which top-level `let`s of a cell the kernel can annotate, and the cell annotated: plain
//! bindings, destructurings (written as declarations and an assignment, since evcxr types each
//! name on its own), and literal initializers that a later cell may need to retype.

use ra_ap_syntax::ast::HasName;
use ra_ap_syntax::{AstNode, ast};

use super::{has_placeholder, offset, parse_cell};

/// A top-level `let` the kernel can annotate before evcxr sees the cell: one without a type,
/// or whose type leaves parts to infer (`let data: DatasetBase<_, _> = ...;`), binding
/// `name`, or destructuring (`let (a, mut b, _) = ...;`, `let DatasetBase { records, .. } =
/// ...;`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UntypedLet {
    /// The names it binds, in pattern order (one for a plain binding).
    pub names: Vec<String>,
    /// Byte offset just after the pattern, where `: Type` goes.
    pub after_pattern: usize,
    /// Byte offset just after a written type with `_` in it, which the annotation replaces
    /// (`after_pattern` when no type is written).
    pub type_end: usize,
    /// For a destructuring pattern, how to write it with types (see [`annotate_lets`]).
    pub destructuring: Option<DestructuringLet>,
}

/// A `let PATTERN = ...;` that binds several names. evcxr asks rust-analyzer for the type of
/// each name, and a type written on the whole pattern does not reach them, so the annotated
/// cell declares each name with its type and assigns the pattern:
/// `let a: A; let mut b: B; (a, b, _) = ...;` (a destructuring assignment, which takes tuple,
/// struct and slice patterns alike).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestructuringLet {
    /// Byte offsets of `let` and just after its `=`: the text the declarations replace.
    pub start: usize,
    pub after_eq: usize,
    /// Each name and whether it is `mut`, in pattern order.
    pub bindings: Vec<(String, bool)>,
    /// The pattern as an assignee: its text without `mut`.
    pub assignee: String,
    /// Byte offset just after the statement, and the names the value reads (`let (a, b) =
    /// (b.x, a);`): declared first, they would hide what the value reads, so they are assigned
    /// under another name and bound after the statement.
    pub end: usize,
    pub read_by_value: Vec<String>,
}

/// The name a binding the value of its own destructuring reads is assigned under first.
fn assigned_first(name: &str) -> String {
    format!("repronote_new_{name}")
}

/// Where `text` names `name` as a word.
fn word_positions<'a>(text: &'a str, name: &'a str) -> impl Iterator<Item = usize> + 'a {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(name)
        .map(|(at, _)| at)
        .filter(move |&at| {
            !text[..at].chars().next_back().is_some_and(word)
                && !text[at + name.len()..].chars().next().is_some_and(word)
        })
}

/// Whether `text` names `name` as a word.
pub fn mentions(text: &str, name: &str) -> bool {
    word_positions(text, name).next().is_some()
}

/// `text` with the word `name` written `with`.
fn replace_word(text: &str, name: &str, with: &str) -> String {
    let positions: Vec<usize> = word_positions(text, name).collect();
    let mut replaced = text.to_owned();
    for at in positions.into_iter().rev() {
        replaced.replace_range(at..at + name.len(), with);
    }
    replaced
}

/// The cell's untyped top-level lets whose bindings later cells see (for a name bound twice,
/// the last), and the byte offset after the cell's last statement, where probes go.
pub fn untyped_bindings(code: &str) -> (Vec<UntypedLet>, usize) {
    let Some((body, after_cell_statements)) = parse_cell(code) else {
        return (Vec::new(), 0);
    };
    // Every let, with the names it binds (annotatable or not), in order.
    let mut found: Vec<(Option<UntypedLet>, Vec<String>)> = Vec::new();
    for statement in body.statements() {
        let ast::Stmt::LetStmt(let_statement) = statement else {
            continue;
        };
        let Some(pattern) = let_statement.pat() else {
            continue;
        };
        let binds: Vec<String> = pattern
            .syntax()
            .descendants()
            .filter_map(ast::IdentPat::cast)
            .filter_map(|p| Some(p.name()?.text().to_string()))
            .collect();
        found.push((annotatable(&let_statement, &pattern), binds));
    }
    // Keep a let only if none of its names is bound again later in the cell.
    let kept = (0..found.len())
        .filter_map(|at| {
            let candidate = found[at].0.clone()?;
            let rebound = candidate.names.iter().any(|name| {
                found[at + 1..]
                    .iter()
                    .any(|(_, later)| later.contains(name))
            });
            (!rebound).then_some(candidate)
        })
        .collect();
    (kept, after_cell_statements)
}

/// `let_statement` as an [`UntypedLet`], if the kernel can annotate it.
fn annotatable(let_statement: &ast::LetStmt, pattern: &ast::Pat) -> Option<UntypedLet> {
    if let_statement.let_else().is_some() {
        return None;
    }
    let after_pattern = offset(pattern.syntax().text_range().end())?;
    let type_end = match let_statement.ty() {
        None => after_pattern,
        Some(ty) if has_placeholder(&ty.syntax().text().to_string()) => {
            offset(ty.syntax().text_range().end())?
        }
        Some(_) => return None,
    };
    // A name bound by value: not `ref x`, not `x @ pattern`.
    let simple = |ident: &ast::IdentPat| {
        (ident.pat().is_none() && ident.ref_token().is_none())
            .then(|| {
                Some((
                    ident.name()?.text().to_string(),
                    ident.mut_token().is_some(),
                ))
            })
            .flatten()
    };
    if let ast::Pat::IdentPat(single) = pattern {
        return Some(UntypedLet {
            names: vec![simple(single)?.0],
            after_pattern,
            type_end,
            destructuring: None,
        });
    }
    // Only what an assignee can be: tuples, structs, slices, `_`, `..`, parentheses.
    let assignable = pattern
        .syntax()
        .descendants()
        .filter_map(ast::Pat::cast)
        .all(|p| {
            matches!(
                p,
                ast::Pat::IdentPat(_)
                    | ast::Pat::TuplePat(_)
                    | ast::Pat::TupleStructPat(_)
                    | ast::Pat::RecordPat(_)
                    | ast::Pat::SlicePat(_)
                    | ast::Pat::WildcardPat(_)
                    | ast::Pat::RestPat(_)
                    | ast::Pat::ParenPat(_)
            )
        });
    if !assignable {
        return None;
    }
    let idents: Vec<ast::IdentPat> = pattern
        .syntax()
        .descendants()
        .filter_map(ast::IdentPat::cast)
        .collect();
    let bindings: Vec<(String, bool)> = idents.iter().map(simple).collect::<Option<_>>()?;
    if bindings.is_empty() {
        return None;
    }
    // The pattern's text without its `mut`s (an assignee cannot have them).
    let pattern_start = pattern.syntax().text_range().start();
    let mut assignee = pattern.syntax().text().to_string();
    let mut cuts: Vec<(usize, usize)> = idents
        .iter()
        .filter_map(|ident| {
            let token = ident.mut_token()?;
            let name = ident.name()?;
            Some((
                usize::from(token.text_range().start() - pattern_start),
                usize::from(name.syntax().text_range().start() - pattern_start),
            ))
        })
        .collect();
    cuts.sort_by_key(|(start, _)| std::cmp::Reverse(*start));
    for (start, end) in cuts {
        assignee.replace_range(start..end, "");
    }
    let value = let_statement
        .initializer()
        .map(|value| value.syntax().text().to_string())
        .unwrap_or_default();
    let read_by_value: Vec<String> = bindings
        .iter()
        .map(|(name, _)| name.clone())
        .filter(|name| mentions(&value, name))
        .collect();
    // A struct pattern's shorthand field (`{ records, .. }`) cannot take another name as it is.
    let has_struct = pattern
        .syntax()
        .descendants()
        .any(|node| ast::RecordPat::can_cast(node.kind()));
    if !read_by_value.is_empty() && has_struct {
        return None;
    }
    for name in &read_by_value {
        assignee = replace_word(&assignee, name, &assigned_first(name));
    }
    Some(UntypedLet {
        names: bindings.iter().map(|(name, _)| name.clone()).collect(),
        after_pattern,
        type_end,
        destructuring: Some(DestructuringLet {
            start: offset(let_statement.syntax().text_range().start())?,
            after_eq: offset(let_statement.eq_token()?.text_range().end())?,
            bindings,
            assignee,
            end: offset(let_statement.syntax().text_range().end())?,
            read_by_value,
        }),
    })
}

/// The top-level `let NAME = INIT;` statements of a cell whose initializer is literals only
/// (`3`, `0.5`, `vec![(10, 0.5, 1, "a")]`), as (name, initializer): evaluating such an
/// initializer again has no effect but its value.
pub fn literal_initializers(code: &str) -> Vec<(String, String)> {
    let Some((body, _)) = parse_cell(code) else {
        return Vec::new();
    };
    body.statements()
        .filter_map(|statement| {
            let ast::Stmt::LetStmt(let_statement) = statement else {
                return None;
            };
            let Some(ast::Pat::IdentPat(pattern)) = let_statement.pat() else {
                return None;
            };
            // A `mut` binding may change after its cell; its literal would bring back the old
            // value.
            if let_statement.ty().is_some()
                || pattern.pat().is_some()
                || pattern.mut_token().is_some()
            {
                return None;
            }
            let init = let_statement.initializer()?.syntax().text().to_string();
            is_literal_only(&init).then(|| Some((pattern.name()?.text().to_string(), init)))?
        })
        .collect()
}

/// Every name a top-level `let` of the cell binds, typed or not, in any pattern.
pub fn bound_names(code: &str) -> Vec<String> {
    let Some((body, _)) = parse_cell(code) else {
        return Vec::new();
    };
    body.statements()
        .filter_map(|statement| match statement {
            ast::Stmt::LetStmt(let_statement) => let_statement.pat(),
            _ => None,
        })
        .flat_map(|pattern| {
            pattern
                .syntax()
                .descendants()
                .filter_map(ast::IdentPat::cast)
                .filter_map(|ident| Some(ident.name()?.text().to_string()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Whether `expression` is made of literals, tuples, arrays and `vec!`/`array!` alone.
fn is_literal_only(expression: &str) -> bool {
    use ra_ap_rustc_lexer::{FrontmatterAllowed, TokenKind, tokenize};
    let mut at = 0;
    tokenize(expression, FrontmatterAllowed::No).all(|token| {
        let text = &expression[at..at + token.len as usize];
        at += token.len as usize;
        match token.kind {
            TokenKind::Ident => matches!(text, "vec" | "array" | "true" | "false"),
            TokenKind::Literal { .. }
            | TokenKind::Whitespace
            | TokenKind::LineComment { .. }
            | TokenKind::BlockComment { .. }
            | TokenKind::OpenParen
            | TokenKind::CloseParen
            | TokenKind::OpenBracket
            | TokenKind::CloseBracket
            | TokenKind::Comma
            | TokenKind::Semi
            | TokenKind::Minus
            | TokenKind::Bang => true,
            _ => false,
        }
    })
}

/// The cell with each of `lets` annotated with its types (one per name, in order).
pub fn annotate_lets(code: &str, lets: &[(&UntypedLet, Vec<String>)]) -> String {
    let mut edits_after = Vec::new();
    let mut edits: Vec<(usize, usize, String)> = lets
        .iter()
        .map(|(found, types)| match &found.destructuring {
            None => (
                found.after_pattern,
                found.type_end,
                format!(": {}", types.join("")),
            ),
            Some(destructuring) => {
                let mut bound_after = String::new();
                let declarations: String = destructuring
                    .bindings
                    .iter()
                    .zip(types)
                    .map(|((name, is_mut), ty)| {
                        let mutable = if *is_mut { "mut " } else { "" };
                        if destructuring.read_by_value.contains(name) {
                            let first = assigned_first(name);
                            bound_after.push_str(&format!(" let {mutable}{name}: {ty} = {first};"));
                            format!("let {first}: {ty}; ")
                        } else {
                            format!("let {mutable}{name}: {ty}; ")
                        }
                    })
                    .collect();
                let assignment = format!("{declarations}{} =", destructuring.assignee);
                if !bound_after.is_empty() {
                    edits_after.push((destructuring.end, destructuring.end, bound_after));
                }
                (destructuring.start, destructuring.after_eq, assignment)
            }
        })
        .collect();
    edits.append(&mut edits_after);
    edits.sort_by_key(|(start, _, _)| std::cmp::Reverse(*start));
    let mut code = code.to_owned();
    for (start, end, text) in edits {
        code.replace_range(start..end, &text);
    }
    code
}
