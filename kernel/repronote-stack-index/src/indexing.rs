//! Building the index: the parsed crates' public items, with re-exports resolved, into the
//! compact tables that lookups read.

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use crate::modules::Parsed;
use crate::resolve::{Resolver, Target};
use crate::{
    CrateEntry, CrateSource, Entry, FORMAT, IndexError, ItemKind, StackIndex, aliases, impls,
    to_u32,
};

impl StackIndex {
    /// Parses `crates` (in this order, which also decides what `crate_names` lists) and
    /// indexes their public items and methods. Re-exports of one indexed crate by another are
    /// followed; names from crates outside `crates` are left out.
    pub fn build(crates: &[CrateSource]) -> Result<StackIndex, IndexError> {
        let started = Instant::now();
        let parsed = Parsed::parse(crates)?;
        let mut resolver = Resolver::new(&parsed);

        let mut ids: HashMap<usize, u32> = HashMap::new();
        let mut queue = VecDeque::new();
        let mut modules: Vec<Vec<Entry>> = Vec::new();
        let mut id_of = |module: usize, modules: &mut Vec<Vec<Entry>>, queue: &mut VecDeque<_>| {
            *ids.entry(module).or_insert_with(|| {
                modules.push(Vec::new());
                queue.push_back(module);
                to_u32(modules.len() - 1)
            })
        };
        // The public path of each module and type alias, the first (so shortest) the walk finds.
        let mut module_paths: HashMap<usize, Vec<String>> = HashMap::new();
        let mut alias_paths: HashMap<(usize, usize), Vec<String>> = HashMap::new();
        let crate_entries: Vec<CrateEntry> = parsed
            .roots
            .iter()
            .enumerate()
            .map(|(krate, &root)| {
                let name = parsed.crate_names[krate].clone();
                module_paths
                    .entry(root)
                    .or_insert_with(|| vec![name.clone()]);
                CrateEntry {
                    name,
                    root: id_of(root, &mut modules, &mut queue),
                    doc: parsed.modules[root].doc.clone(),
                }
            })
            .collect();
        while let Some(module) = queue.pop_front() {
            let id = id_of(module, &mut modules, &mut queue);
            let names = resolver.names(module, false);
            let path = module_paths.get(&module).cloned().unwrap_or_default();
            let path_to = |name: &str| {
                let mut path = path.clone();
                path.push(name.to_owned());
                path
            };
            let mut entries = Vec::new();
            for (name, targets) in names.iter() {
                for &target in targets {
                    let entry = match target {
                        Target::Module(child) => {
                            module_paths.entry(child).or_insert_with(|| path_to(name));
                            Entry {
                                name: name.clone(),
                                kind: ItemKind::Module,
                                doc: parsed.modules[child].doc.clone(),
                                module: Some(id_of(child, &mut modules, &mut queue)),
                                krate: None,
                            }
                        }
                        Target::Item(m, i) => {
                            let item = resolver.item(m, i);
                            if item.hidden {
                                continue;
                            }
                            if item.kind == ItemKind::TypeAlias {
                                alias_paths.entry((m, i)).or_insert_with(|| path_to(name));
                            }
                            let is_type = matches!(
                                item.kind,
                                ItemKind::Struct
                                    | ItemKind::Enum
                                    | ItemKind::Trait
                                    | ItemKind::TypeAlias
                            );
                            Entry {
                                name: name.clone(),
                                kind: item.kind,
                                doc: item.doc.clone(),
                                module: None,
                                krate: is_type.then(|| to_u32(resolver.krate_of(m))),
                            }
                        }
                    };
                    if !entries
                        .iter()
                        .any(|e: &Entry| e.name == entry.name && e.kind == entry.kind)
                    {
                        entries.push(entry);
                    }
                }
            }
            modules[id as usize] = entries;
        }
        let types = impls::type_entries(&parsed, &mut resolver);
        let aliases = aliases::alias_records(&parsed, &mut resolver, &alias_paths);
        tracing::debug!(
            crates = crates.len(),
            modules = modules.len(),
            types = types.len(),
            aliases = aliases.len(),
            elapsed_ms = started.elapsed().as_millis(),
            "stack index built"
        );
        Ok(StackIndex {
            format: FORMAT,
            crates: crate_entries,
            modules,
            types,
            aliases,
        })
    }
}
