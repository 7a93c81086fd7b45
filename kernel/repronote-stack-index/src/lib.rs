//! Completion for the preloaded stack without rust-analyzer.
//!
//! Loading the whole linfa stack (124 packages) into evcxr's in-process rust-analyzer costs the
//! kernel seconds at start-up and hundreds of megabytes, so the kernel only lets it see std.
//! This crate keeps tab completion and inspection working for the stack anyway: at prebuild
//! time [`StackIndex::build`] parses the stack crates' sources with `ra_ap_syntax` (the parser
//! alone, no type inference) into an index of their public items, re-exports and the methods
//! of each type, which is saved as compact JSON; at completion time the kernel loads it and
//! answers [`StackIndex::path_items`], [`StackIndex::methods`] and [`StackIndex::doc`] with map
//! lookups, never delaying a cell.
//!
//! The index also keeps the stack's type aliases with their targets, so that a type rustc writes
//! through a private module can be written through the public alias that names it
//! ([`StackIndex::publicly_named`]): the kernel writes each kept variable's type into the cell.
//!
//! - [`site`] finds what the code before the cursor asks for ([`completion_site`]);
//! - `modules` walks each crate's module tree, `resolve` follows `use` re-exports, and `impls`
//!   gathers each type's methods from inherent, trait and blanket impls;
//! - `aliases` records each type alias's parameters and target as a `type_tree`, `alias_match`
//!   finds the alias naming a type, and `public_type` rewrites a type rustc wrote with them.

mod alias_match;
mod aliases;
mod impls;
mod indexing;
mod members;
mod modules;
mod public_type;
mod resolve;
pub mod site;
mod syntax;
mod type_tree;
mod types;

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use serde::{Deserialize, Serialize};

pub use site::{CompletionSite, completion_site};

use crate::aliases::AliasRecord;
use crate::types::ParsedType;

/// The index file's format; [`StackIndex::load`] refuses any other. 2: type aliases' targets.
/// Part of the prebuilt stack's cache key, so a kernel never finds an index of another format.
pub const FORMAT: u32 = 2;

/// How many type aliases a method lookup follows.
const MAX_ALIAS_HOPS: usize = 4;

/// One crate to index: the name code uses for it (`linfa_clustering`) and its root source file
/// (`.../src/lib.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrateSource {
    pub name: String,
    pub root: PathBuf,
}

/// What kind of item a completion or doc is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ItemKind {
    Module,
    Struct,
    Enum,
    Trait,
    Function,
    Method,
    TypeAlias,
    Const,
    Static,
    Macro,
    Variant,
}

/// One completion candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub name: String,
    pub kind: ItemKind,
}

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error(
        "cannot read the stack source {path}: {source}; check that the crate's sources are in \
         the cargo registry (`cargo fetch`) and the path is right"
    )]
    ReadSource {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "cannot read the stack index {path}: {source}; rebuild it with `StackIndex::build` \
         and `save` at prebuild time"
    )]
    ReadIndex {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the stack index {path} is not valid JSON ({source}); delete it and rebuild it at \
         prebuild time"
    )]
    InvalidIndex {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error(
        "the stack index {path} has format {found}, this kernel reads format {expected}; \
         rebuild it at prebuild time"
    )]
    IncompatibleIndex {
        path: PathBuf,
        found: u32,
        expected: u32,
    },
    #[error(
        "cannot write the stack index {path}: {source}; check that its directory exists and is \
         writable"
    )]
    WriteIndex {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// An index of the stack crates' public items and each type's methods.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StackIndex {
    #[serde(rename = "v")]
    format: u32,
    #[serde(rename = "c")]
    crates: Vec<CrateEntry>,
    /// The names each public module offers, sorted by name; crate roots included.
    #[serde(rename = "m")]
    modules: Vec<Vec<Entry>>,
    /// Each type's (and trait's) members, by type name, one entry per defining crate.
    #[serde(rename = "t")]
    types: BTreeMap<String, Vec<TypeEntry>>,
    /// Every type alias of the indexed crates, public or not, with its target.
    #[serde(rename = "a", default)]
    aliases: Vec<AliasRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct CrateEntry {
    #[serde(rename = "n")]
    name: String,
    /// Its root module, in `modules`.
    #[serde(rename = "r")]
    root: u32,
    #[serde(rename = "d", default, skip_serializing_if = "Option::is_none")]
    doc: Option<String>,
}

/// A name a module offers.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    #[serde(rename = "n")]
    name: String,
    #[serde(rename = "k")]
    kind: ItemKind,
    #[serde(rename = "d", default, skip_serializing_if = "Option::is_none")]
    doc: Option<String>,
    /// For a module: its index in `modules`.
    #[serde(rename = "m", default, skip_serializing_if = "Option::is_none")]
    module: Option<u32>,
    /// For a type or trait: the crate defining it, an index in `crates`.
    #[serde(rename = "c", default, skip_serializing_if = "Option::is_none")]
    krate: Option<u32>,
}

