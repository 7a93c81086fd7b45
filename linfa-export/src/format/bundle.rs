//! The signature file's outer format: a Sigstore bundle (v0.3) holding a DSSE envelope, as
//! OpenSSF model_signing 1.1.1 writes with `sign key`.
//!
//! Interoperability is the point: `model_signing verify key` must accept what we write, and
//! we must accept what `model_signing sign key` writes. The envelope carries the statement
//! (see [`statement`](crate::format::statement)) as its payload and an ECDSA signature (ASN.1 DER)
//! over the payload's DSSE pre-authentication encoding (PAE). The bundle is read as strictly
//! as model_signing reads it (unknown fields refused, padded standard base64, exact media
//! type), because a signature file one tool accepts and the other refuses helps nobody.
//!
//! Parsing never panics on any input: everything goes through serde and checked decoding.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `mediaType` of the bundles model_signing 1.1.1 writes and accepts.
pub const BUNDLE_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// DSSE `payloadType` of an in-toto statement.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Bundle {
    media_type: String,
    verification_material: VerificationMaterial,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dsse_envelope: Option<Envelope>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message_signature: Option<Value>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct VerificationMaterial {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    public_key: Option<KeyHint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    x509_certificate_chain: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    certificate: Option<Value>,
    #[serde(default)]
    tlog_entries: Vec<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    timestamp_verification_data: Option<Value>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct KeyHint {
    #[serde(default)]
    hint: Option<String>,
    // model_signing deletes these two before its strict parse, so they are tolerated here too.
    #[serde(default, rename = "rawBytes", skip_serializing)]
    _raw_bytes: Option<Value>,
    #[serde(default, rename = "keyDetails", skip_serializing)]
    _key_details: Option<Value>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Envelope {
    payload: String,
    payload_type: String,
    signatures: Vec<EnvelopeSignature>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvelopeSignature {
    sig: String,
    #[serde(default)]
    keyid: Option<String>,
}

/// What a signature file holds, before anything in it is trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedEnvelope {
    /// The signer's key hint (model_signing's fingerprint), when the bundle names one.
    pub key_hint: Option<String>,
    /// The statement's bytes, exactly as signed.
    pub payload: Vec<u8>,
    /// The first signature (the only one model_signing checks), ASN.1 DER.
    pub signature: Vec<u8>,
}

/// Reads a signature bundle; the error says what is wrong with it.
pub fn parse_bundle(bytes: &[u8]) -> Result<SignedEnvelope, String> {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        return Err("it starts with a UTF-8 byte order mark".to_owned());
    }
    let bundle: Bundle =
        serde_json::from_slice(bytes).map_err(|e| format!("not a Sigstore bundle: {e}"))?;
    if bundle.media_type != BUNDLE_MEDIA_TYPE {
        return Err(format!(
            "mediaType is `{}`, not `{BUNDLE_MEDIA_TYPE}`",
            bundle.media_type
        ));
    }
    let material = bundle.verification_material;
    let Some(key) = material.public_key else {
        return Err(
            if material.x509_certificate_chain.is_some() || material.certificate.is_some() {
                "it is signed with a Sigstore certificate, not a key; only key signatures (`model_signing sign key`) are checked here"
            } else {
                "its verificationMaterial names no publicKey"
            }
            .to_owned(),
        );
    };
    let Some(envelope) = bundle.dsse_envelope else {
        return Err(
            "it holds no dsseEnvelope (a messageSignature does not sign a folder)".to_owned(),
        );
    };
    if envelope.payload_type != PAYLOAD_TYPE {
        return Err(format!(
            "payloadType is `{}`, not `{PAYLOAD_TYPE}`",
            envelope.payload_type
        ));
    }
    let Some(first) = envelope.signatures.first() else {
        return Err("its envelope holds no signature".to_owned());
    };
    let payload = BASE64
        .decode(&envelope.payload)
        .map_err(|e| format!("the payload is not base64: {e}"))?;
    let signature = BASE64
        .decode(&first.sig)
        .map_err(|e| format!("the signature is not base64: {e}"))?;
    Ok(SignedEnvelope {
        key_hint: key.hint.filter(|hint| !hint.is_empty()),
        payload,
        signature,
    })
}

/// The bundle JSON for `payload` signed as `signature` (DER) by the key with `key_hint`:
/// compact, in model_signing's key order, without a trailing newline.
pub fn write_bundle(payload: &[u8], signature: &[u8], key_hint: &str) -> Vec<u8> {
    let bundle = Bundle {
        media_type: BUNDLE_MEDIA_TYPE.to_owned(),
        verification_material: VerificationMaterial {
            public_key: Some(KeyHint {
                hint: Some(key_hint.to_owned()),
                _raw_bytes: None,
                _key_details: None,
            }),
            x509_certificate_chain: None,
            certificate: None,
            tlog_entries: Vec::new(),
            timestamp_verification_data: None,
        },
        dsse_envelope: Some(Envelope {
            payload: BASE64.encode(payload),
            payload_type: PAYLOAD_TYPE.to_owned(),
            signatures: vec![EnvelopeSignature {
                sig: BASE64.encode(signature),
                keyid: Some(String::new()),
            }],
        }),
        message_signature: None,
    };
    serde_json::to_vec(&bundle).expect("a bundle holds only strings and lists")
}

/// DSSE v1 pre-authentication encoding of an in-toto `payload`: the bytes the key signs.
pub fn pae(payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {PAYLOAD_TYPE} {} ",
        PAYLOAD_TYPE.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bundle_reads_back_and_its_pae_is_dsse_v1() {
        let bundle = write_bundle(b"{\"x\":1}", &[0x30, 0x02, 1, 2], "ab");
        let text = String::from_utf8(bundle.clone()).unwrap();
        assert!(text.starts_with(
            "{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\
             \"verificationMaterial\":{\"publicKey\":{\"hint\":\"ab\"},\"tlogEntries\":[]},\
             \"dsseEnvelope\":{\"payload\":\"eyJ4IjoxfQ==\",\"payloadType\":\"application/vnd.in-toto+json\",\
             \"signatures\":[{\"sig\":\"MAIBAg==\",\"keyid\":\"\"}]}}"
        ), "{text}");
        let read = parse_bundle(&bundle).unwrap();
        assert_eq!(read.payload, b"{\"x\":1}");
        assert_eq!(read.signature, [0x30, 0x02, 1, 2]);
        assert_eq!(read.key_hint.as_deref(), Some("ab"));
        assert_eq!(
            pae(b"{\"x\":1}"),
            b"DSSEv1 28 application/vnd.in-toto+json 7 {\"x\":1}"
        );
    }

    #[test]
    fn broken_bundles_say_why() {
        let cases: [(&[u8], &str); 4] = [
            (b"\xEF\xBB\xBF{}", "byte order mark"),
            (b"{\"mediaType\":\"x\",\"verificationMaterial\":{}}", "mediaType is `x`"),
            (b"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{\"publicKey\":{},\"foo\":1}}", "unknown field `foo`"),
            (b"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{\"certificate\":{}}}", "certificate"),
        ];
        for (bytes, needle) in cases {
            let err = parse_bundle(bytes).unwrap_err();
            assert!(err.contains(needle), "{err}");
        }
    }
}
