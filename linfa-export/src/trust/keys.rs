//! Signing keys: ECDSA on P-256 or P-384, in the PEM files OpenSSF model_signing reads.
//!
//! A signature is only as good as the reader's certainty about whose key made it, so a key
//! is named everywhere (on the command line, in `inspect`, in errors) by one fingerprint: the
//! lowercase hex SHA-256 of its canonical public-key PEM (SubjectPublicKeyInfo, uncompressed
//! point, 64-column lines, LF). That is exactly the `hint` model_signing writes into a
//! signature bundle, so the fingerprint `linfa-export keygen` prints, the one `inspect` shows
//! for a signature made by either tool, and the one `openssl pkey -pubin -in pub.pem -pubout |
//! sha256sum` gives are the same string.
//!
//! Private keys are read as PKCS#8 (`BEGIN PRIVATE KEY`) or SEC1 (`BEGIN EC PRIVATE KEY`),
//! unencrypted, as model_signing 1.1.1 reads them, and written as PKCS#8 with mode 0600. New
//! keys come from the operating system's generator (rand_core's `OsRng`, which makes the
//! `getrandom` system call itself). All curve arithmetic is RustCrypto's `p256`/`p384`.

use std::fmt;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::str::FromStr;

use p256::pkcs8::der::Document;
use p256::pkcs8::spki::AlgorithmIdentifierRef;
use p256::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding,
    PrivateKeyInfo, SubjectPublicKeyInfoRef,
};

use crate::format::digest::sha256_hex;
use crate::format::error::TrustError;

/// The elliptic curves a model signature may use (with SHA-256 and SHA-384 respectively).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Curve {
    /// NIST P-256 (secp256r1, prime256v1) with SHA-256: what `openssl ecparam -name
    /// prime256v1` makes, and the default.
    #[default]
    P256,
    /// NIST P-384 (secp384r1) with SHA-384.
    P384,
}

impl Curve {
    /// `P-256` or `P-384`.
    pub fn name(self) -> &'static str {
        match self {
            Self::P256 => "P-256",
            Self::P384 => "P-384",
        }
    }
}

impl fmt::Display for Curve {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Curve {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().replace('-', "").as_str() {
            "p256" | "secp256r1" | "prime256v1" => Ok(Self::P256),
            "p384" | "secp384r1" => Ok(Self::P384),
            _ => Err(format!("`{s}` is not a supported curve: use p256 or p384")),
        }
    }
}

/// A public key that checks model signatures.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey(Public);

#[derive(Clone, PartialEq, Eq)]
enum Public {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
}

impl PublicKey {
    /// Reads a SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`).
    pub fn from_pem(text: &str) -> Result<Self, TrustError> {
        Self::from_pem_named(text, "the public key")
    }

    /// Reads the public key PEM file at `path`.
    pub fn read_pem_file(path: impl AsRef<Path>) -> Result<Self, TrustError> {
        let path = path.as_ref();
        Self::from_pem_named(&read_key_file(path)?, &path.display().to_string())
    }

    fn from_pem_named(text: &str, what: &str) -> Result<Self, TrustError> {
        const KIND: &str = "PEM public key (`-----BEGIN PUBLIC KEY-----`)";
        let invalid = |reason: String| TrustError::KeyInvalid {
            what: what.to_owned(),
            kind: KIND,
            reason,
        };
        let (label, document) = Document::from_pem(text).map_err(|e| invalid(e.to_string()))?;
        if label != "PUBLIC KEY" {
            return Err(invalid(format!(
                "it holds a `{label}`; give the public half of the key"
            )));
        }
        let info = SubjectPublicKeyInfoRef::try_from(document.as_bytes())
            .map_err(|e| invalid(e.to_string()))?;
        let key = match classify(what, &info.algorithm)? {
            Curve::P256 => p256::ecdsa::VerifyingKey::from_public_key_der(document.as_bytes())
                .map(Public::P256),
            Curve::P384 => p384::ecdsa::VerifyingKey::from_public_key_der(document.as_bytes())
                .map(Public::P384),
        };
        key.map(Self).map_err(|e| invalid(e.to_string()))
    }

    /// The curve the key is on.
    pub fn curve(&self) -> Curve {
        match self.0 {
            Public::P256(_) => Curve::P256,
            Public::P384(_) => Curve::P384,
        }
    }

    /// The canonical SubjectPublicKeyInfo PEM: uncompressed point, 64-column lines, LF.
    pub fn to_pem(&self) -> String {
        let pem = match &self.0 {
            Public::P256(key) => key.to_public_key_pem(LineEnding::LF),
            Public::P384(key) => key.to_public_key_pem(LineEnding::LF),
        };
        pem.expect("a valid curve point always encodes as SubjectPublicKeyInfo")
    }