/// An associated item, enum variant or method of a type or trait.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Member {
    #[serde(rename = "n")]
    pub name: String,
    #[serde(rename = "k")]
    pub kind: ItemKind,
    /// Takes `self`: called with `.`.
    #[serde(rename = "s", default, skip_serializing_if = "std::ops::Not::not")]
    pub has_self: bool,
    #[serde(rename = "d", default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
}

/// The members of the types of one name defined in one crate.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct TypeEntry {
    /// The defining crate (`None`: outside the index, such as `f64`).
    #[serde(rename = "c", default, skip_serializing_if = "Option::is_none")]
    pub krate: Option<u32>,
    #[serde(rename = "m", default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<Member>,
    /// For a type alias: the type it names, (name, defining crate).
    #[serde(rename = "a", default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<(String, Option<u32>)>,
}

/// What a path names in the index.
enum Node<'a> {
    Module(u32),
    /// A type or trait: its name and defining crate.
    Type(&'a str, Option<u32>),
}

impl StackIndex {
    /// Writes the index to `path` as compact JSON.
    pub fn save(&self, path: &Path) -> Result<(), IndexError> {
        let write_error = |source| IndexError::WriteIndex {
            path: path.to_path_buf(),
            source,
        };
        let json = serde_json::to_vec(self).map_err(|e| write_error(std::io::Error::other(e)))?;
        std::fs::write(path, json).map_err(write_error)?;
        tracing::debug!(path = %path.display(), "stack index saved");
        Ok(())
    }

    /// Reads an index written by [`StackIndex::save`].
    pub fn load(path: &Path) -> Result<StackIndex, IndexError> {
        let json = std::fs::read(path).map_err(|source| IndexError::ReadIndex {
            path: path.to_path_buf(),
            source,
        })?;
        let index: StackIndex =
            serde_json::from_slice(&json).map_err(|source| IndexError::InvalidIndex {
                path: path.to_path_buf(),
                source,
            })?;
        if index.format != FORMAT {
            return Err(IndexError::IncompatibleIndex {
                path: path.to_path_buf(),
                found: index.format,
                expected: FORMAT,
            });
        }
        tracing::debug!(path = %path.display(), crates = index.crates.len(), "stack index loaded");
        Ok(index)
    }

    /// The indexed crates' names, in the order given to [`StackIndex::build`].
    pub fn crate_names(&self) -> impl Iterator<Item = &str> {
        self.crates.iter().map(|c| c.name.as_str())
    }

    /// Items named by `path` (`["linfa_clustering"]`, `["linfa", "prelude"]`, or
    /// `["linfa_clustering", "KMeans"]` for associated fns and consts and enum variants) whose
    /// name starts with `prefix`, sorted, no duplicates. An empty `path` lists the crates.
    pub fn path_items(&self, path: &[&str], prefix: &str) -> Vec<Completion> {
        let found = if path.is_empty() {
            self.crates
                .iter()
                .map(|c| completion(&c.name, ItemKind::Module))
                .collect()
        } else {
            match self.node(path) {
                Some(Node::Module(id)) => self
                    .module(id)
                    .iter()
                    .map(|e| completion(&e.name, e.kind))
                    .collect(),
                Some(Node::Type(name, krate)) => {
                    let is_trait = self.is_trait(path);
                    self.members(name, krate)
                        .filter(|m| is_trait || !m.has_self)
                        .map(|m| completion(&m.name, m.kind))
                        .collect()
                }
                None => Vec::new(),
            }
        };
        finish(found, prefix)
    }

    /// Methods callable with `.` on a value of type `ty`, written as the kernel writes types
    /// (full paths with generics, `&T`, `&mut T`), whose name starts with `prefix`, sorted, no
    /// duplicates.
    pub fn methods(&self, ty: &str, prefix: &str) -> Vec<Completion> {
        let mut found = Vec::new();
        self.collect_methods(ty, &mut found, 0);
        finish(found, prefix)
    }

