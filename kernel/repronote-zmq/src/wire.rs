//! The Jupyter wire format: multipart ZeroMQ frames <-> typed messages, signed with HMAC.
//!
//! Everything that arrives from a socket passes through [`WireCodec::decode`] before the kernel
//! looks at it, so this is where hostile or broken input is stopped: a frame list without the
//! `<IDS|MSG>` delimiter, a signature that does not match the connection key, a header that is
//! not JSON, or a message larger than [`MAX_MESSAGE_BYTES`] becomes a [`WireError`] that names
//! what was wrong. The transport logs it and keeps serving; nothing unsigned is ever executed.
//!
//! Signatures follow the connection file's `signature_scheme` (`hmac-sha256`, `hmac-sha384`,
//! `hmac-sha512`); an empty key disables signing, as the protocol specifies.

use bytes::Bytes;
use hmac::{Hmac, Mac};
use jupyter_protocol::messaging::{Header, JupyterMessage, JupyterMessageContent};
use serde_json::Value;
use sha2::{Sha256, Sha384, Sha512};

/// The delimiter between routing identities and the signed message parts.
pub const DELIMITER: &[u8] = b"<IDS|MSG>";

/// Messages above this size are refused before any JSON is parsed (64 MiB).
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;

/// Why a received frame list could not become a message.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error("message has no <IDS|MSG> delimiter frame; it is not a Jupyter message")]
    MissingDelimiter,
    #[error("message has {found} frames after the delimiter; a Jupyter message needs at least 5")]
    TooFewFrames { found: usize },
    #[error("message is {size} bytes, more than the {limit}-byte limit")]
    TooLarge { size: usize, limit: usize },
    #[error("signature does not match the connection key (message dropped)")]
    BadSignature,
    #[error("the {part} frame is not valid JSON: {source}")]
    InvalidJson {
        part: &'static str,
        source: serde_json::Error,
    },
    #[error("content of a `{msg_type}` message does not match the protocol: {source}")]
    InvalidContent {
        msg_type: String,
        source: serde_json::Error,
        /// The sender's header and routing, so the transport can answer with an error reply.
        header: Box<Header>,
        identities: Vec<Bytes>,
    },
}

/// Why a connection file's signing settings cannot be used.
#[derive(Debug, thiserror::Error)]
#[error(
    "unsupported signature_scheme `{0}` in the connection file; use hmac-sha256, hmac-sha384 or hmac-sha512"
)]
pub struct UnsupportedScheme(pub String);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scheme {
    Sha256,
    Sha384,
    Sha512,
}

/// Signs and verifies messages for one connection.
#[derive(Clone)]
pub struct WireCodec {
    key: Vec<u8>,
    scheme: Scheme,
}

impl std::fmt::Debug for WireCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WireCodec")
            .field("scheme", &self.scheme)
            .field("signed", &!self.key.is_empty())
            .finish()
    }
}

impl WireCodec {
    /// A codec for the `key` and `signature_scheme` of a connection file.
    pub fn new(key: &str, signature_scheme: &str) -> Result<Self, UnsupportedScheme> {
        let scheme = match signature_scheme {
            "hmac-sha256" | "" => Scheme::Sha256,
            "hmac-sha384" => Scheme::Sha384,
            "hmac-sha512" => Scheme::Sha512,
            other => return Err(UnsupportedScheme(other.to_owned())),
        };
        Ok(Self {
            key: key.as_bytes().to_vec(),
            scheme,
        })
    }

    fn signature(&self, parts: &[&[u8]]) -> String {
        fn sign<M: Mac + hmac::digest::KeyInit>(key: &[u8], parts: &[&[u8]]) -> String {
            let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(key)
                .expect("HMAC accepts keys of any length");
            for part in parts {
                mac.update(part);
            }
            hex::encode(mac.finalize().into_bytes())
        }
        if self.key.is_empty() {
            return String::new();
        }
        match self.scheme {
            Scheme::Sha256 => sign::<Hmac<Sha256>>(&self.key, parts),
            Scheme::Sha384 => sign::<Hmac<Sha384>>(&self.key, parts),
            Scheme::Sha512 => sign::<Hmac<Sha512>>(&self.key, parts),
        }
    }

    fn verify(&self, signature: &[u8], parts: &[&[u8]]) -> Result<(), WireError> {
        if self.key.is_empty() {
            return Ok(());
        }
        let expected = self.signature(parts);
        // Compare in constant time: the comparison must not leak how much of a forgery matched.
        let matches = expected.len() == signature.len()
            && expected
                .as_bytes()
                .iter()
                .zip(signature)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if matches {
            Ok(())
        } else {
            Err(WireError::BadSignature)
        }
    }

