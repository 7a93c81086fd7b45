//! A parent as a manifest records it: one verified artifact an export was built on.
//!
//! This is the lineage's data, moved below everything that records it: the manifest holds a
//! list of [`Parent`]s, and the manifest must not depend on the session machinery
//! (`record::lineage`) that decides which artifacts become parents, nor on the loader or the
//! trust policy that `Parent::of` reads from (that constructor lives with the recording).

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

/// One artifact an export was built on, as the child's manifest records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parent {
    /// The parent's `artifact_sha256`: what identifies it.
    pub artifact_sha256: String,
    /// Its model card's name (the folder's name when the card has none).
    pub name: String,
    /// Its model type with type parameters, e.g. `linfa_trees::DecisionTree<f64, usize>`.
    pub model_type: String,
    /// Fingerprint of the key whose signature was checked when it was loaded; `None` when
    /// only its consistency (or a pinned digest) was checked.
    pub signer: Option<String>,
    /// The parent's own recorded lineage, copied from its manifest.
    pub lineage: Vec<Parent>,
}

impl Parent {
    /// One line: name, type, digest and who signed it.
    pub fn summary(&self) -> String {
        let signer = match &self.signer {
            Some(key) => format!("signed by key {key}"),
            None => "signature not checked".to_owned(),
        };
        format!(
            "{} ({}) sha256 {}, {signer}",
            self.name, self.model_type, self.artifact_sha256
        )
    }
}

/// `parents` as an indented tree, one line per parent, two spaces deeper per generation,
/// each line starting with `- ` after `indent`.
pub fn lineage_tree(parents: &[Parent], indent: &str) -> String {
    fn walk(out: &mut String, parents: &[Parent], indent: &str, depth: usize) {
        for parent in parents {
            let _ = writeln!(
                out,
                "{indent}{:width$}- {}",
                "",
                parent.summary(),
                width = depth * 2
            );
            walk(out, &parent.lineage, indent, depth + 1);
        }
    }
    let mut out = String::new();
    walk(&mut out, parents, indent, 0);
    out
}

/// Adds `parent` unless a parent with its digest is there already (whose missing signer it
/// then fills in); order of first appearance is kept.
pub(crate) fn add(parents: &mut Vec<Parent>, parent: Parent) {
    match parents
        .iter_mut()
        .find(|p| p.artifact_sha256 == parent.artifact_sha256)
    {
        Some(known) => {
            if known.signer.is_none() {
                known.signer = parent.signer;
            }
        }
        None => parents.push(parent),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::fixtures::kmeans_parent as parent;

    #[test]
    fn a_parent_is_kept_once_in_order_of_first_use_with_the_best_signer() {
        let mut parents = Vec::new();
        add(&mut parents, parent('a', None));
        add(&mut parents, parent('b', None));
        add(&mut parents, parent('a', Some("k")));
        add(&mut parents, parent('b', None));
        assert_eq!(parents.len(), 2);
        assert_eq!(parents[0].signer.as_deref(), Some("k"));
        assert_eq!(parents[1].artifact_sha256, "b".repeat(64));
    }

    #[test]
    fn the_tree_indents_each_generation() {
        let mut b = parent('b', Some("f00d"));
        b.lineage = vec![parent('a', None)];
        let tree = lineage_tree(&[b], "  ");
        let lines: Vec<&str> = tree.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(
            lines[0].starts_with("  - model b (linfa_clustering::KMeans<f64, L2Dist>) sha256 bbbb")
        );
        assert!(lines[0].ends_with("signed by key f00d"));
        assert!(lines[1].starts_with("    - model a "), "{tree}");
    }
}
