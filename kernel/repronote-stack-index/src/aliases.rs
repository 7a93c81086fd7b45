//! The stack's type aliases, recorded with their generic parameters and whole target types.
//!
//! A crate may declare a type in a private module and name it publicly only through an alias
//! (linfa-logistic's `pub type LogisticRegression<F> = LogisticRegressionParams<F, Ix1>;`).
//! rustc then writes the type by its private path, which a cell cannot write; with each alias's
//! target kept, the kernel can find the alias that names such a type (see `public_type`). Every
//! alias is kept, public or not: a public alias's target may go through others (ndarray's `Ix1`
//! is `Dim<[Ix; 1]>`, and `Ix` is `usize`), which matching expands.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::modules::Parsed;
use crate::resolve::{Resolver, Target};
use crate::type_tree::{self, PathMeaning, Ty};
use crate::{ItemKind, to_u32};

/// One type alias of an indexed crate.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AliasRecord {
    #[serde(rename = "n")]
    pub name: String,
    /// The crate declaring it.
    #[serde(rename = "c")]
    pub krate: u32,
    /// Its type and const parameters, in order.
    #[serde(rename = "g", default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<String>,
    /// It has lifetime parameters, which a kept variable's type cannot give it.
    #[serde(rename = "l", default, skip_serializing_if = "std::ops::Not::not")]
    pub lifetimes: bool,
    /// The shortest path other crates can name it by, starting with a crate's name; `None` when
    /// it is not public.
    #[serde(rename = "p", default, skip_serializing_if = "Option::is_none")]
    pub path: Option<Vec<String>>,
    /// The type it names, its parameters as [`type_tree::TyKind::Param`].
    #[serde(rename = "t")]
    pub target: Ty,
}

/// Every type alias of the parsed crates whose target reads as a type. `public_paths` holds the
/// public path of each public alias, by (module, item index).
pub(crate) fn alias_records(
    parsed: &Parsed,
    resolver: &mut Resolver<'_>,
    public_paths: &HashMap<(usize, usize), Vec<String>>,
) -> Vec<AliasRecord> {
    let mut records = Vec::new();
    for (module, raw) in parsed.modules.iter().enumerate() {
        for (index, item) in raw.items.iter().enumerate() {
            let Some(alias) = &item.alias else { continue };
            let mut resolve =
                |segments: &[String]| meaning(resolver, module, &alias.params, segments);
            let Some(target) = type_tree::parse(&alias.target, &mut resolve) else {
                tracing::debug!(alias = %item.name, "alias target not read as a type");
                continue;
            };
            records.push(AliasRecord {
                name: item.name.clone(),
                krate: to_u32(raw.krate),
                params: alias.params.clone(),
                lifetimes: alias.lifetimes,
                path: public_paths.get(&(module, index)).cloned(),
                target,
            });
        }
    }
    records
}

/// What a path in an alias's target (written in `module`) names: one of the alias's parameters,
/// a type of the indexed crates, or a type outside them (std, a primitive) by its last segment.
fn meaning(
    resolver: &mut Resolver<'_>,
    module: usize,
    params: &[String],
    segments: &[String],
) -> PathMeaning {
    if let [single] = segments
        && params.contains(single)
    {
        return PathMeaning::Param;
    }
    for target in resolver.resolve_path(module, segments) {
        let Target::Item(m, i) = target else { continue };
        let item = resolver.item(m, i);
        if matches!(
            item.kind,
            ItemKind::Struct | ItemKind::Enum | ItemKind::Trait | ItemKind::TypeAlias
        ) {
            return PathMeaning::Item {
                name: item.name.clone(),
                krate: Some(to_u32(resolver.krate_of(m))),
                private: false,
            };
        }
    }
    PathMeaning::Item {
        name: segments.last().cloned().unwrap_or_default(),
        krate: None,
        private: false,
    }
}