    /// Parses and verifies the frames of one received message (identities first).
    pub fn decode(&self, frames: &[Bytes]) -> Result<JupyterMessage, WireError> {
        let size: usize = frames.iter().map(Bytes::len).sum();
        if size > MAX_MESSAGE_BYTES {
            return Err(WireError::TooLarge {
                size,
                limit: MAX_MESSAGE_BYTES,
            });
        }
        let delimiter = frames
            .iter()
            .position(|frame| frame.as_ref() == DELIMITER)
            .ok_or(WireError::MissingDelimiter)?;
        let identities = frames[..delimiter].to_vec();
        let rest = &frames[delimiter + 1..];
        if rest.len() < 5 {
            return Err(WireError::TooFewFrames { found: rest.len() });
        }
        let (signature, header, parent, metadata, content) =
            (&rest[0], &rest[1], &rest[2], &rest[3], &rest[4]);
        self.verify(signature, &[header, parent, metadata, content])?;

        let header: Header = parse_json(header, "header")?;
        let parent_value: Value = parse_json(parent, "parent_header")?;
        let parent_header = match parent_value {
            Value::Object(map) if map.is_empty() => None,
            Value::Null => None,
            other => serde_json::from_value(other).ok(),
        };
        let metadata: Value = parse_json(metadata, "metadata")?;
        let content: Value = parse_json(content, "content")?;
        let content = with_optional_fields(&header.msg_type, content);
        let content = match JupyterMessageContent::from_type_and_content(&header.msg_type, content)
        {
            Ok(content) => content,
            Err(source) => {
                return Err(WireError::InvalidContent {
                    msg_type: header.msg_type.clone(),
                    source,
                    header: Box::new(header),
                    identities,
                });
            }
        };
        Ok(JupyterMessage {
            zmq_identities: identities,
            header,
            parent_header,
            metadata,
            content,
            buffers: rest[5..].to_vec(),
            channel: None,
        })
    }

    /// Serializes and signs a message into frames (identities first).
    pub fn encode(&self, message: &JupyterMessage) -> Vec<Bytes> {
        let to_bytes = |value: &dyn erased_json::Json| Bytes::from(value.to_json());
        let header = to_bytes(&message.header);
        let parent = match &message.parent_header {
            Some(parent) => to_bytes(parent),
            None => Bytes::from_static(b"{}"),
        };
        let metadata = to_bytes(&message.metadata);
        let content = to_bytes(&message.content);
        let signature = self.signature(&[&header, &parent, &metadata, &content]);
        let mut frames = message.zmq_identities.clone();
        frames.push(Bytes::from_static(DELIMITER));
        frames.push(Bytes::from(signature));
        frames.extend([header, parent, metadata, content]);
        frames.extend(message.buffers.iter().cloned());
        frames
    }
}

/// Fills in the fields the protocol documents as optional, with their documented defaults, so
/// that a request from a minimal client (e.g. a history search without `n`) is still served.
fn with_optional_fields(msg_type: &str, mut content: Value) -> Value {
    let defaults: &[(&str, Value)] = match msg_type {
        "execute_request" => &[
            ("silent", Value::Bool(false)),
            ("store_history", Value::Bool(true)),
            ("allow_stdin", Value::Bool(true)),
            ("stop_on_error", Value::Bool(true)),
        ],
        "history_request" => &[
            ("output", Value::Bool(false)),
            ("raw", Value::Bool(true)),
            ("unique", Value::Bool(false)),
            ("n", Value::from(0)),
            ("start", Value::from(0)),
            ("stop", Value::from(0)),
        ],
        "inspect_request" => &[("detail_level", Value::from(0))],
        "shutdown_request" => &[("restart", Value::Bool(false))],
        _ => &[],
    };
    if let Value::Object(fields) = &mut content {
        for (name, value) in defaults {
            if !fields.contains_key(*name) || fields[*name].is_null() {
                fields.insert((*name).to_owned(), value.clone());
            }
        }
    }
    content
}

fn parse_json<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    part: &'static str,
) -> Result<T, WireError> {
    serde_json::from_slice(bytes).map_err(|source| WireError::InvalidJson { part, source })
}