    /// Lowercase hex SHA-256 of [`to_pem`](Self::to_pem): model_signing's key hint.
    pub fn fingerprint(&self) -> String {
        sha256_hex(self.to_pem().as_bytes())
    }

    /// Whether `der` is a valid ASN.1 DER ECDSA signature of `message` by this key (SHA-256
    /// on P-256, SHA-384 on P-384).
    pub(crate) fn verifies(&self, message: &[u8], der: &[u8]) -> bool {
        use p256::ecdsa::signature::Verifier;
        match &self.0 {
            Public::P256(key) => p256::ecdsa::Signature::from_der(der)
                .is_ok_and(|sig| key.verify(message, &sig).is_ok()),
            Public::P384(key) => p384::ecdsa::Signature::from_der(der)
                .is_ok_and(|sig| key.verify(message, &sig).is_ok()),
        }
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({}, {})", self.curve(), self.fingerprint())
    }
}

/// A private key that signs models. Its `Debug` form shows the public fingerprint only.
#[derive(Clone)]
pub struct PrivateKey(Private);

#[derive(Clone)]
enum Private {
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
}

impl PrivateKey {
    /// A new random key on `curve`, from the operating system's generator.
    pub fn generate(curve: Curve) -> Self {
        let mut rng = rand_core::OsRng;
        Self(match curve {
            Curve::P256 => Private::P256(p256::ecdsa::SigningKey::random(&mut rng)),
            Curve::P384 => Private::P384(p384::ecdsa::SigningKey::random(&mut rng)),
        })
    }

    /// Reads an unencrypted PKCS#8 (`BEGIN PRIVATE KEY`) or SEC1 (`BEGIN EC PRIVATE KEY`) PEM.
    pub fn from_pem(text: &str) -> Result<Self, TrustError> {
        Self::from_pem_named(text, "the private key")
    }

    /// Reads the private key PEM file at `path`.
    pub fn read_pem_file(path: impl AsRef<Path>) -> Result<Self, TrustError> {
        let path = path.as_ref();
        Self::from_pem_named(&read_key_file(path)?, &path.display().to_string())
    }

    fn from_pem_named(text: &str, what: &str) -> Result<Self, TrustError> {
        const KIND: &str =
            "PEM private key (`-----BEGIN PRIVATE KEY-----` or `-----BEGIN EC PRIVATE KEY-----`)";
        let invalid = |reason: String| TrustError::KeyInvalid {
            what: what.to_owned(),
            kind: KIND,
            reason,
        };
        let (label, document) = Document::from_pem(text).map_err(|e| invalid(e.to_string()))?;
        let key = match label {
            "PRIVATE KEY" => {
                let info = PrivateKeyInfo::try_from(document.as_bytes())
                    .map_err(|e| invalid(e.to_string()))?;
                match classify(what, &info.algorithm)? {
                    Curve::P256 => p256::ecdsa::SigningKey::from_pkcs8_der(document.as_bytes())
                        .map(Private::P256),
                    Curve::P384 => p384::ecdsa::SigningKey::from_pkcs8_der(document.as_bytes())
                        .map(Private::P384),
                }
                .map_err(|e| invalid(e.to_string()))?
            }
            "EC PRIVATE KEY" => {
                if let Ok(key) = p256::SecretKey::from_sec1_der(document.as_bytes()) {
                    Private::P256(key.into())
                } else {
                    p384::SecretKey::from_sec1_der(document.as_bytes())
                        .map(|key| Private::P384(key.into()))
                        .map_err(|_| invalid("not an EC key on P-256 or P-384".to_owned()))?
                }
            }
            "ENCRYPTED PRIVATE KEY" => {
                return Err(invalid(
                    "it is encrypted; decrypt it first (`openssl pkcs8 -in KEY -out PLAIN`)"
                        .to_owned(),
                ));
            }
            other => return Err(invalid(format!("it holds a `{other}`"))),
        };
        Ok(Self(key))
    }

    /// The curve the key is on.
    pub fn curve(&self) -> Curve {
        match self.0 {
            Private::P256(_) => Curve::P256,
            Private::P384(_) => Curve::P384,
        }
    }

