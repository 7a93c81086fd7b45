//! `nb example`: a preloaded linfa crate's own examples as notebooks, one command away.
//!
//! linfa's crates ship their `examples/*.rs` inside their packages, so once the stack is fetched
//! cargo has put them in its registry (`$CARGO_HOME/registry/src/<index>/<crate>-<version>/`).
//! They are read there, at the version the stack pins, and never copied into this repository.
//!
//! The conversion is what a student would do by hand, made exact with a parser: the items
//! outside `fn main` (its `use` lines, helper functions) come first, then `main`'s body,
//! dedented, without the `Ok(())` that ends a `Result`-returning `main`; both are split into
//! cells at blank lines between top-level statements (never inside one). The notebook carries
//! the stack's kernelspec and a session seed, so it runs as it is.

use std::path::{Path, PathBuf};

use nbformat::v4::Notebook;
use ra_ap_syntax::ast::{HasModuleItem, HasName};
use ra_ap_syntax::{AstNode, Edition, SourceFile, TextRange, TextSize, ast};

use repronote_stack::manifest::{PinnedCrate, pinned_versions};

/// The seed an example notebook carries (linfa's examples seed their own generators with 42).
pub const EXAMPLE_SEED: u64 = 42;

/// One example file of a stack crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// The crate's package name (`linfa-svm`).
    pub crate_name: String,
    pub version: String,
    /// The file's stem (`winequality_svm`).
    pub name: String,
    pub path: PathBuf,
}

/// Why an example could not be found or converted.
#[derive(Debug, thiserror::Error)]
pub enum ExampleError {
    #[error(
        "`{name}` is not a linfa crate of the preloaded stack; the crates with examples are: \
         {known}"
    )]
    UnknownCrate { name: String, known: String },
    #[error(
        "the source of {crate_name} {version} is not in cargo's registry (looked in {looked}); \
         run `repronote prebuild`, which fetches the stack's crates, then try again"
    )]
    SourceMissing {
        crate_name: String,
        version: String,
        looked: String,
    },
    #[error("{crate_name} has no example named `{name}`; its examples are: {known}")]
    UnknownExample {
        crate_name: String,
        name: String,
        known: String,
    },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} has no `fn main`, so there is nothing to run as cells")]
    NoMain { path: PathBuf },
}

/// The stack's linfa crates, at the versions the stack pins.
pub fn linfa_crates() -> Vec<PinnedCrate> {
    pinned_versions()
        .into_iter()
        .filter(|pinned| pinned.name == "linfa" || pinned.name.starts_with("linfa-"))
        .filter(|pinned| pinned.name != "linfa-export")
        .collect()
}

/// The folders cargo extracts registry packages into: `$CARGO_HOME/registry/src/*`.
fn registry_folders() -> Vec<PathBuf> {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| dirs::home_dir().map(|home| home.join(".cargo")));
    let Some(source) = cargo_home.map(|home| home.join("registry/src")) else {
        return Vec::new();
    };
    let mut folders: Vec<PathBuf> = std::fs::read_dir(&source)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.is_dir())
        .collect();
    folders.sort();
    folders
}

