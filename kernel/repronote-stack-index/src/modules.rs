//! The module walk: each crate's files, parsed from its root through `mod x;` into modules
//! holding their items, `use` declarations and impl blocks, with nothing resolved yet.

use std::path::{Path, PathBuf};

use ra_ap_syntax::{
    AstNode, Edition, SourceFile,
    ast::{self, HasGenericParams, HasModuleItem, HasName},
};

use crate::members::{assoc_members, enum_variants, flatten_use_tree, type_params, where_bounds};
use crate::{CrateSource, IndexError, ItemKind, Member, syntax};

/// Every crate's modules and impls, as written.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    pub crate_names: Vec<String>,
    /// The root module of each crate, by crate index.
    pub roots: Vec<usize>,
    pub modules: Vec<RawModule>,
    pub impls: Vec<RawImpl>,
}

#[derive(Debug)]
pub(crate) struct RawModule {
    pub krate: usize,
    pub parent: Option<usize>,
    pub doc: Option<String>,
    pub items: Vec<RawItem>,
    pub uses: Vec<RawUse>,
}

/// An item defined in a module.
#[derive(Debug)]
pub(crate) struct RawItem {
    pub name: String,
    pub kind: ItemKind,
    /// Plain `pub` and not `#[doc(hidden)]`: offered to other crates.
    pub is_pub: bool,
    /// `#[doc(hidden)]`: never offered, even when re-exported.
    pub hidden: bool,
    pub doc: Option<String>,
    /// The module a `Module` item declares.
    pub module: Option<usize>,
    /// A trait's items or an enum's variants.
    pub members: Vec<Member>,
    /// The traits in `#[derive(...)]`.
    pub derives: Vec<String>,
    /// The path of the type a type alias names.
    pub alias_of: Option<Vec<String>>,
    /// A type alias's parameters and target, as written.
    pub alias: Option<RawAlias>,
}

/// A type alias as written: `type Name<params> = target;`.
#[derive(Debug)]
pub(crate) struct RawAlias {
    /// Its type and const parameters, in order.
    pub params: Vec<String>,
    /// Whether it has lifetime parameters.
    pub lifetimes: bool,
    /// The target type's text.
    pub target: String,
}

impl RawItem {
    /// Leaves an item with nothing beyond its name, kind and doc.
    fn plain(_: &mut RawItem) {}
}

/// One name brought in by a `use` declaration (a use tree is flattened into several).
#[derive(Debug)]
pub(crate) struct RawUse {
    pub path: Vec<String>,
    pub import: Import,
    pub is_pub: bool,
}

#[derive(Debug)]
pub(crate) enum Import {
    /// The last segment of `path`, under this name.
    Named(String),
    /// Every name of the module `path`.
    Glob,
}

/// An `impl` block.
#[derive(Debug)]
pub(crate) struct RawImpl {
    pub module: usize,
    pub self_ty: SelfTy,
    pub trait_path: Option<Vec<String>>,
    /// The block's items (for an inherent impl, only the `pub` ones).
    pub members: Vec<Member>,
}

#[derive(Debug)]
pub(crate) enum SelfTy {
    /// `impl ... for a::B<..>` (or `&B`).
    Path(Vec<String>),
    /// A blanket impl `impl<T: A + B> ... for T`: the bounds' trait paths on `T`.
    Generic(Vec<Vec<String>>),
}

/// Where a module's `mod x;` files are looked for.
#[derive(Debug, Clone)]
struct Dirs {
    /// The directory for `x.rs` and `x/mod.rs`.
    children: PathBuf,
    /// The directory `#[path = "..."]` is relative to.
    path_attr: PathBuf,
}

impl Parsed {
    pub fn parse(crates: &[CrateSource]) -> Result<Parsed, IndexError> {
        let mut parsed = Parsed {
            crate_names: crates.iter().map(|c| c.name.clone()).collect(),
            ..Parsed::default()
        };
        for (krate, source) in crates.iter().enumerate() {
            let root = parsed.new_module(krate, None, None);
            parsed.roots.push(root);
            let dir = source
                .root
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default();
            let dirs = Dirs {
                children: dir.clone(),
                path_attr: dir,
            };
            parsed.parse_file(&source.root, root, &dirs)?;
        }
        Ok(parsed)
    }

    fn new_module(&mut self, krate: usize, parent: Option<usize>, doc: Option<String>) -> usize {
        self.modules.push(RawModule {
            krate,
            parent,
            doc,
            items: Vec::new(),
            uses: Vec::new(),
        });
        self.modules.len() - 1
    }