    /// The public half, which checks this key's signatures.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(match &self.0 {
            Private::P256(key) => Public::P256(*key.verifying_key()),
            Private::P384(key) => Public::P384(*key.verifying_key()),
        })
    }

    /// Writes the key as PKCS#8 PEM to `private` (mode 0600) and its public half as
    /// SubjectPublicKeyInfo PEM to `public`. Neither file may exist: a key is never overwritten.
    pub fn write_pem_files(&self, private: &Path, public: &Path) -> Result<(), TrustError> {
        for path in [private, public] {
            if std::fs::symlink_metadata(path).is_ok() {
                return Err(TrustError::KeyExists {
                    path: path.to_owned(),
                });
            }
        }
        let pem = match &self.0 {
            Private::P256(key) => key.to_pkcs8_pem(LineEnding::LF),
            Private::P384(key) => key.to_pkcs8_pem(LineEnding::LF),
        }
        .expect("a valid scalar always encodes as PKCS#8");
        write_new(private, pem.as_bytes(), 0o600)?;
        write_new(public, self.public_key().to_pem().as_bytes(), 0o644)
    }

    /// ASN.1 DER ECDSA signature of `message` (SHA-256 on P-256, SHA-384 on P-384; RFC 6979
    /// nonces).
    pub(crate) fn sign_der(&self, message: &[u8]) -> Vec<u8> {
        use p256::ecdsa::signature::Signer;
        match &self.0 {
            Private::P256(key) => {
                let sig: p256::ecdsa::Signature = key.sign(message);
                sig.to_der().as_bytes().to_vec()
            }
            Private::P384(key) => {
                let sig: p384::ecdsa::Signature = key.sign(message);
                sig.to_der().as_bytes().to_vec()
            }
        }
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let public = self.public_key();
        write!(
            f,
            "PrivateKey({}, public {})",
            public.curve(),
            public.fingerprint()
        )
    }
}

/// Which supported curve `algorithm` names, or an error naming what it is instead.
fn classify(what: &str, algorithm: &AlgorithmIdentifierRef<'_>) -> Result<Curve, TrustError> {
    let unsupported = |algorithm: &str| TrustError::UnsupportedKey {
        what: what.to_owned(),
        algorithm: algorithm.to_owned(),
    };
    let oid = algorithm.oid.to_string();
    if oid != "1.2.840.10045.2.1" {
        return Err(unsupported(match oid.as_str() {
            "1.3.101.112" => "an Ed25519 key",
            "1.3.101.113" => "an Ed448 key",
            "1.2.840.113549.1.1.1" | "1.2.840.113549.1.1.10" => "an RSA key",
            _ => "a key of another algorithm",
        }));
    }
    let curve = algorithm
        .parameters_oid()
        .map(|oid| oid.to_string())
        .unwrap_or_default();
    match curve.as_str() {
        "1.2.840.10045.3.1.7" => Ok(Curve::P256),
        "1.3.132.0.34" => Ok(Curve::P384),
        "1.3.132.0.35" => Err(unsupported("a P-521 key")),
        "1.3.132.0.10" => Err(unsupported("a secp256k1 key")),
        _ => Err(unsupported("an elliptic-curve key on another curve")),
    }
}

fn read_key_file(path: &Path) -> Result<String, TrustError> {
    std::fs::read_to_string(path).map_err(|source| TrustError::KeyRead {
        path: path.to_owned(),
        source,
    })
}

fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), TrustError> {
    let failed = |source| TrustError::KeyWrite {
        path: path.to_owned(),
        source,
    };
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path).map_err(failed)?;
    file.write_all(bytes).map_err(failed)?;
    file.sync_all().map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curves_parse_from_their_common_names() {
        for name in ["p256", "P-256", "prime256v1", "secp256r1"] {
            assert_eq!(name.parse(), Ok(Curve::P256), "{name}");
        }
        assert_eq!("P-384".parse(), Ok(Curve::P384));
        assert!(
            "p521"
                .parse::<Curve>()
                .unwrap_err()
                .contains("p256 or p384")
        );
    }

    #[test]
    fn pem_round_trips_and_the_fingerprint_is_of_the_pem() {
        for curve in [Curve::P256, Curve::P384] {
            let key = PrivateKey::generate(curve);
            let public = key.public_key();
            let pem = public.to_pem();
            assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"), "{pem}");
            assert!(pem.lines().all(|line| line.len() <= 64));
            assert_eq!(PublicKey::from_pem(&pem).unwrap(), public);
            assert_eq!(public.fingerprint(), sha256_hex(pem.as_bytes()));
            let debug = format!("{key:?}");
            assert!(debug.contains(&public.fingerprint()), "{debug}");
            let sig = key.sign_der(b"message");
            assert!(public.verifies(b"message", &sig));
            assert!(!public.verifies(b"other message", &sig));
            let other = PrivateKey::generate(curve).public_key();
            assert!(!other.verifies(b"message", &sig));
        }
    }

    #[test]
    fn the_wrong_kind_of_pem_is_named() {
        let key = PrivateKey::generate(Curve::P256);
        let public_pem = key.public_key().to_pem();
        let err = PrivateKey::from_pem(&public_pem).unwrap_err().to_string();
        assert!(err.contains("`PUBLIC KEY`"), "{err}");
        let err = PublicKey::from_pem("not a key").unwrap_err().to_string();
        assert!(
            err.contains("the public key: not a usable PEM public key"),
            "{err}"
        );
    }
}
