//! Reading `model.sig`, and checking it against a required key.
//!
//! `model.sig` is a model_signing signature over every file of the folder: the model files,
//! the card, the attachments and `manifest.json` itself (writing one is `trust::sign`).
//! Checking a signature goes from the outside in, and stops at the first layer that fails,
//! because nothing inside an unverified envelope is worth reporting: the bundle's form, the
//! key hint, the ECDSA signature over the DSSE encoding, the statement's form and root digest,
//! and only then the signed files against the digests of the files as they are now (the same
//! comparison a check without a key makes, `integrity::signed_files`).

use std::collections::BTreeMap;
use std::path::Path;

use crate::format::bundle;
use crate::format::digest::is_sha256_hex;
use crate::format::error::VerifyError;
use crate::format::manifest::SIGNATURE_FILE;
use crate::format::statement::{self, SignedFile};
use crate::integrity::folder;
use crate::integrity::signed_files::{self, Mismatch};
use crate::integrity::verify::Limits;
use crate::trust::keys::PublicKey;

/// What a signature file claims, read without a key: nothing here is verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureInfo {
    /// The fingerprint of the key the bundle says signed it, if it names one.
    pub key_fingerprint: Option<String>,
    /// The files the statement lists, with their digests.
    pub files: Vec<SignedFile>,
}

impl SignatureInfo {
    /// Reads the bundle bytes of a signature file.
    pub fn parse(bytes: &[u8]) -> Result<Self, VerifyError> {
        let envelope = bundle::parse_bundle(bytes).map_err(unreadable)?;
        let files = statement::read_statement(&envelope.payload).map_err(statement_invalid)?;
        Ok(Self {
            key_fingerprint: envelope.key_hint.map(|hint| shown(&hint)),
            files,
        })
    }
}

/// Reads `DIR/model.sig` without checking it; `None` when the artifact is not signed.
pub fn read_signature(dir: impl AsRef<Path>) -> Result<Option<SignatureInfo>, VerifyError> {
    let limit = Limits::default().max_signature_size();
    match folder::read_signature_file(dir.as_ref(), limit)? {
        None => Ok(None),
        Some(bytes) => SignatureInfo::parse(&bytes).map(Some),
    }
}

/// Checks signature bundle `bytes` against `key` and the artifact's files (path → digest of
/// its content now, `None` when it could not be hashed: that problem is reported elsewhere).
/// Returns the key's fingerprint when every file is signed and unchanged.
pub(crate) fn check_with_key(
    bytes: &[u8],
    key: &PublicKey,
    files: &BTreeMap<String, Option<String>>,
) -> Result<String, Vec<VerifyError>> {
    let file = || SIGNATURE_FILE.to_owned();
    let envelope = bundle::parse_bundle(bytes).map_err(|reason| vec![unreadable(reason)])?;
    let expected = key.fingerprint();
    if let Some(hint) = &envelope.key_hint
        && *hint != expected
    {
        return Err(vec![VerifyError::SignedByAnotherKey {
            file: file(),
            signer: shown(hint),
            expected,
        }]);
    }
    if !key.verifies(&bundle::pae(&envelope.payload), &envelope.signature) {
        return Err(vec![VerifyError::BadSignature {
            file: file(),
            key: expected,
        }]);
    }
    let signed = statement::read_statement(&envelope.payload)
        .map_err(|reason| vec![statement_invalid(reason)])?;
    let problems: Vec<VerifyError> = signed_files::compare(&signed, files)
        .into_iter()
        .map(|mismatch| match mismatch {
            Mismatch::NotListed { path, .. } => VerifyError::NotSigned { file: path },
            Mismatch::Differs {
                path,
                signed,
                actual,
            } => VerifyError::ChangedAfterSigning {
                file: path,
                signed,
                actual,
            },
            Mismatch::NotHeld { path, .. } => VerifyError::SignedFileMissing { file: path },
        })
        .collect();
    if problems.is_empty() {
        Ok(expected)
    } else {
        Err(problems)
    }
}

fn unreadable(reason: String) -> VerifyError {
    VerifyError::SignatureUnreadable {
        file: SIGNATURE_FILE.to_owned(),
        reason,
    }
}

fn statement_invalid(reason: String) -> VerifyError {
    VerifyError::SignedStatementInvalid {
        file: SIGNATURE_FILE.to_owned(),
        reason,
    }
}

/// An untrusted key hint as it may be shown: a digest as is, anything else quoted and cut.
fn shown(hint: &str) -> String {
    if is_sha256_hex(hint) {
        hint.to_owned()
    } else {
        let cut: String = hint.chars().take(80).collect();
        format!("{cut:?}")
    }
}