    fn parse_file(&mut self, file: &Path, module: usize, dirs: &Dirs) -> Result<(), IndexError> {
        let text = std::fs::read_to_string(file).map_err(|source| IndexError::ReadSource {
            path: file.to_path_buf(),
            source,
        })?;
        let tree = SourceFile::parse(&text, Edition::Edition2021).tree();
        if self.modules[module].doc.is_none() {
            self.modules[module].doc = syntax::first_doc_paragraph(tree.syntax());
        }
        self.walk_items(tree.items(), module, dirs)
    }

    fn walk_items(
        &mut self,
        items: impl Iterator<Item = ast::Item>,
        module: usize,
        dirs: &Dirs,
    ) -> Result<(), IndexError> {
        for item in items {
            let attrs = syntax::attrs(&item);
            if syntax::is_test_only(&attrs) {
                continue;
            }
            let hidden = syntax::is_doc_hidden(&attrs);
            match item {
                ast::Item::Module(it) => self.add_module(&it, &attrs, hidden, module, dirs)?,
                ast::Item::Use(it) => {
                    let is_pub = syntax::is_plain_pub(&it) && !hidden;
                    if let Some(tree) = it.use_tree() {
                        let uses = &mut self.modules[module].uses;
                        flatten_use_tree(&tree, &[], is_pub, uses);
                    }
                }
                ast::Item::Impl(it) => self.add_impl(&it, module),
                ast::Item::MacroRules(it) => {
                    if attrs.iter().any(|a| a == "macro_export") {
                        let root = self.roots[self.modules[module].krate];
                        self.push_item(root, &it, ItemKind::Macro, !hidden, hidden, RawItem::plain);
                    }
                }
                ast::Item::Fn(it) => {
                    self.push_named(module, &it, ItemKind::Function, hidden, RawItem::plain)
                }
                ast::Item::Const(it) => {
                    self.push_named(module, &it, ItemKind::Const, hidden, RawItem::plain)
                }
                ast::Item::Static(it) => {
                    self.push_named(module, &it, ItemKind::Static, hidden, RawItem::plain)
                }
                ast::Item::Struct(it) => {
                    self.push_named(module, &it, ItemKind::Struct, hidden, |item| {
                        item.derives = syntax::derives(&attrs);
                    })
                }
                ast::Item::Union(it) => {
                    self.push_named(module, &it, ItemKind::Struct, hidden, |item| {
                        item.derives = syntax::derives(&attrs);
                    })
                }
                ast::Item::Enum(it) => {
                    let variants = enum_variants(&it);
                    self.push_named(module, &it, ItemKind::Enum, hidden, |item| {
                        item.derives = syntax::derives(&attrs);
                        item.members = variants;
                    })
                }
                ast::Item::Trait(it) => {
                    let members = it
                        .assoc_item_list()
                        .map(|list| assoc_members(&list, false))
                        .unwrap_or_default();
                    self.push_named(module, &it, ItemKind::Trait, hidden, |item| {
                        item.members = members;
                    })
                }
                ast::Item::TypeAlias(it) => {
                    let target = it
                        .ty()
                        .and_then(|ty| syntax::type_path(&ty))
                        .and_then(|path| syntax::path_segments(&path));
                    let alias = raw_alias(&it);
                    self.push_named(module, &it, ItemKind::TypeAlias, hidden, |item| {
                        item.alias_of = target;
                        item.alias = alias;
                    })
                }
                ast::Item::AsmExpr(_)
                | ast::Item::ExternBlock(_)
                | ast::Item::ExternCrate(_)
                | ast::Item::MacroCall(_)
                | ast::Item::MacroDef(_) => {}
            }
        }
        Ok(())
    }

    /// Adds a plain-`pub` check to [`Self::push_item`].
    fn push_named<N: HasName + ra_ap_syntax::ast::HasVisibility>(
        &mut self,
        module: usize,
        node: &N,
        kind: ItemKind,
        hidden: bool,
        fill: impl FnOnce(&mut RawItem),
    ) {
        let is_pub = syntax::is_plain_pub(node) && !hidden;
        self.push_item(module, node, kind, is_pub, hidden, fill);
    }

    fn push_item<N: HasName>(
        &mut self,
        module: usize,
        node: &N,
        kind: ItemKind,
        is_pub: bool,
        hidden: bool,
        fill: impl FnOnce(&mut RawItem),
    ) {
        let Some(name) = node.name() else { return };
        let mut item = RawItem {
            name: name.text().to_string(),
            kind,
            is_pub,
            hidden: false,
            doc: syntax::first_doc_paragraph(node.syntax()),
            module: None,
            members: Vec::new(),
            derives: Vec::new(),
            alias_of: None,
            alias: None,
        };
        fill(&mut item);
        item.hidden = hidden;
        self.modules[module].items.push(item);
    }

