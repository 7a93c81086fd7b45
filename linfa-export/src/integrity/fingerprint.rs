//! A fingerprint of the training data, without the data.
//!
//! An artifact should say what it was trained on even when the data is
//! private or too big to ship. Hashing the canonical bytes of the records and
//! targets (little-endian elements in logical row-major order) gives a digest
//! that changes with any value and does not change with memory layout: a
//! transposed-then-copied or sliced array with the same logical contents has
//! the same fingerprint, on any platform.
//!
//! The fingerprint's fields are part of the manifest (`format::fingerprint`); this module
//! gives those types the constructors that compute them.

use linfa::DatasetBase;
use ndarray::{ArrayBase, Data, Dimension};
use sha2::{Digest, Sha256};

use crate::format::fingerprint::{ArrayFingerprint, DataFingerprint};

/// Element types whose canonical byte form is defined.
///
/// `usize`/`isize` are written as 64-bit so 32- and 64-bit machines agree;
/// `bool` is one byte (0 or 1). Floats are written bit for bit, so `-0.0` and
/// `0.0`, or two NaN payloads, fingerprint differently.
pub trait CanonicalElement: Copy {
    /// Name recorded as the element type.
    const TYPE_NAME: &'static str;
    /// Appends the little-endian bytes of `self` to `out`.
    fn write_le(self, out: &mut Vec<u8>);
}

macro_rules! canonical_le {
    ($($t:ty => $as:ty),* $(,)?) => {$(
        impl CanonicalElement for $t {
            const TYPE_NAME: &'static str = stringify!($t);
            fn write_le(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&<$as>::from(self).to_le_bytes());
            }
        }
    )*};
}

canonical_le!(
    f32 => f32, f64 => f64,
    u8 => u8, u16 => u16, u32 => u32, u64 => u64,
    i8 => i8, i16 => i16, i32 => i32, i64 => i64,
);

impl CanonicalElement for usize {
    const TYPE_NAME: &'static str = "usize";
    fn write_le(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&(self as u64).to_le_bytes());
    }
}

impl CanonicalElement for isize {
    const TYPE_NAME: &'static str = "isize";
    fn write_le(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&(self as i64).to_le_bytes());
    }
}

impl CanonicalElement for bool {
    const TYPE_NAME: &'static str = "bool";
    fn write_le(self, out: &mut Vec<u8>) {
        out.push(u8::from(self));
    }
}

impl ArrayFingerprint {
    /// Fingerprints `array` in logical row-major order, whatever its strides.
    pub fn of<S, D>(array: &ArrayBase<S, D>) -> Self
    where
        S: Data,
        S::Elem: CanonicalElement,
        D: Dimension,
    {
        const CHUNK: usize = 64 * 1024;
        let mut hasher = Sha256::new();
        let mut buf = Vec::with_capacity(CHUNK + 16);
        for &x in array.iter() {
            x.write_le(&mut buf);
            if buf.len() >= CHUNK {
                hasher.update(&buf);
                buf.clear();
            }
        }
        hasher.update(&buf);
        Self {
            shape: array.shape().to_vec(),
            element_type: S::Elem::TYPE_NAME.to_owned(),
            sha256: hex::encode(hasher.finalize()),
        }
    }
}

impl DataFingerprint {
    /// Fingerprints records only (unsupervised training).
    pub fn from_records<S, D>(records: &ArrayBase<S, D>) -> Self
    where
        S: Data,
        S::Elem: CanonicalElement,
        D: Dimension,
    {
        Self {
            name: None,
            source: None,
            records: ArrayFingerprint::of(records),
            targets: None,
        }
    }

    /// Fingerprints records and targets.
    pub fn from_arrays<S1, D1, S2, D2>(
        records: &ArrayBase<S1, D1>,
        targets: &ArrayBase<S2, D2>,
    ) -> Self
    where
        S1: Data,
        S1::Elem: CanonicalElement,
        D1: Dimension,
        S2: Data,
        S2::Elem: CanonicalElement,
        D2: Dimension,
    {
        Self {
            targets: Some(ArrayFingerprint::of(targets)),
            ..Self::from_records(records)
        }
    }

    /// Fingerprints a linfa dataset's records and targets.
    pub fn from_dataset<S1, D1, S2, D2>(
        dataset: &DatasetBase<ArrayBase<S1, D1>, ArrayBase<S2, D2>>,
    ) -> Self
    where
        S1: Data,
        S1::Elem: CanonicalElement,
        D1: Dimension,
        S2: Data,
        S2::Elem: CanonicalElement,
        D2: Dimension,
    {
        Self::from_arrays(&dataset.records, &dataset.targets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::digest::sha256_hex;
    use ndarray::{Array2, ShapeBuilder, array};

    #[test]
    fn digest_is_of_little_endian_row_major_bytes() {
        let a = array![[1.0f64, 2.0], [3.0, 4.0]];
        let mut expected = Vec::new();
        for x in [1.0f64, 2.0, 3.0, 4.0] {
            expected.extend_from_slice(&x.to_le_bytes());
        }
        let fp = ArrayFingerprint::of(&a);
        assert_eq!(fp.sha256, sha256_hex(&expected));
        assert_eq!(fp.shape, vec![2, 2]);
        assert_eq!(fp.element_type, "f64");
    }

    #[test]
    fn memory_layout_does_not_matter() {
        let c = array![[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]];
        let mut f = Array2::<f32>::zeros((2, 3).f());
        f.assign(&c);
        assert!(!f.is_standard_layout());
        assert_eq!(ArrayFingerprint::of(&c), ArrayFingerprint::of(&f));
        // A transposed view is a different logical array.
        assert_ne!(ArrayFingerprint::of(&c), ArrayFingerprint::of(&c.t()));
    }

    #[test]
    fn any_value_change_changes_the_digest() {
        let a = array![1usize, 2, 3];
        let b = array![1usize, 2, 4];
        assert_ne!(
            ArrayFingerprint::of(&a).sha256,
            ArrayFingerprint::of(&b).sha256
        );
        assert_eq!(ArrayFingerprint::of(&a).element_type, "usize");
    }
}
