//! `is_complete`: should the console run this text, or wait for more lines?
//!
//! Rust has no statement terminator a console could wait for, so the answer comes from the
//! tokens: an open `(`, `[` or `{`, an unterminated string or block comment means more is
//! coming (`incomplete`, with an indent hint per open delimiter); a closing delimiter that
//! does not match what is open can never become valid (`invalid`); everything else is
//! `complete` and the compiler gets to judge it. Magic lines (`:dep ...`) are complete.

use ra_ap_rustc_lexer::{FrontmatterAllowed, LiteralKind, TokenKind, tokenize};

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
        Completeness::Complete
    } else {
        Completeness::Incomplete {
            indent: "    ".repeat(open.len()),
        }
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
        for code in ["let s = \"abc", "/* note", "let v = vec![1, 2,", "r#\"raw"] {
            assert!(
                matches!(classify(code), Completeness::Incomplete { .. }),
                "{code}"
            );
        }
    }

    #[test]
    fn mismatched_closers_are_invalid() {
        for code in ["let x = 1 + );", "fn f() { ]", "}"] {
            assert_eq!(classify(code), Completeness::Invalid, "{code}");
        }
    }
}
