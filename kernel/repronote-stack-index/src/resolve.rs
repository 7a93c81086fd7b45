//! Name resolution over the parsed modules: what a path names, and which names a module
//! exports once its `pub use` re-exports (same crate or another indexed crate, globs included,
//! transitively) are followed. Cycles are cut by tracking what is being resolved.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    rc::Rc,
};

use crate::modules::{Import, Parsed, RawItem};

/// What a name resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Target {
    Module(usize),
    /// An item other than a module: (module, index in its items).
    Item(usize, usize),
}

pub(crate) type Names = BTreeMap<String, Vec<Target>>;

#[derive(Debug)]
pub(crate) struct Resolver<'a> {
    parsed: &'a Parsed,
    crate_by_name: HashMap<&'a str, usize>,
    /// `names(module, private)` results.
    names_memo: HashMap<(usize, bool), Rc<Names>>,
    names_active: HashSet<(usize, bool)>,
    /// The `use` declarations being followed, (module, index in its uses).
    uses_active: HashSet<(usize, usize)>,
}

impl<'a> Resolver<'a> {
    pub fn new(parsed: &'a Parsed) -> Self {
        let crate_by_name = parsed
            .crate_names
            .iter()
            .enumerate()
            .map(|(i, name)| (name.as_str(), i))
            .collect();
        Resolver {
            parsed,
            crate_by_name,
            names_memo: HashMap::new(),
            names_active: HashSet::new(),
            uses_active: HashSet::new(),
        }
    }

    pub fn item(&self, module: usize, index: usize) -> &'a RawItem {
        &self.parsed.modules[module].items[index]
    }

    pub fn krate_of(&self, module: usize) -> usize {
        self.parsed.modules[module].krate
    }

    fn item_target(&self, module: usize, index: usize) -> Target {
        match self.parsed.modules[module].items[index].module {
            Some(child) => Target::Module(child),
            None => Target::Item(module, index),
        }
    }

    /// What `path`, written in `module`, names. Empty when it leaves the indexed crates.
    pub fn resolve_path(&mut self, module: usize, path: &[String]) -> Vec<Target> {
        let Some((first, rest)) = path.split_first() else {
            return Vec::new();
        };
        let modules = &self.parsed.modules;
        let mut current = match first.as_str() {
            "crate" => vec![Target::Module(self.parsed.roots[modules[module].krate])],
            "self" => vec![Target::Module(module)],
            "super" => modules[module]
                .parent
                .map(Target::Module)
                .into_iter()
                .collect(),
            "Self" => Vec::new(),
            name => {
                let found = self.lookup(module, name, true);
                if found.is_empty() {
                    self.crate_by_name
                        .get(name)
                        .map(|&k| Target::Module(self.parsed.roots[k]))
                        .into_iter()
                        .collect()
                } else {
                    found
                }
            }
        };
        let from_crate = self.krate_of(module);
        for segment in rest {
            let mut next = Vec::new();
            for target in &current {
                let Target::Module(m) = *target else { continue };
                if segment == "super" {
                    next.extend(self.parsed.modules[m].parent.map(Target::Module));
                } else if segment == "self" {
                    next.push(Target::Module(m));
                } else {
                    let private = self.krate_of(m) == from_crate;
                    next.extend(self.lookup(m, segment, private));
                }
            }
            dedup(&mut next);
            current = next;
            if current.is_empty() {
                break;
            }
        }
        current
    }

    /// What `name` means in `module`: its items, then its named imports, then its globs.
    /// `private` also sees non-`pub` items and imports (a lookup from inside the crate).
    fn lookup(&mut self, module: usize, name: &str, private: bool) -> Vec<Target> {
        let raw = &self.parsed.modules[module];
        let mut found: Vec<Target> = raw
            .items
            .iter()
            .enumerate()
            .filter(|(_, item)| item.name == name && (private || item.is_pub))
            .map(|(i, _)| self.item_target(module, i))
            .collect();
        if !found.is_empty() {
            return found;
        }
        let named: Vec<usize> = raw
            .uses
            .iter()
            .enumerate()
            .filter(|(_, u)| {
                (private || u.is_pub) && matches!(&u.import, Import::Named(n) if n == name)
            })
            .map(|(i, _)| i)
            .collect();
        for index in named {
            found.extend(self.follow_use(module, index));
        }
        if !found.is_empty() {
            dedup(&mut found);
            return found;
        }
        let globs: Vec<usize> = raw
            .uses
            .iter()
            .enumerate()
            .filter(|(_, u)| (private || u.is_pub) && matches!(u.import, Import::Glob))
            .map(|(i, _)| i)
            .collect();
        let from_crate = self.krate_of(module);
        for index in globs {
            for target in self.follow_use(module, index) {
                if let Target::Module(m) = target {
                    let private = private && self.krate_of(m) == from_crate;
                    if self.uses_active.insert((module, index)) {
                        found.extend(self.lookup(m, name, private));
                        self.uses_active.remove(&(module, index));
                    }
                }
            }
        }
        dedup(&mut found);
        found
    }

    /// What the path of `use` number `index` in `module` names (empty inside a cycle).
    fn follow_use(&mut self, module: usize, index: usize) -> Vec<Target> {
        if !self.uses_active.insert((module, index)) {
            return Vec::new();
        }
        let path = self.parsed.modules[module].uses[index].path.clone();
        let found = self.resolve_path(module, &path);
        self.uses_active.remove(&(module, index));
        found
    }

    /// Every name `module` offers: to other crates (`private == false`: `pub` items and
    /// `pub use`s), or to itself (`private == true`). Explicit names shadow glob imports.
    pub fn names(&mut self, module: usize, private: bool) -> Rc<Names> {
        let key = (module, private);
        if let Some(names) = self.names_memo.get(&key) {
            return Rc::clone(names);
        }
        if !self.names_active.insert(key) {
            return Rc::new(Names::new());
        }
        let raw = &self.parsed.modules[module];
        let mut names = Names::new();
        for (i, item) in raw.items.iter().enumerate() {
            if private || item.is_pub {
                names
                    .entry(item.name.clone())
                    .or_default()
                    .push(self.item_target(module, i));
            }
        }
        let mut globs = Vec::new();
        for (i, u) in raw.uses.iter().enumerate() {
            if !(private || u.is_pub) {
                continue;
            }
            match &u.import {
                Import::Named(name) => {
                    let name = name.clone();
                    let targets = self.follow_use(module, i);
                    if !targets.is_empty() {
                        names.entry(name).or_default().extend(targets);
                    }
                }
                Import::Glob => globs.push(i),
            }
        }
        let explicit: HashSet<String> = names.keys().cloned().collect();
        let from_crate = self.krate_of(module);
        for i in globs {
            for target in self.follow_use(module, i) {
                let Target::Module(m) = target else { continue };
                let sub_private = private && self.krate_of(m) == from_crate;
                let sub = self.names(m, sub_private);
                for (name, targets) in sub.iter() {
                    if !explicit.contains(name) {
                        names.entry(name.clone()).or_default().extend(targets);
                    }
                }
            }
        }
        for targets in names.values_mut() {
            dedup(targets);
        }
        let names = Rc::new(names);
        self.names_active.remove(&key);
        self.names_memo.insert(key, Rc::clone(&names));
        names
    }
}

fn dedup(targets: &mut Vec<Target>) {
    targets.sort_unstable();
    targets.dedup();
}
