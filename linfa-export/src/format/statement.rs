//! The statement a model signature signs: an in-toto Statement v1 with model_signing's
//! predicate, listing every file of the folder.
//!
//! Each file is named by its `/`-separated path and hashed whole with SHA-256; the files are
//! listed in path-component order, and the statement's one subject is the root digest: the
//! SHA-256 of the files' raw digests concatenated in that order. model_signing's verifier
//! recomputes that root over the files in the order listed and compares it, so we do too.
//! The statement is plain JSON (model_signing reads it with `json.loads`, so key order and
//! extra fields do not matter); only what the envelope signs counts.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// in-toto statement `_type`.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// model_signing's `predicateType` for a folder signature.
pub const PREDICATE_TYPE: &str = "https://model_signing/signature/v1.0";
/// What model_signing ignores when it signs a folder from inside (`--signature DIR/model.sig`):
/// the root-level git files and the signature itself.
pub const IGNORE_PATHS: &[&str] = &[
    ".git",
    ".gitattributes",
    ".github",
    ".gitignore",
    crate::format::manifest::SIGNATURE_FILE,
];

#[derive(Debug, Serialize, Deserialize)]
struct Statement {
    #[serde(rename = "_type")]
    statement_type: String,
    subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    predicate_type: String,
    predicate: Predicate,
}

#[derive(Debug, Serialize, Deserialize)]
struct Subject {
    #[serde(default)]
    name: Value,
    digest: SubjectDigest,
}

