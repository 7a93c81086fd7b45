//! Members per type: inherent `pub fn`s, the items of every trait implemented for the type
//! (explicitly, by `#[derive]`, or by a blanket impl whose bounds the type meets directly).
//! Types are matched by name; the defining crate is kept when the impl's path resolves.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use crate::{
    ItemKind, Member, TypeEntry,
    modules::{Parsed, SelfTy},
    resolve::{Resolver, Target},
};

/// Traits every type meets for a blanket impl's purposes.
const MARKER_TRAITS: &[&str] = &["Sized", "Send", "Sync", "Unpin", "Copy", "Any"];

/// The members of the std traits the stack derives or implements most, since std is not
/// indexed: (name, has a `self` receiver).
fn std_trait_members(name: &str) -> Option<&'static [(&'static str, bool)]> {
    Some(match name {
        "Clone" => &[("clone", true), ("clone_from", true)],
        "Default" => &[("default", false)],
        "Debug" => &[],
        "Display" => &[("to_string", true)],
        "PartialEq" => &[("eq", true), ("ne", true)],
        "PartialOrd" => &[
            ("partial_cmp", true),
            ("lt", true),
            ("le", true),
            ("gt", true),
            ("ge", true),
        ],
        "Ord" => &[("cmp", true), ("max", true), ("min", true), ("clamp", true)],
        "Hash" => &[("hash", true)],
        "From" => &[("from", false)],
        "IntoIterator" => &[("into_iter", true)],
        "Iterator" => &[
            ("next", true),
            ("map", true),
            ("filter", true),
            ("collect", true),
            ("count", true),
            ("enumerate", true),
            ("zip", true),
            ("fold", true),
            ("sum", true),
            ("take", true),
            ("skip", true),
            ("for_each", true),
            ("any", true),
            ("all", true),
            ("find", true),
        ],
        "Serialize" => &[("serialize", true)],
        "Deserialize" => &[("deserialize", false)],
        _ => return None,
    })
}

fn std_members(name: &str) -> Option<Vec<Member>> {
    let members = std_trait_members(name)?;
    Some(
        members
            .iter()
            .map(|&(name, has_self)| Member {
                name: name.to_string(),
                kind: if has_self {
                    ItemKind::Method
                } else {
                    ItemKind::Function
                },
                has_self,
                doc: None,
            })
            .collect(),
    )
}

/// A type (or trait) by name and defining crate (`None`: outside the index, e.g. `f64`).
type TypeKey = (String, Option<usize>);

#[derive(Debug, Default)]
struct TypeBuild {
    members: Vec<Member>,
    /// The names of the traits implemented directly (for blanket impl bounds).
    traits: BTreeSet<String>,
    alias: Option<TypeKey>,
}

impl TypeBuild {
    fn add(&mut self, members: &[Member]) {
        self.members.extend_from_slice(members);
    }
}

/// A trait as an impl names it: its name and its members.
struct TraitInfo {
    name: String,
    members: Vec<Member>,
}