/// Every example of `pinned`, sorted by name; none when its package has no `examples/`.
pub fn examples_of(pinned: &PinnedCrate) -> Result<Vec<Example>, ExampleError> {
    let package = format!("{}-{}", pinned.name, pinned.version);
    let folders = registry_folders();
    let Some(root) = folders
        .iter()
        .map(|folder| folder.join(&package))
        .find(|root| root.join("Cargo.toml").is_file())
    else {
        let looked = if folders.is_empty() {
            "no registry folder exists".to_owned()
        } else {
            folders
                .iter()
                .map(|folder| folder.join(&package).display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Err(ExampleError::SourceMissing {
            crate_name: pinned.name.clone(),
            version: pinned.version.clone(),
            looked,
        });
    };
    let mut examples: Vec<Example> = std::fs::read_dir(root.join("examples"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        .filter_map(|path| {
            let name = path.file_stem()?.to_str()?.to_owned();
            Some(Example {
                crate_name: pinned.name.clone(),
                version: pinned.version.clone(),
                name,
                path,
            })
        })
        .collect();
    examples.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(examples)
}

/// The stack crate a user named: `linfa-svm`, `linfa_svm` or `svm`.
pub fn find_crate(name: &str) -> Result<PinnedCrate, ExampleError> {
    let wanted = name.replace('_', "-");
    let crates = linfa_crates();
    crates
        .iter()
        .find(|pinned| pinned.name == wanted || pinned.name == format!("linfa-{wanted}"))
        .cloned()
        .ok_or_else(|| ExampleError::UnknownCrate {
            name: name.to_owned(),
            known: crates
                .iter()
                .map(|pinned| pinned.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// The example `name` of `pinned`.
pub fn find_example(pinned: &PinnedCrate, name: &str) -> Result<Example, ExampleError> {
    let examples = examples_of(pinned)?;
    let wanted = name.trim_end_matches(".rs");
    examples
        .iter()
        .find(|example| example.name == wanted)
        .cloned()
        .ok_or_else(|| ExampleError::UnknownExample {
            crate_name: pinned.name.clone(),
            name: name.to_owned(),
            known: if examples.is_empty() {
                "none".to_owned()
            } else {
                examples
                    .iter()
                    .map(|example| example.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        })
}

/// `example` as a notebook for this kernel, seeded with [`EXAMPLE_SEED`].
pub fn example_notebook(example: &Example) -> Result<Notebook, ExampleError> {
    let source = std::fs::read_to_string(&example.path).map_err(|source| ExampleError::Read {
        path: example.path.clone(),
        source,
    })?;
    let cells = example_cells(&source).ok_or_else(|| ExampleError::NoMain {
        path: example.path.clone(),
    })?;
    let introduction = format!(
        "# {crate_name}: `{name}`\n\nThe example `examples/{name}.rs` of {crate_name} {version}, \
         as cells: the code outside `fn main` first, then `main`'s body. Written by `repronote \
         nb example {crate_name} {name}` from the package cargo fetched into its registry.",
        crate_name = example.crate_name,
        name = example.name,
        version = example.version,
    );
    let mut json_cells = vec![serde_json::json!({
        "cell_type": "markdown",
        "id": format!("{}-intro", example.name),
        "metadata": {},
        "source": crate::file::source_lines(&introduction),
    })];
    for (index, cell) in cells.iter().enumerate() {
        json_cells.push(serde_json::json!({
            "cell_type": "code",
            "id": format!("{}-{:02}", example.name, index + 1),
            "metadata": {},
            "execution_count": null,
            "outputs": [],
            "source": crate::file::source_lines(cell),
        }));
    }
    let document = serde_json::json!({
        "cells": json_cells,
        "metadata": {
            "kernelspec": {"name": "linfa", "display_name": "Rust (linfa)", "language": "rust"},
            "language_info": {"name": "rust"},
            "linfa": {"seed": EXAMPLE_SEED},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    });
    match nbformat::parse_notebook(&document.to_string()) {
        Ok(nbformat::Notebook::V4(notebook)) => Ok(notebook),
        other => unreachable!("a generated notebook is nbformat 4.5: {other:?}"),
    }
}

/// The cells of an example's source: its items outside `fn main`, then `main`'s body, each split
/// at blank lines between top-level statements. `None` when the file has no `fn main`.
pub fn example_cells(source: &str) -> Option<Vec<String>> {
    let file = SourceFile::parse(source, Edition::Edition2021).tree();
    let main = file.items().find_map(|item| match item {
        ast::Item::Fn(function) if function.name().is_some_and(|name| name.text() == "main") => {
            Some(function)
        }
        _ => None,
    })?;
    let statements = main.body()?.stmt_list()?;
    let main_range = main.syntax().text_range();
    let mut cells = Vec::new();
    // The items around `main`, in file order: before it, then after it (helper functions that
    // `main` calls must be defined before the cells that call them run).
    let items: Vec<TextRange> = file
        .items()
        .map(|item| item.syntax().text_range())
        .filter(|range| *range != main_range)
        .collect();
    let before = TextRange::new(TextSize::new(0), main_range.start());
    let after = TextRange::new(main_range.end(), TextSize::of(source));
    for region in [before, after] {
        cells.extend(split_at_blank_lines(source, region, &items));
    }
    // `main`'s body between its braces, without a final `Ok(())`.
    let inner_start = statements
        .l_curly_token()
        .map_or(statements.syntax().text_range().start(), |t| {
            t.text_range().end()
        });
    let mut inner_end = statements
        .r_curly_token()
        .map_or(statements.syntax().text_range().end(), |t| {
            t.text_range().start()
        });
    let mut body: Vec<TextRange> = statements
        .statements()
        .map(|statement| statement.syntax().text_range())
        .collect();
    if let Some(tail) = statements.tail_expr() {
        let compact: String = tail
            .syntax()
            .text()
            .to_string()
            .split_whitespace()
            .collect();
        if compact == "Ok(())" {
            inner_end = tail.syntax().text_range().start();
        } else {
            body.push(tail.syntax().text_range());
        }
    }
    let inner = TextRange::new(inner_start, inner_end.max(inner_start));
    cells.extend(split_at_blank_lines(source, inner, &body));
    Some(cells)
}

/// The text of `region`, split at blank lines that fall outside every range of `statements`,
/// each piece dedented; pieces holding only whitespace are dropped.
fn split_at_blank_lines(source: &str, region: TextRange, statements: &[TextRange]) -> Vec<String> {
    let inside_statement = |offset: usize| {
        statements
            .iter()
            .any(|range| usize::from(range.start()) < offset && offset < usize::from(range.end()))
    };
    let start = usize::from(region.start());
    let text = &source[start..usize::from(region.end())];
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut offset = start;
    for line in text.split_inclusive('\n') {
        if line.trim().is_empty() && !inside_statement(offset) {
            pieces.push(std::mem::take(&mut current));
        } else {
            current.push_str(line);
        }
        offset += line.len();
    }
    pieces.push(current);
    pieces
        .iter()
        .map(|piece| dedent(piece))
        .filter(|piece| !piece.trim().is_empty())
        .collect()
}

/// `text` without the indentation all its non-blank lines share, and without trailing blank
/// lines.
fn dedent(text: &str) -> String {
    let indent = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.len() - line.trim_start().len())
        .min()
        .unwrap_or(0);
    let lines: Vec<&str> = text
        .lines()
        .map(|line| line.get(indent..).unwrap_or(line.trim_start()))
        .collect();
    lines.join("\n").trim_end().to_owned()
}

/// Where `nb example` writes an example when no path is given: `<name>.ipynb` in `folder`.
pub fn default_path(folder: &Path, example: &Example) -> PathBuf {
    folder.join(format!("{}.ipynb", example.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = "use linfa::prelude::*;
use linfa_svm::{error::Result, Svm};

fn main() -> Result<()> {
    // load the data
    let (train, valid) = linfa_datasets::winequality()
        .map_targets(|x| *x > 6)

        .split_with_ratio(0.9);

    println!(\"{}\", train.nsamples());
    fn tag(x: &bool) -> String {
        if *x { \"good\".into() }

        else { \"bad\".into() }
    }

    Ok(())
}

fn helper() -> u32 {
    7
}
";

    #[test]
    fn items_come_first_then_mains_body_split_at_blank_lines_between_statements() {
        let cells = example_cells(EXAMPLE).unwrap();
        assert_eq!(
            cells,
            vec![
                "use linfa::prelude::*;\nuse linfa_svm::{error::Result, Svm};".to_owned(),
                "fn helper() -> u32 {\n    7\n}".to_owned(),
                "// load the data\nlet (train, valid) = linfa_datasets::winequality()\n    \
                 .map_targets(|x| *x > 6)\n\n    .split_with_ratio(0.9);"
                    .to_owned(),
                "println!(\"{}\", train.nsamples());\nfn tag(x: &bool) -> String {\n    if *x \
                 { \"good\".into() }\n\n    else { \"bad\".into() }\n}"
                    .to_owned(),
            ]
        );
    }

    #[test]
    fn a_tail_expression_other_than_ok_is_kept_as_the_last_cells_value() {
        let cells = example_cells("fn main() {\n    let x = 1;\n\n    x + 1\n}\n").unwrap();
        assert_eq!(cells, vec!["let x = 1;".to_owned(), "x + 1".to_owned()]);
    }

    #[test]
    fn a_file_without_main_has_no_cells() {
        assert_eq!(example_cells("pub fn helper() {}\n"), None);
    }

    #[test]
    fn crates_are_found_by_any_spelling_and_unknown_ones_are_listed() {
        assert_eq!(find_crate("svm").unwrap().name, "linfa-svm");
        assert_eq!(find_crate("linfa_trees").unwrap().name, "linfa-trees");
        let error = find_crate("sklearn").unwrap_err().to_string();
        assert!(error.contains("`sklearn` is not a linfa crate"), "{error}");
        assert!(error.contains("linfa-clustering"), "{error}");
        assert!(!error.contains("linfa-export"), "{error}");
    }
}
