//! `is_complete`: should the console run this text, or wait for more lines?
//!
//! Rust has no statement terminator a console could wait for, so the answer comes first from
//! the tokens: an open `(`, `[` or `{`, an unterminated string or block comment means more is
//! coming (`incomplete`, with an indent hint per open delimiter); a closing delimiter that
//! does not match what is open can never become valid (`invalid`). Balanced text is then
//! parsed, as the body of a function (which is what a cell's statements and items are), with
//! rust-analyzer's parser, the one evcxr uses: no error is `complete`; errors only where the
//! text ends (`let x =`) mean more is coming; an error before that (`let = ;`) is `invalid`.
//! Magic lines (`:dep ...`) are the kernel's, not Rust, and are left out of the parse.

use ra_ap_rustc_lexer::{FrontmatterAllowed, LiteralKind, TokenKind, tokenize};
use ra_ap_syntax::{Edition, SourceFile, TextSize};

/// The answer to an `is_complete_request`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Completeness {
    Complete,
    Incomplete { indent: String },
    Invalid,
}

/// Classifies a cell's text by its tokens.
pub fn classify(code: &str) -> Completeness {
    let mut open: Vec<char> = Vec::new();
    for token in tokenize(code, FrontmatterAllowed::No) {
        match token.kind {
            TokenKind::OpenParen => open.push(')'),
            TokenKind::OpenBracket => open.push(']'),
            TokenKind::OpenBrace => open.push('}'),
            TokenKind::CloseParen | TokenKind::CloseBracket | TokenKind::CloseBrace => {
                let closing = match token.kind {
                    TokenKind::CloseParen => ')',
                    TokenKind::CloseBracket => ']',
                    _ => '}',
                };
                if open.pop() != Some(closing) {
                    return Completeness::Invalid;
                }
            }
            TokenKind::BlockComment {
                terminated: false, ..
            } => {
                return Completeness::Incomplete {
                    indent: String::new(),
                };
            }
            TokenKind::Literal { kind, .. } if !literal_terminated(kind) => {
                return Completeness::Incomplete {
                    indent: String::new(),
                };
            }
            _ => {}
        }
    }
    if open.is_empty() {
        by_parse(code)
    } else {
        Completeness::Incomplete {
            indent: "    ".repeat(open.len()),
        }
    }
}

/// What the body of a function opens with, around the cell's text.
const BODY_OPEN: &str = "fn cell() {\n";

/// Classifies balanced text by its parse.
fn by_parse(code: &str) -> Completeness {
    let rust: Vec<&str> = code
        .lines()
        .map(|line| {
            if line.trim_start().starts_with(':') {
                ""
            } else {
                line
            }
        })
        .collect();
    let rust = rust.join("\n");
    let text = format!("{BODY_OPEN}{rust}\n}}\n");
    let errors = SourceFile::parse(&text, Edition::Edition2024).errors();
    if errors.is_empty() {
        return Completeness::Complete;
    }
    // Everything after the cell's last non-blank character: the wrapper's closing brace.
    let end = TextSize::from((BODY_OPEN.len() + rust.trim_end().len()) as u32);
    if errors.iter().all(|error| error.range().start() >= end) {
        Completeness::Incomplete {
            indent: String::new(),
        }
    } else {
        Completeness::Invalid
    }
}

fn literal_terminated(kind: LiteralKind) -> bool {
    match kind {
        LiteralKind::Char { terminated }
        | LiteralKind::Byte { terminated }
        | LiteralKind::Str { terminated }
        | LiteralKind::ByteStr { terminated }
        | LiteralKind::CStr { terminated } => terminated,
        LiteralKind::RawStr { n_hashes }
        | LiteralKind::RawByteStr { n_hashes }
        | LiteralKind::RawCStr { n_hashes } => n_hashes.is_some(),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balanced_code_is_complete() {
        for code in [
            "let x = 1;",
            "fn f() { 1 }",
            ":dep rand = \"0.8\"",
            "",
            "\"a { b\"",
            ":dep rand\nuse std::collections::HashMap;\nlet m: HashMap<u8, u8> = HashMap::new();\nm.len()",
            "#[derive(Debug)]\nstruct P { x: f64 }\nimpl P { fn x(&self) -> f64 { self.x } }",
            "let r = f()?;\nr",
            "// only a comment",
        ] {
            assert_eq!(classify(code), Completeness::Complete, "{code}");
        }
    }

    #[test]
    fn open_delimiters_strings_and_comments_are_incomplete() {
        assert_eq!(
            classify("fn f() {\n    if x {"),
            Completeness::Incomplete {
                indent: "        ".to_owned()
            }
        );
        for code in [
            "let s = \"abc",
            "/* note",
            "let v = vec![1, 2,",
            "r#\"raw",
            "let x =",
            "let total = a +\n",
        ] {
            assert!(
                matches!(classify(code), Completeness::Incomplete { .. }),
                "{code}"
            );
        }
    }

    #[test]
    fn mismatched_closers_are_invalid() {
        // The last three have balanced delimiters: only the parser sees them.
        for code in [
            "let x = 1 + );",
            "fn f() { ]",
            "}",
            "let = ;",
            "fn 1() {}",
            "let x = 1 2;",
        ] {
            assert_eq!(classify(code), Completeness::Invalid, "{code}");
        }
    }
}