/// Every type's members, keyed by type name.
pub(crate) fn type_entries(
    parsed: &Parsed,
    resolver: &mut Resolver<'_>,
) -> BTreeMap<String, Vec<TypeEntry>> {
    let mut builds: BTreeMap<TypeKey, TypeBuild> = BTreeMap::new();
    // Type names each crate defines (any module), for impls whose path does not resolve.
    let mut defined: HashSet<(usize, &str)> = HashSet::new();

    for (mi, module) in parsed.modules.iter().enumerate() {
        for item in &module.items {
            if !is_type_kind(item.kind) {
                continue;
            }
            defined.insert((module.krate, item.name.as_str()));
            if !item.is_pub {
                continue;
            }
            let build = builds
                .entry((item.name.clone(), Some(module.krate)))
                .or_default();
            build.add(&item.members);
            for derive in &item.derives {
                build.traits.insert(derive.clone());
                if let Some(members) = std_members(derive) {
                    build.add(&members);
                }
            }
            if let Some(target) = &item.alias_of {
                let keys = type_keys(parsed, resolver, mi, target, &defined, false);
                build.alias = keys.into_iter().next();
            }
        }
    }

    let mut blankets: Vec<(Vec<String>, Vec<Member>)> = Vec::new();
    for imp in &parsed.impls {
        let trait_info = imp
            .trait_path
            .as_ref()
            .map(|path| trait_info(resolver, imp.module, path, &imp.members));
        match &imp.self_ty {
            SelfTy::Path(path) => {
                for key in type_keys(parsed, resolver, imp.module, path, &defined, true) {
                    let build = builds.entry(key).or_default();
                    match &trait_info {
                        Some(info) => {
                            build.traits.insert(info.name.clone());
                            build.add(&info.members);
                        }
                        None => build.add(&imp.members),
                    }
                }
            }
            SelfTy::Generic(bounds) => {
                if let Some(info) = trait_info {
                    let bounds = bounds
                        .iter()
                        .filter_map(|b| b.last().cloned())
                        .filter(|b| !MARKER_TRAITS.contains(&b.as_str()))
                        .collect();
                    blankets.push((bounds, info.members));
                }
            }
        }
    }

    for build in builds.values_mut() {
        for (bounds, members) in &blankets {
            if bounds.iter().all(|b| build.traits.contains(b)) {
                build.members.extend_from_slice(members);
            }
        }
    }

    let mut entries: BTreeMap<String, Vec<TypeEntry>> = BTreeMap::new();
    for ((name, krate), build) in builds {
        let mut seen = BTreeSet::new();
        let mut members: Vec<Member> = build
            .members
            .into_iter()
            .filter(|m| seen.insert((m.name.clone(), m.kind)))
            .collect();
        members.sort_by(|a, b| (&a.name, a.kind).cmp(&(&b.name, b.kind)));
        entries.entry(name).or_default().push(TypeEntry {
            krate: krate.map(to_u32),
            members,
            alias: build.alias.map(|(name, krate)| (name, krate.map(to_u32))),
        });
    }
    entries
}

fn to_u32(index: usize) -> u32 {
    u32::try_from(index).unwrap_or(u32::MAX)
}

fn is_type_kind(kind: ItemKind) -> bool {
    matches!(
        kind,
        ItemKind::Struct | ItemKind::Enum | ItemKind::Trait | ItemKind::TypeAlias
    )
}

/// The types `path` (written in `module`) names. When it does not resolve: a type of that name
/// in the crate the path starts with, else in the impl's own crate, else outside the index.
/// `follow_alias` replaces a type alias by the type it names.
fn type_keys(
    parsed: &Parsed,
    resolver: &mut Resolver<'_>,
    module: usize,
    path: &[String],
    defined: &HashSet<(usize, &str)>,
    follow_alias: bool,
) -> Vec<TypeKey> {
    let mut keys = Vec::new();
    for target in resolver.resolve_path(module, path) {
        let Target::Item(m, i) = target else { continue };
        let item = resolver.item(m, i);
        if !is_type_kind(item.kind) {
            continue;
        }
        if follow_alias
            && item.kind == ItemKind::TypeAlias
            && let Some(aliased) = &item.alias_of
        {
            keys.extend(type_keys(parsed, resolver, m, aliased, defined, false));
            continue;
        }
        keys.push((item.name.clone(), Some(resolver.krate_of(m))));
    }
    if !keys.is_empty() {
        keys.sort();
        keys.dedup();
        return keys;
    }
    let Some(name) = path.last() else {
        return keys;
    };
    let own = resolver.krate_of(module);
    let named_crate = match path {
        [first, _, ..] => parsed.crate_names.iter().position(|c| c == first),
        _ => None,
    };
    let krate = [named_crate, Some(own)]
        .into_iter()
        .flatten()
        .find(|&k| defined.contains(&(k, name.as_str())));
    vec![(name.clone(), krate)]
}

/// The trait `path` names in `module`, with the items of its definition; for a trait outside
/// the index, the std table or else the impl block's own items.
fn trait_info(
    resolver: &mut Resolver<'_>,
    module: usize,
    path: &[String],
    impl_members: &[Member],
) -> TraitInfo {
    let mut name = path.last().cloned().unwrap_or_default();
    let mut members = Vec::new();
    let mut found = false;
    for target in resolver.resolve_path(module, path) {
        let Target::Item(m, i) = target else { continue };
        let item = resolver.item(m, i);
        if item.kind == ItemKind::Trait {
            name.clone_from(&item.name);
            // A trait other crates cannot name gives them no methods.
            if item.is_pub {
                members.extend_from_slice(&item.members);
            }
            found = true;
        }
    }
    if !found {
        members = std_members(&name).unwrap_or_else(|| impl_members.to_vec());
    }
    TraitInfo { name, members }
}
