//! The library's layers point down: no module imports from a layer above its own.
//!
//! `src/` holds `lib.rs` and one folder per layer, bottom to top: `format`, `integrity`,
//! `trust`, `record`, `model`, `tools` (an optional `error.rs` beside `lib.rs` would sit
//! below them all). A file's layer is the folder it is in. Every `crate::<name>` the code
//! names, in a `use` (grouped ones included, over several lines or nested) or inline in an
//! expression or a type, must name its own layer or a lower one; naming an item through the
//! crate root (`crate::Manifest`) hides which layer it comes from, so that is refused too.
//! Comments, doc links included, are not code and are skipped. `src/bin/` is a client of
//! the library, not a layer, and is not checked.
//!
//! The scan is by text, not by parsing Rust: comment lines and trailing `// …` comments are
//! dropped, then each `crate::` that does not continue an identifier (`$crate::`,
//! `my_crate::`) is read. The unit tests at the end show that it catches what it should.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

/// The layers, bottom to top. `error` is the optional module at the very bottom.
const LAYERS: &[&str] = &[
    "error",
    "format",
    "integrity",
    "trust",
    "record",
    "model",
    "tools",
];

fn rank(layer: &str) -> Option<usize> {
    LAYERS.iter().position(|l| *l == layer)
}

/// A reference that breaks the layering.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Violation {
    file: String,
    line: usize,
    /// The file's layer.
    from: String,
    /// What it names after `crate::`.
    to: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if rank(&self.to).is_some() {
            write!(
                f,
                "{}:{}: layer `{}` uses `crate::{}`, a higher layer",
                self.file, self.line, self.from, self.to
            )
        } else {
            write!(
                f,
                "{}:{}: layer `{}` names `crate::{}` through the crate root; name its layer",
                self.file, self.line, self.from, self.to
            )
        }
    }
}

/// `text` with comments blanked, line structure kept: lines that start with `//` (`///`,
/// `//!` too), and a trailing ` //` comment outside a string literal.
fn code_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        if !line.trim_start().starts_with("//") {
            let mut in_string = false;
            let mut escaped = false;
            let mut end = line.len();
            let bytes = line.as_bytes();
            for (i, &b) in bytes.iter().enumerate() {
                match b {
                    _ if escaped => escaped = false,
                    b'\\' if in_string => escaped = true,
                    b'"' => in_string = !in_string,
                    b'/' if !in_string && bytes.get(i + 1) == Some(&b'/') => {
                        end = i;
                        break;
                    }
                    _ => {}
                }
            }
            out.push_str(&line[..end]);
        }
        out.push('\n');
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The leading identifier of `s`.
fn ident(s: &str) -> &str {
    let end = s.find(|c: char| !is_ident(c)).unwrap_or(s.len());
    &s[..end]
}

/// Every name directly after a `crate::` in `code`, with its 1-based line: one per item of a
/// group (`crate::{a::x, b::{y, z}}` gives `a` and `b`), however many lines it spans.
fn crate_references(code: &str) -> Vec<(usize, String)> {
    let line_of = |offset: usize| code[..offset].matches('\n').count() + 1;
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = code[from..].find("crate::").map(|i| i + from) {
        from = at + "crate::".len();
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| is_ident(c) || c == '$') {
            continue;
        }
        let rest = &code[from..];
        let skipped = rest.len() - rest.trim_start().len();
        let start = from + skipped;
        if !code[start..].starts_with('{') {
            found.push((line_of(start), ident(&code[start..]).to_owned()));
            continue;
        }
        // A group: split at the commas of its own level.
        let mut depth = 0;
        let mut item_start = start + 1;
        for (i, c) in code[start..].char_indices() {
            let i = start + i;
            match c {
                '{' => depth += 1,
                '}' | ',' if depth == 1 => {
                    let item = &code[item_start..i];
                    let name = ident(item.trim_start());
                    if !name.is_empty() && name != "self" {
                        let offset = item_start + (item.len() - item.trim_start().len());
                        found.push((line_of(offset), name.to_owned()));
                    }
                    item_start = i + 1;
                    if c == '}' {
                        break;
                    }
                }
                '}' => depth -= 1,
                _ => {}
            }
        }
    }
    found
}

