//! `model.sig` against the folder, without a key.
//!
//! The manifest cannot list `model.sig` (the signature covers the manifest), so verification
//! would otherwise pass over whatever that file holds. Without the signer's public key nothing
//! shows that a signature is genuine, but a good deal shows that it is not one over these
//! files: it must parse as model_signing writes it (a Sigstore bundle holding a DSSE envelope
//! whose payload is an in-toto statement, `format::bundle` and `format::statement`), and the
//! statement must list exactly the files of the folder with the digests they have now. A
//! `model.sig` cut short, with a flipped byte, or copied from another artifact fails that, and
//! is refused like any other file that disagrees with its artifact.
//!
//! The cryptographic check (the key hint, the ECDSA signature) is the trust layer's
//! (`trust::signature`), which compares the listing with [`compare`] too once the envelope
//! verifies.

use std::collections::BTreeMap;
use std::path::Path;

use crate::format::bundle;
use crate::format::error::VerifyError;
use crate::format::manifest::SIGNATURE_FILE;
use crate::format::statement::{self, SignedFile};
use crate::integrity::folder;

/// One way a signed statement's list disagrees with the folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Mismatch {
    /// The folder holds `path` (hashing to `actual`, when it could be hashed), the statement
    /// does not list it.
    NotListed {
        path: String,
        actual: Option<String>,
    },
    /// The statement lists `path` with `signed`, the file hashes to `actual`.
    Differs {
        path: String,
        signed: String,
        actual: String,
    },
    /// The statement lists `path` with `signed`, the folder does not hold it.
    NotHeld { path: String, signed: String },
}

/// Compares the files a statement lists with `files` (path → digest of its content now,
/// `None` when it could not be hashed: that problem is reported elsewhere, so such a file is
/// only checked for being listed). Files in path order, then the listed files the folder lacks.
pub(crate) fn compare(
    signed: &[SignedFile],
    files: &BTreeMap<String, Option<String>>,
) -> Vec<Mismatch> {
    let listed: BTreeMap<&str, &str> = signed
        .iter()
        .map(|f| (f.name.as_str(), f.sha256.as_str()))
        .collect();
    let mut mismatches = Vec::new();
    for (path, actual) in files {
        match (listed.get(path.as_str()), actual) {
            (None, _) => mismatches.push(Mismatch::NotListed {
                path: path.clone(),
                actual: actual.clone(),
            }),
            (Some(signed), Some(actual)) if signed != actual => {
                mismatches.push(Mismatch::Differs {
                    path: path.clone(),
                    signed: (*signed).to_owned(),
                    actual: actual.clone(),
                });
            }
            _ => {}
        }
    }
    for (path, signed) in listed {
        if !files.contains_key(path) {
            mismatches.push(Mismatch::NotHeld {
                path: path.to_owned(),
                signed: signed.to_owned(),
            });
        }
    }
    mismatches
}

/// Reads `dir/model.sig` (at most `limit` bytes) and checks, without a key, that it parses
/// and lists exactly `files` (see [`compare`]); every problem found, naming `model.sig`.
pub(crate) fn check_without_key(
    dir: &Path,
    limit: u64,
    files: &BTreeMap<String, Option<String>>,
) -> Vec<VerifyError> {
    let bytes = match folder::read_signature_file(dir, limit) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return Vec::new(),
        Err(e) => return vec![e],
    };
    let malformed = |reason: String| {
        vec![VerifyError::SignatureMalformed {
            file: SIGNATURE_FILE.to_owned(),
            reason,
        }]
    };
    let envelope = match bundle::parse_bundle(&bytes) {
        Ok(envelope) => envelope,
        Err(reason) => return malformed(reason),
    };
    let signed = match statement::read_statement(&envelope.payload) {
        Ok(signed) => signed,
        Err(reason) => return malformed(format!("the statement it signs: {reason}")),
    };
    compare(&signed, files)
        .into_iter()
        .map(|mismatch| {
            let (path, signed, actual) = match mismatch {
                Mismatch::NotListed { path, actual } => (path, None, actual),
                Mismatch::Differs {
                    path,
                    signed,
                    actual,
                } => (path, Some(signed), Some(actual)),
                Mismatch::NotHeld { path, signed } => (path, Some(signed), None),
            };
            VerifyError::SignatureMismatch {
                file: SIGNATURE_FILE.to_owned(),
                path,
                signed,
                actual,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, sha256: char) -> SignedFile {
        SignedFile {
            name: name.to_owned(),
            sha256: sha256.to_string().repeat(64),
        }
    }

    #[test]
    fn every_disagreement_is_named_once() {
        let signed = [file("a", '1'), file("b", '2'), file("gone", '3')];
        let files: BTreeMap<String, Option<String>> = [
            ("a".to_owned(), Some("1".repeat(64))),
            ("b".to_owned(), Some("9".repeat(64))),
            ("new".to_owned(), None),
        ]
        .into();
        assert_eq!(
            compare(&signed, &files),
            [
                Mismatch::Differs {
                    path: "b".to_owned(),
                    signed: "2".repeat(64),
                    actual: "9".repeat(64),
                },
                Mismatch::NotListed {
                    path: "new".to_owned(),
                    actual: None,
                },
                Mismatch::NotHeld {
                    path: "gone".to_owned(),
                    signed: "3".repeat(64),
                },
            ]
        );
        let unhashed: BTreeMap<String, Option<String>> = [("a".to_owned(), None)].into();
        assert!(compare(&[file("a", '1')], &unhashed).is_empty());
    }

    #[test]
    fn a_signature_file_that_does_not_parse_is_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(SIGNATURE_FILE), b"{\"mediaType\":").unwrap();
        let found = check_without_key(dir.path(), 1 << 20, &BTreeMap::new());
        assert!(
            matches!(&found[..], [VerifyError::SignatureMalformed { file, .. }] if file == SIGNATURE_FILE),
            "{found:?}"
        );
        let message = found[0].to_string();
        assert!(
            message.starts_with("model.sig does not parse: not a Sigstore bundle")
                && message
                    .ends_with("re-sign the artifact with `linfa-export sign` or remove model.sig"),
            "{message}"
        );
    }
}
