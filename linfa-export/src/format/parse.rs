//! Reading a manifest back: the checks its bytes must pass before anything trusts it.
//!
//! A manifest read from disk must be of a supported version, hold known fields only, carry
//! the artifact digest of its own content, and be byte for byte in canonical form. This sits
//! apart from the types (`format::manifest`) so they need no error type, and the errors
//! (`format::error`, whose `Refused` holds a manifest) need no parser: no module of this
//! layer imports one that imports it back.

use serde_json::Value;

use crate::format::digest::is_sha256_hex;
use crate::format::error::VerifyError;
use crate::format::manifest::{FORMAT_VERSION, MANIFEST_FILE, Manifest};

impl Manifest {
    /// Parses and checks a manifest read from disk: supported version, known
    /// fields only, matching artifact digest, canonical bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, VerifyError> {
        let invalid = |reason: String| VerifyError::ManifestInvalid {
            file: MANIFEST_FILE.to_owned(),
            reason,
        };
        let value: Value =
            serde_json::from_slice(bytes).map_err(|e| invalid(format!("not JSON: {e}")))?;
        let Value::Object(map) = &value else {
            return Err(invalid("the top level is not a JSON object".to_owned()));
        };
        match map.get("format_version") {
            None => return Err(invalid("no `format_version` field".to_owned())),
            Some(Value::Number(n)) if n.as_u64() == Some(u64::from(FORMAT_VERSION)) => {}
            Some(other) => {
                return Err(VerifyError::UnknownFormatVersion {
                    file: MANIFEST_FILE.to_owned(),
                    found: other.to_string(),
                    supported: FORMAT_VERSION,
                });
            }
        }
        let manifest: Manifest =
            serde_json::from_value(value).map_err(|e| invalid(e.to_string()))?;
        let actual = manifest.compute_digest();
        if manifest.artifact_sha256 != actual {
            return Err(VerifyError::ManifestDigestMismatch {
                file: MANIFEST_FILE.to_owned(),
                expected: manifest.artifact_sha256.clone(),
                actual,
            });
        }
        if manifest.to_pretty_json().as_bytes() != bytes {
            return Err(VerifyError::ManifestNotCanonical {
                file: MANIFEST_FILE.to_owned(),
            });
        }
        Ok(manifest)
    }
}

/// Checks the digest fields of a manifest entry look like digests.
pub(crate) fn check_digest_field(file: &str, digest: &str) -> Result<(), VerifyError> {
    if is_sha256_hex(digest) {
        Ok(())
    } else {
        Err(VerifyError::ManifestInvalid {
            file: MANIFEST_FILE.to_owned(),
            reason: format!("the sha256 of `{file}` is not 64 lowercase hex characters"),
        })
    }
}