/// Every reference in `text` (a file of `layer`) to a higher layer or through the crate root.
fn check_file(file: &str, layer: &str, text: &str) -> Vec<Violation> {
    let own = rank(layer).unwrap_or_else(|| panic!("{file}: `{layer}` is not a layer"));
    crate_references(&code_only(text))
        .into_iter()
        .filter(|(_, to)| rank(to).is_none_or(|r| r > own))
        .map(|(line, to)| Violation {
            file: file.to_owned(),
            line,
            from: layer.to_owned(),
            to,
        })
        .collect()
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_import_points_down() {
    let src = src();
    let mut files = Vec::new();
    for layer in &LAYERS[1..] {
        rust_files(&src.join(layer), &mut files);
    }
    if src.join("error.rs").is_file() {
        files.push(src.join("error.rs"));
    }
    files.sort();
    assert!(files.len() > 20, "found only {files:?}");
    let mut violations = Vec::new();
    for path in &files {
        let relative = path.strip_prefix(&src).unwrap();
        let first = relative.components().next().unwrap().as_os_str();
        let layer = first.to_str().unwrap().trim_end_matches(".rs");
        let name = format!("src/{}", relative.display());
        violations.extend(check_file(&name, layer, &fs::read_to_string(path).unwrap()));
    }
    let lines: Vec<String> = violations.iter().map(ToString::to_string).collect();
    assert!(
        lines.is_empty(),
        "imports that point up:\n{}",
        lines.join("\n")
    );
}

#[test]
fn src_holds_only_lib_rs_and_the_layer_folders() {
    let src = src();
    let mut strays = Vec::new();
    for entry in fs::read_dir(&src).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        let allowed = if entry.file_type().unwrap().is_dir() {
            name == "bin" || (name != "error" && rank(&name).is_some())
        } else {
            name == "lib.rs" || name == "error.rs"
        };
        if !allowed {
            strays.push(name);
        }
    }
    assert!(strays.is_empty(), "not a layer: src/{strays:?}");
    for layer in &LAYERS[1..] {
        let module = src.join(layer).join("mod.rs");
        let text =
            fs::read_to_string(&module).unwrap_or_else(|e| panic!("{}: {e}", module.display()));
        assert!(
            text.starts_with("//!"),
            "{}: say what the layer is for",
            module.display()
        );
    }
}

#[test]
fn an_upward_import_is_reported_in_every_form() {
    let text = "\
//! [`Trust`](crate::trust::policy::Trust) in a doc link is not an import.
use crate::format::manifest::Manifest;
use crate::trust::policy::Trust;
use crate::{
    format::digest,
    model::load::Loaded,
};
use crate::{integrity::{folder, hashing}, tools::diff, record};
fn f() -> crate::format::parent::Parent {
    let url = \"https://example.org\"; // crate::tools::x in a comment
    let _ = crate::trust::policy::Trust::default();
    let _ = $crate::tools::x;
    let _ = my_crate::tools::x;
    crate::Manifest::parse(b\"\")
}
";
    let found: Vec<(usize, String)> = check_file("src/integrity/x.rs", "integrity", text)
        .into_iter()
        .map(|v| (v.line, v.to))
        .collect();
    assert_eq!(
        found,
        [
            (3, "trust".to_owned()),
            (6, "model".to_owned()),
            (8, "tools".to_owned()),
            (8, "record".to_owned()),
            (11, "trust".to_owned()),
            (14, "Manifest".to_owned()),
        ]
    );
    let message =
        check_file("src/format/m.rs", "format", "use crate::trust::sign;\n")[0].to_string();
    assert_eq!(
        message,
        "src/format/m.rs:1: layer `format` uses `crate::trust`, a higher layer"
    );
    // Down and sideways is fine.
    assert!(
        check_file("src/tools/t.rs", "tools", text)
            .iter()
            .all(|v| v.to == "Manifest")
    );
    assert!(check_file("src/trust/t.rs", "trust", "use crate::trust::keys;\n").is_empty());
}