/// Serialization of the message parts through one object-safe door, so `encode` reads as a list.
mod erased_json {
    pub trait Json {
        fn to_json(&self) -> Vec<u8>;
    }
    impl<T: serde::Serialize> Json for T {
        fn to_json(&self) -> Vec<u8> {
            serde_json::to_vec(self).expect("message parts are plain JSON values")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jupyter_protocol::messaging::{ExecuteRequest, KernelInfoRequest};

    fn codec() -> WireCodec {
        WireCodec::new("secret-key", "hmac-sha256").unwrap()
    }

    fn request() -> JupyterMessage {
        JupyterMessage::new(ExecuteRequest::new("1 + 1".to_owned()), None)
            .with_zmq_identities(vec![Bytes::from_static(b"client-1")])
    }

    #[test]
    fn encoded_messages_decode_to_the_same_content() {
        let frames = codec().encode(&request());
        assert_eq!(frames[0].as_ref(), b"client-1");
        assert_eq!(frames[1].as_ref(), DELIMITER);
        let decoded = codec().decode(&frames).unwrap();
        assert_eq!(decoded.header.msg_type, "execute_request");
        assert_eq!(
            decoded.zmq_identities,
            vec![Bytes::from_static(b"client-1")]
        );
        match decoded.content {
            JupyterMessageContent::ExecuteRequest(req) => assert_eq!(req.code, "1 + 1"),
            other => panic!("decoded into {other:?}"),
        }
    }

    #[test]
    fn signature_matches_python_hmac_of_the_four_parts() {
        // hmac.new(b"key", b"abcd", hashlib.sha256).hexdigest(), computed with Python.
        let codec = WireCodec::new("key", "hmac-sha256").unwrap();
        assert_eq!(
            codec.signature(&[b"a", b"b", b"c", b"d"]),
            "2a31ec0ee8d878c9eece9fb0df79b3b90b2256240163aa5ee50d176d3d1121f8"
        );
    }

    #[test]
    fn a_forged_signature_is_refused() {
        let mut frames = codec().encode(&request());
        frames[2] = Bytes::from_static(b"0000");
        assert!(matches!(
            codec().decode(&frames),
            Err(WireError::BadSignature)
        ));
    }

    #[test]
    fn a_message_signed_with_another_key_is_refused() {
        let other = WireCodec::new("another-key", "hmac-sha256").unwrap();
        let frames = other.encode(&request());
        assert!(matches!(
            codec().decode(&frames),
            Err(WireError::BadSignature)
        ));
    }

    #[test]
    fn a_changed_content_frame_is_refused() {
        let mut frames = codec().encode(&request());
        let last = frames.len() - 1;
        frames[last] = Bytes::from_static(br#"{"code":"rm -rf","silent":false,"store_history":true,"user_expressions":{},"allow_stdin":false,"stop_on_error":true}"#);
        assert!(matches!(
            codec().decode(&frames),
            Err(WireError::BadSignature)
        ));
    }

    #[test]
    fn garbage_frames_give_errors_not_panics() {
        let cases: Vec<Vec<Bytes>> = vec![
            vec![],
            vec![Bytes::from_static(b"hello")],
            vec![Bytes::from_static(DELIMITER)],
            vec![
                Bytes::from_static(DELIMITER),
                Bytes::from_static(b"x"),
                Bytes::from_static(b"y"),
            ],
        ];
        for frames in cases {
            assert!(codec().decode(&frames).is_err(), "{frames:?}");
        }
    }

    #[test]
    fn invalid_json_is_named_by_part() {
        let unsigned = WireCodec::new("", "hmac-sha256").unwrap();
        let frames: Vec<Bytes> = [&b"<IDS|MSG>"[..], b"", b"{not json", b"{}", b"{}", b"{}"]
            .iter()
            .map(|part| Bytes::copy_from_slice(part))
            .collect();
        let error = unsigned.decode(&frames).unwrap_err();
        assert!(
            matches!(error, WireError::InvalidJson { part: "header", .. }),
            "{error}"
        );
    }

    #[test]
    fn oversized_messages_are_refused_before_parsing() {
        let big = Bytes::from(vec![b' '; MAX_MESSAGE_BYTES + 1]);
        let error = codec().decode(&[big]).unwrap_err();
        assert!(matches!(error, WireError::TooLarge { .. }));
    }

    #[test]
    fn unknown_schemes_are_refused() {
        assert!(WireCodec::new("k", "hmac-md5").is_err());
        assert!(WireCodec::new("k", "hmac-sha512").is_ok());
    }

    #[test]
    fn unknown_message_types_are_kept() {
        let message = JupyterMessage::new(KernelInfoRequest {}, None);
        let mut frames = codec().encode(&message);
        let header_at = 2; // no identities: delimiter, signature, header, ...
        let mut header: Value = serde_json::from_slice(&frames[header_at]).unwrap();
        header["msg_type"] = "made_up_request".into();
        frames[header_at] = Bytes::from(serde_json::to_vec(&header).unwrap());
        let signature = codec().signature(&[&frames[2], &frames[3], &frames[4], &frames[5]]);
        frames[1] = Bytes::from(signature);
        let decoded = codec().decode(&frames).unwrap();
        assert_eq!(decoded.header.msg_type, "made_up_request");
    }
}