    fn add_module(
        &mut self,
        it: &ast::Module,
        attrs: &[String],
        hidden: bool,
        parent: usize,
        dirs: &Dirs,
    ) -> Result<(), IndexError> {
        let Some(name) = it.name() else { return Ok(()) };
        let name = name.text().to_string();
        let krate = self.modules[parent].krate;
        let doc = syntax::first_doc_paragraph(it.syntax());
        let is_pub = syntax::is_plain_pub(it) && !hidden;
        let path_attr = syntax::path_attr(attrs);
        match it.item_list() {
            Some(list) => {
                let child = self.new_module(krate, Some(parent), doc.clone());
                self.push_module_item(parent, name.clone(), is_pub, doc, child);
                let inner = match &path_attr {
                    Some(path) => dirs.path_attr.join(path),
                    None => dirs.children.join(&name),
                };
                let child_dirs = Dirs {
                    children: inner.clone(),
                    path_attr: inner,
                };
                self.walk_items(list.items(), child, &child_dirs)
            }
            None => {
                let candidates = match &path_attr {
                    Some(path) => vec![dirs.path_attr.join(path)],
                    None => vec![
                        dirs.children.join(format!("{name}.rs")),
                        dirs.children.join(&name).join("mod.rs"),
                    ],
                };
                let Some(file) = candidates.into_iter().find(|file| file.is_file()) else {
                    // Usually a module behind a `cfg` whose file is not shipped.
                    tracing::debug!(module = %name, dir = %dirs.children.display(), "no file for module, skipped");
                    return Ok(());
                };
                let child = self.new_module(krate, Some(parent), doc.clone());
                self.push_module_item(parent, name.clone(), is_pub, doc, child);
                let file_dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
                let is_mod_rs = path_attr.is_some() || file.ends_with("mod.rs");
                let child_dirs = Dirs {
                    children: if is_mod_rs {
                        file_dir.clone()
                    } else {
                        file_dir.join(&name)
                    },
                    path_attr: file_dir,
                };
                self.parse_file(&file, child, &child_dirs)
            }
        }
    }

    fn push_module_item(
        &mut self,
        parent: usize,
        name: String,
        is_pub: bool,
        doc: Option<String>,
        child: usize,
    ) {
        self.modules[parent].items.push(RawItem {
            name,
            kind: ItemKind::Module,
            is_pub,
            hidden: false,
            doc,
            module: Some(child),
            members: Vec::new(),
            derives: Vec::new(),
            alias_of: None,
            alias: None,
        });
    }

    fn add_impl(&mut self, it: &ast::Impl, module: usize) {
        if it.excl_token().is_some() {
            return; // `impl !Send for X`
        }
        let Some(self_ty) = it.self_ty() else { return };
        let Some(self_path) = syntax::type_path(&self_ty).and_then(|p| syntax::path_segments(&p))
        else {
            return;
        };
        let trait_path = match it.trait_() {
            Some(ty) => match syntax::type_path(&ty).and_then(|p| syntax::path_segments(&p)) {
                Some(path) => Some(path),
                None => return,
            },
            None => None,
        };
        let params = type_params(it);
        let self_ty = match self_path.as_slice() {
            [name] if params.iter().any(|(param, _)| param == name) => {
                if matches!(self_ty, ast::Type::RefType(_)) {
                    // `impl<T> Trait for &mut T` forwards to `T`: noise on every type.
                    return;
                }
                let mut bounds: Vec<Vec<String>> = params
                    .into_iter()
                    .filter(|(param, _)| param == name)
                    .flat_map(|(_, bounds)| bounds)
                    .collect();
                bounds.extend(where_bounds(it, name));
                SelfTy::Generic(bounds)
            }
            _ => SelfTy::Path(self_path),
        };
        let members = it
            .assoc_item_list()
            .map(|list| assoc_members(&list, trait_path.is_none()))
            .unwrap_or_default();
        self.impls.push(RawImpl {
            module,
            self_ty,
            trait_path,
            members,
        });
    }
}

/// A type alias's parameters and target text, if it has a target.
fn raw_alias(it: &ast::TypeAlias) -> Option<RawAlias> {
    let target = it.ty()?.syntax().text().to_string();
    let mut params = Vec::new();
    let mut lifetimes = false;
    for param in it
        .generic_param_list()
        .into_iter()
        .flat_map(|list| list.generic_params())
    {
        match param {
            ast::GenericParam::TypeParam(p) => {
                params.extend(p.name().map(|n| n.text().to_string()))
            }
            ast::GenericParam::ConstParam(p) => {
                params.extend(p.name().map(|n| n.text().to_string()))
            }
            ast::GenericParam::LifetimeParam(_) => lifetimes = true,
        }
    }
    Some(RawAlias {
        params,
        lifetimes,
        target,
    })
}