    fn collect_methods(&self, ty: &str, found: &mut Vec<Completion>, depth: usize) {
        let Some(parsed) = ParsedType::parse(ty) else {
            return;
        };
        let krate = parsed
            .krate
            .and_then(|name| self.crates.iter().position(|c| c.name == name))
            .map(to_u32);
        found.extend(
            self.members(parsed.name, krate)
                .filter(|m| m.has_self)
                .map(|m| completion(&m.name, ItemKind::Method)),
        );
        // A smart pointer also offers its pointee's methods.
        if depth < MAX_ALIAS_HOPS
            && matches!(parsed.name, "Box" | "Rc" | "Arc")
            && let Some(inner) = parsed.first_arg
        {
            self.collect_methods(inner, found, depth + 1);
        }
    }

    /// The first paragraph of an item's doc comment and its kind (`["linfa_clustering",
    /// "KMeans"]`, `["linfa_clustering", "KMeans", "params"]`, `["linfa"]`); the text is empty
    /// when the item has no doc comment.
    pub fn doc(&self, path: &[&str]) -> Option<(ItemKind, String)> {
        match path {
            [] => None,
            [krate] => {
                let entry = self.crates.iter().find(|c| c.name == *krate)?;
                Some((ItemKind::Module, entry.doc.clone().unwrap_or_default()))
            }
            [parent @ .., last] => match self.node(parent)? {
                Node::Module(id) => {
                    let entry = self.module(id).iter().find(|e| e.name == *last)?;
                    Some((entry.kind, entry.doc.clone().unwrap_or_default()))
                }
                Node::Type(name, krate) => {
                    let member = self.members(name, krate).find(|m| m.name == *last)?;
                    Some((member.kind, member.doc.clone().unwrap_or_default()))
                }
            },
        }
    }

    fn module(&self, id: u32) -> &[Entry] {
        self.modules.get(id as usize).map_or(&[], Vec::as_slice)
    }

    /// What `path` (starting with a crate name) names.
    fn node(&self, path: &[&str]) -> Option<Node<'_>> {
        let (first, rest) = path.split_first()?;
        let krate = self.crates.iter().find(|c| c.name == *first)?;
        let mut node = Node::Module(krate.root);
        for segment in rest {
            let Node::Module(id) = node else {
                return None;
            };
            let entries = self.module(id);
            let named = || entries.iter().filter(|e| e.name == *segment);
            node = if let Some(module) = named().find_map(|e| e.module) {
                Node::Module(module)
            } else {
                let entry = named().find(|e| {
                    matches!(
                        e.kind,
                        ItemKind::Struct | ItemKind::Enum | ItemKind::Trait | ItemKind::TypeAlias
                    )
                })?;
                Node::Type(&entry.name, entry.krate)
            };
        }
        Some(node)
    }

    fn is_trait(&self, path: &[&str]) -> bool {
        let Some((last, parent)) = path.split_last() else {
            return false;
        };
        matches!(self.node(parent), Some(Node::Module(id))
            if self.module(id).iter().any(|e| e.name == *last && e.kind == ItemKind::Trait))
    }

    /// The members of the type `name`: those of the entry defined in `krate` and those whose
    /// crate is unknown, or of every crate's entry when `krate` defines none; type aliases
    /// followed.
    fn members(&self, name: &str, krate: Option<u32>) -> impl Iterator<Item = &Member> {
        let mut entries = Vec::new();
        self.type_entries(name, krate, 0, &mut entries);
        entries.into_iter().flat_map(|e| e.members.iter())
    }

    fn type_entries<'a>(
        &'a self,
        name: &str,
        krate: Option<u32>,
        hops: usize,
        out: &mut Vec<&'a TypeEntry>,
    ) {
        let Some(all) = self.types.get(name) else {
            return;
        };
        let defined_in_krate = krate.is_some() && all.iter().any(|e| e.krate == krate);
        for entry in all {
            if defined_in_krate && entry.krate.is_some() && entry.krate != krate {
                continue;
            }
            out.push(entry);
            if let Some((target, target_krate)) = &entry.alias
                && hops < MAX_ALIAS_HOPS
                && target != name
            {
                self.type_entries(target, *target_krate, hops + 1, out);
            }
        }
    }
}

fn completion(name: &str, kind: ItemKind) -> Completion {
    Completion {
        name: name.to_string(),
        kind,
    }
}

/// Keeps the completions starting with `prefix`, sorted by name then kind, without repeats.
fn finish(mut found: Vec<Completion>, prefix: &str) -> Vec<Completion> {
    found.retain(|c| c.name.starts_with(prefix));
    found.sort_by(|a, b| (&a.name, a.kind).cmp(&(&b.name, b.kind)));
    found.dedup();
    found
}

fn to_u32(index: usize) -> u32 {
    u32::try_from(index).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests;