#[derive(Debug, Serialize, Deserialize)]
struct SubjectDigest {
    sha256: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Predicate {
    serialization: Serialization,
    resources: Vec<Resource>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Serialization {
    method: String,
    hash_type: String,
    allow_symlinks: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    ignore_paths: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Resource {
    name: String,
    algorithm: String,
    digest: String,
}

/// One signed file: its `/`-separated path in the folder and lowercase hex SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedFile {
    pub name: String,
    pub sha256: String,
}

/// The statement's bytes for a folder named `name` holding `files`, which are put in
/// model_signing's order (by path components) first.
pub fn write_statement(name: &str, files: &[SignedFile]) -> Vec<u8> {
    let mut files: Vec<&SignedFile> = files.iter().collect();
    files.sort_by(|a, b| component_order(&a.name, &b.name));
    let digests: Vec<[u8; 32]> = files
        .iter()
        .map(|f| {
            let mut raw = [0u8; 32];
            hex::decode_to_slice(&f.sha256, &mut raw).expect("file digests are sha256 hex");
            raw
        })
        .collect();
    let statement = Statement {
        statement_type: STATEMENT_TYPE.to_owned(),
        subject: vec![Subject {
            name: Value::String(name.to_owned()),
            digest: SubjectDigest {
                sha256: root_digest(&digests),
            },
        }],
        predicate_type: PREDICATE_TYPE.to_owned(),
        predicate: Predicate {
            serialization: Serialization {
                method: "files".to_owned(),
                hash_type: "sha256".to_owned(),
                allow_symlinks: false,
                ignore_paths: IGNORE_PATHS.iter().map(|p| (*p).to_owned()).collect(),
            },
            resources: files
                .iter()
                .map(|f| Resource {
                    name: f.name.clone(),
                    algorithm: "sha256".to_owned(),
                    digest: f.sha256.clone(),
                })
                .collect(),
        },
    };
    serde_json::to_vec(&statement).expect("a statement holds only strings, lists and a bool")
}

/// The files a signed statement lists, after checking it is a model_signing `files`/`sha256`
/// statement whose subject digest is the root of its resources (in the order listed, as
/// model_signing's verifier computes it). Digests come back as lowercase hex.
pub fn read_statement(payload: &[u8]) -> Result<Vec<SignedFile>, String> {
    let statement: Statement =
        serde_json::from_slice(payload).map_err(|e| format!("not an in-toto statement: {e}"))?;
    if statement.statement_type != STATEMENT_TYPE {
        return Err(format!(
            "_type is `{}`, not `{STATEMENT_TYPE}`",
            statement.statement_type
        ));
    }
    if statement.predicate_type != PREDICATE_TYPE {
        return Err(format!(
            "predicateType is `{}`, not `{PREDICATE_TYPE}`",
            statement.predicate_type
        ));
    }
    let [subject] = statement.subject.as_slice() else {
        return Err(format!(
            "it has {} subjects; a folder signature has exactly one",
            statement.subject.len()
        ));
    };
    let serialization = &statement.predicate.serialization;
    if serialization.method != "files" || serialization.hash_type != "sha256" {
        return Err(format!(
            "it hashes by `{}` with `{}`; only whole files with sha256 (what `model_signing sign key` writes) are checked",
            serialization.method, serialization.hash_type
        ));
    }
    let mut files = Vec::with_capacity(statement.predicate.resources.len());
    let mut digests = Vec::with_capacity(files.capacity());
    for resource in &statement.predicate.resources {
        if resource.algorithm != "sha256" {
            return Err(format!(
                "`{}` is hashed with `{}`, not sha256",
                resource.name, resource.algorithm
            ));
        }
        let mut raw = [0u8; 32];
        hex::decode_to_slice(&resource.digest, &mut raw)
            .map_err(|_| format!("the digest of `{}` is not sha256 hex", resource.name))?;
        if files.iter().any(|f: &SignedFile| f.name == resource.name) {
            return Err(format!("`{}` is listed twice", resource.name));
        }
        digests.push(raw);
        files.push(SignedFile {
            name: resource.name.clone(),
            sha256: hex::encode(raw),
        });
    }
    let root = root_digest(&digests);
    if subject.digest.sha256 != root {
        return Err(format!(
            "its subject digest {} is not the root of the files it lists ({root})",
            subject.digest.sha256
        ));
    }
    Ok(files)
}

/// SHA-256 of the raw file digests concatenated, as lowercase hex.
fn root_digest(digests: &[[u8; 32]]) -> String {
    let mut hasher = Sha256::new();
    for digest in digests {
        hasher.update(digest);
    }
    hex::encode(hasher.finalize())
}

/// model_signing's order: by the list of path components (so `a/b` < `a-b` < `a.txt`).
pub fn component_order(a: &str, b: &str) -> Ordering {
    a.split('/').cmp(b.split('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, content: &[u8]) -> SignedFile {
        SignedFile {
            name: name.to_owned(),
            sha256: crate::format::digest::sha256_hex(content),
        }
    }

    #[test]
    fn paths_are_ordered_by_components_as_model_signing_orders_them() {
        let mut names = [
            "a-b.txt",
            "config.json",
            "a/b.txt",
            "README.md",
            "Z.txt",
            "Z/x",
        ];
        names.sort_by(|a, b| component_order(a, b));
        assert_eq!(
            names,
            [
                "README.md",
                "Z/x",
                "Z.txt",
                "a/b.txt",
                "a-b.txt",
                "config.json"
            ]
        );
    }

    #[test]
    fn a_statement_reads_back_in_order_with_its_root() {
        let files = [
            file("model.json", b"{}"),
            file("a/b", b""),
            file("MODEL_CARD.md", b"#"),
        ];
        let payload = write_statement("art", &files);
        let read = read_statement(&payload).unwrap();
        let names: Vec<&str> = read.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["MODEL_CARD.md", "a/b", "model.json"]);
        let empty = read_statement(&write_statement("x", &[])).unwrap();
        assert!(empty.is_empty());
        // The root of no files is the digest of nothing.
        let text = String::from_utf8(write_statement("x", &[])).unwrap();
        assert!(
            text.contains(&crate::format::digest::sha256_hex(b"")),
            "{text}"
        );
    }

    #[test]
    fn a_subject_that_is_not_the_root_is_refused() {
        let mut payload = String::from_utf8(write_statement("x", &[file("a", b"a")])).unwrap();
        payload = payload.replace(
            &crate::format::digest::sha256_hex(b"a"),
            &crate::format::digest::sha256_hex(b"b"),
        );
        let err = read_statement(payload.as_bytes()).unwrap_err();
        assert!(err.contains("is not the root"), "{err}");
    }
}
