//! Edition 2021 code in a 2024 crate: `gen` written as a raw identifier.
//!
//! Cells compile in edition 2024, the edition evcxr writes into their `Cargo.toml` and needs
//! (its generated code uses let chains). linfa's code and examples, and rand 0.8's documentation,
//! are written for 2021, where `rng.gen::<f64>()` is a method call; in 2024 `gen` is a reserved
//! keyword and rustc refuses the line. `gen` can only be an identifier in such code, so the
//! kernel writes every `gen` token as `r#gen`, which means the same in both editions. Strings,
//! comments and `r#gen` itself are left alone, and the cell keeps its lines.

use ra_ap_rustc_lexer::{FrontmatterAllowed, TokenKind, tokenize};

/// `code` with each identifier `gen` written `r#gen`.
pub fn raw_gen(code: &str) -> String {
    if !code.contains("gen") {
        return code.to_owned();
    }
    let mut rewritten = String::with_capacity(code.len() + 8);
    let mut at = 0;
    for token in tokenize(code, FrontmatterAllowed::No) {
        let text = &code[at..at + token.len as usize];
        if token.kind == TokenKind::Ident && text == "gen" {
            rewritten.push_str("r#gen");
        } else {
            rewritten.push_str(text);
        }
        at += token.len as usize;
    }
    rewritten
}

#[cfg(test)]
mod tests {
    use super::raw_gen;

    #[test]
    fn gen_calls_become_raw_identifiers_and_nothing_else_changes() {
        assert_eq!(
            raw_gen("let x = 0.5 - rng.gen::<f64>();\nlet y: u8 = Rng::gen(&mut rng);"),
            "let x = 0.5 - rng.r#gen::<f64>();\nlet y: u8 = Rng::r#gen(&mut rng);"
        );
        for unchanged in [
            "let s = \"gen\"; // gen",
            "rng.r#gen::<u8>()",
            "let generated = gen_range;",
            "let g = rng.gen_range(0..3);",
        ] {
            assert_eq!(raw_gen(unchanged), unchanged);
        }
    }
}
