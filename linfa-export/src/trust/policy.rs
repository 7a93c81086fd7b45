//! What a verification is asked to establish, and what it established.
//!
//! The manifest proves that an artifact's files agree with each other, not that they are the
//! files their author published: anyone can change a model, re-hash every file and re-seal
//! the manifest. Two things close that gap, and a [`Trust`] policy asks for either or both:
//!
//! - a pinned digest: the `artifact_sha256` a paper cites or a README publishes. It names
//!   exactly one artifact, and needs nothing but that string from its author;
//! - a required key: `model.sig` must be a signature by that key over every file. One key
//!   covers every model its owner publishes, including ones made after the key was shared.
//!
//! [`Verified`] is what a successful verification hands back, and its [`Assurance`] says
//! which of the two held, so a caller can never mistake "consistent" for "published". Its
//! counterpart `Refused` lives with the errors (`format::error`), since it is one.

use std::fmt;
use std::path::PathBuf;

use crate::format::digest::is_sha256_hex;
use crate::format::error::TrustError;
use crate::format::manifest::Manifest;
use crate::trust::keys::PublicKey;

/// What verification must establish beyond the files agreeing with their manifest.
///
/// ```
/// use linfa_export::{PrivateKey, Curve, Trust};
/// let consistent = Trust::consistency();
/// let pinned = Trust::digest("sha256:8E6B0A95E2F2A8C4DF3F4DA3D3A5DFB16B2B9B1B0EA49F9A1FD44C93E2E7C6AB").unwrap();
/// let key = PrivateKey::generate(Curve::P256).public_key();
/// let both = pinned.clone().and_key(key);
/// assert!(consistent.is_consistency_only() && !both.is_consistency_only());
/// assert!(Trust::digest("not hex").is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trust {
    digest: Option<String>,
    key: Option<PublicKey>,
}

impl Trust {
    /// Only that the files agree with their manifest (what [`verify`](crate::verify) checks).
    pub fn consistency() -> Self {
        Self::default()
    }

    /// The artifact digest must be `digest`: 64 hex characters, optionally after `sha256:`.
    pub fn digest(digest: &str) -> Result<Self, TrustError> {
        Self::default().and_digest(digest)
    }

    /// `model.sig` must be a valid signature by `key` over every file.
    pub fn key(key: PublicKey) -> Self {
        Self::default().and_key(key)
    }

    /// [`Trust::key`] with the public key read from a PEM file.
    pub fn key_file(path: impl AsRef<std::path::Path>) -> Result<Self, TrustError> {
        Ok(Self::key(PublicKey::read_pem_file(path)?))
    }

    /// Also requires the artifact digest to be `digest`.
    pub fn and_digest(mut self, digest: &str) -> Result<Self, TrustError> {
        let trimmed = digest.trim();
        let hex = trimmed.strip_prefix("sha256:").unwrap_or(trimmed);
        let hex = hex.to_ascii_lowercase();
        if !is_sha256_hex(&hex) {
            return Err(TrustError::BadDigest {
                given: digest.to_owned(),
            });
        }
        self.digest = Some(hex);
        Ok(self)
    }

    /// Also requires a signature by `key`.
    pub fn and_key(mut self, key: PublicKey) -> Self {
        self.key = Some(key);
        self
    }

    /// The pinned artifact digest (lowercase hex), if any.
    pub fn expected_digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }

    /// The key whose signature is required, if any.
    pub fn required_key(&self) -> Option<&PublicKey> {
        self.key.as_ref()
    }

    /// True when neither a digest nor a key is required.
    pub fn is_consistency_only(&self) -> bool {
        self.digest.is_none() && self.key.is_none()
    }
}

/// Which of a [`Trust`] policy's requirements held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assurance {
    /// The artifact digest is the pinned one.
    pub pinned: bool,
    /// Fingerprint of the required key, whose signature in `model.sig` covers every file.
    pub signer: Option<String>,
}

impl Assurance {
    /// True when only self-consistency was established.
    pub fn is_consistency_only(&self) -> bool {
        !self.pinned && self.signer.is_none()
    }
}

impl fmt::Display for Assurance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.pinned, &self.signer) {
            (false, None) => f.write_str(
                "consistency only: the files agree with their manifest, but anyone who changes \
                 them can re-seal it; only a pinned digest or the author's key shows they are \
                 the published ones",
            ),
            (true, None) => f.write_str("pinned digest: this is the artifact its digest names"),
            (false, Some(key)) => write!(f, "signed by key {key}: model.sig covers every file"),
            (true, Some(key)) => write!(
                f,
                "pinned digest, and signed by key {key}: model.sig covers every file"
            ),
        }
    }
}

/// An artifact that passed verification.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// The folder checked.
    pub dir: PathBuf,
    /// Its manifest, which every file matches.
    pub manifest: Manifest,
    /// Files whose content was hashed.
    pub files_hashed: usize,
    /// Bytes hashed.
    pub bytes_hashed: u64,
    /// What was established beyond consistency.
    pub assurance: Assurance,
}

impl Verified {
    /// The artifact digest (`manifest.artifact_sha256`).
    pub fn digest(&self) -> &str {
        &self.manifest.artifact_sha256
    }
}
