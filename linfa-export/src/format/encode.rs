//! Model bytes: canonical JSON, and a compact binary form beside it.
//!
//! The artifact digest is only meaningful if the same model always encodes to
//! the same bytes. Serializing straight from a model is not enough: some
//! models hold a `HashMap` (GaussianNb, MultinomialNb) whose iteration order
//! changes from run to run. Both encodings therefore go through
//! `serde_json::Value`, whose maps are sorted (serde_json's `preserve_order`
//! feature must stay off), and floats are written in their shortest form that
//! parses back to the same bits (`float_roundtrip`).
//!
//! The binary form is CBOR of that same canonical value: deterministic for the
//! same reason, self-describing so it can be checked without the model type,
//! and about half the size of the JSON for float-heavy models. Formats such as
//! postcard or bincode encode the model's `HashMap` in iteration order and
//! would give a different file for every training run.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The canonical tree of a model.
pub fn canonical_value<T: Serialize>(model: &T) -> Result<Value, String> {
    serde_json::to_value(model).map_err(|e| e.to_string())
}

/// Canonical JSON bytes of a canonical value: compact, sorted keys, trailing newline.
pub fn json_bytes(value: &Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec(value).expect("a JSON value always serializes");
    bytes.push(b'\n');
    bytes
}

/// CBOR bytes of a canonical value.
pub fn cbor_bytes(value: &Value) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

/// Decodes a model from its JSON bytes.
pub fn decode_json<M: DeserializeOwned>(bytes: &[u8]) -> Result<M, String> {
    serde_json::from_slice(bytes).map_err(|e| e.to_string())
}

/// Decodes a model from its CBOR bytes.
pub fn decode_cbor<M: DeserializeOwned>(bytes: &[u8]) -> Result<M, String> {
    let value: Value = ciborium::from_reader(bytes).map_err(|e| e.to_string())?;
    serde_json::from_value(value).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn hash_map_order_does_not_leak_into_bytes() {
        let a: HashMap<usize, f64> = (0..64).map(|i| (i, i as f64 / 3.0)).collect();
        let b: HashMap<usize, f64> = (0..64).rev().map(|i| (i, i as f64 / 3.0)).collect();
        let (va, vb) = (canonical_value(&a).unwrap(), canonical_value(&b).unwrap());
        assert_eq!(json_bytes(&va), json_bytes(&vb));
        assert_eq!(cbor_bytes(&va).unwrap(), cbor_bytes(&vb).unwrap());
    }

    #[test]
    fn floats_round_trip_exactly_through_both_encodings() {
        let xs = vec![
            0.1f64,
            1.0 / 3.0,
            f64::MIN_POSITIVE,
            1e300,
            -2.5e-310,
            123_456_789.123_456_79,
        ];
        let v = canonical_value(&xs).unwrap();
        let from_json: Vec<f64> = decode_json(&json_bytes(&v)).unwrap();
        let from_cbor: Vec<f64> = decode_cbor(&cbor_bytes(&v).unwrap()).unwrap();
        for ((a, b), c) in xs.iter().zip(&from_json).zip(&from_cbor) {
            assert_eq!(a.to_bits(), b.to_bits());
            assert_eq!(a.to_bits(), c.to_bits());
        }
    }

    #[test]
    fn integer_map_keys_survive_cbor() {
        let m: HashMap<usize, String> = [(3, "x".to_owned()), (10, "y".to_owned())].into();
        let v = canonical_value(&m).unwrap();
        let back: HashMap<usize, String> = decode_cbor(&cbor_bytes(&v).unwrap()).unwrap();
        assert_eq!(back, m);
    }
}
