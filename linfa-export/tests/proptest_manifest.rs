//! Properties of manifest parsing and verification: no input makes them
//! panic, every valid manifest survives a write/read cycle unchanged, and no
//! single-byte change to a written manifest goes unnoticed.

mod common;

use std::collections::BTreeMap;
use std::fs;

use linfa_export::{
    ArrayFingerprint, CardFields, DataFingerprint, FileEntry, FileRole, KernelInfo, Manifest,
    ModelInfo, NumericsRecord, Parent, Provenance, Risks, Toolchain, TrainingRecordStatus, verify,
};
use proptest::prelude::*;

fn hex64() -> impl Strategy<Value = String> {
    "[0-9a-f]{64}"
}

fn text() -> impl Strategy<Value = String> {
    // Any Unicode, including quotes, backslashes and control characters.
    any::<String>()
}

fn array_fp() -> impl Strategy<Value = ArrayFingerprint> {
    (
        prop::collection::vec(0usize..10_000, 0..4),
        "[a-z0-9]{1,6}",
        hex64(),
    )
        .prop_map(|(shape, element_type, sha256)| ArrayFingerprint {
            shape,
            element_type,
            sha256,
        })
}

/// Parents up to three generations deep, any text in names, with and without a signer.
fn lineage() -> impl Strategy<Value = Vec<Parent>> {
    let leaf = (hex64(), text(), text(), prop::option::of(hex64())).prop_map(
        |(artifact_sha256, name, model_type, signer)| Parent {
            artifact_sha256,
            name,
            model_type,
            signer,
            lineage: Vec::new(),
        },
    );
    let parent = leaf.prop_recursive(3, 8, 2, |inner| {
        (
            hex64(),
            text(),
            prop::option::of(hex64()),
            prop::collection::vec(inner, 0..3),
        )
            .prop_map(|(artifact_sha256, name, signer, lineage)| Parent {
                artifact_sha256,
                name,
                model_type: "linfa_trees::DecisionTree<f64, usize>".to_owned(),
                signer,
                lineage,
            })
    });
    prop::collection::vec(parent, 0..3)
}

fn manifest() -> impl Strategy<Value = Manifest> {
    let files = prop::collection::btree_map(
        "[a-zA-Z0-9_./-]{1,20}",
        (
            prop_oneof![
                Just(FileRole::ModelJson),
                Just(FileRole::ModelCbor),
                Just(FileRole::ModelCard),
                Just(FileRole::Attachment),
                Just(FileRole::TrainingRecord)
            ],
            any::<u64>(),
            hex64(),
        )
            .prop_map(|(role, size, sha256)| FileEntry { role, size, sha256 }),
        0..5,
    );
    let data = prop::option::of(
        (
            prop::option::of(text()),
            prop::option::of(text()),
            array_fp(),
            prop::option::of(array_fp()),
        )
            .prop_map(|(name, source, records, targets)| DataFingerprint {
                name,
                source,
                records,
                targets,
            }),
    );
    let provenance = prop::option::of(
        (
            prop::option::of(any::<u64>()),
            prop::collection::vec(hex64(), 0..4),
            any::<bool>(),
            prop::option::of(text()),
            prop::option::of((text(), text())),
            prop::option::of((text(), prop::collection::vec(text(), 0..3))),
        )
            .prop_map(
                |(seed, cells, non_reproducible, reason, kernel, numerics)| Provenance {
                    seed,
                    cells,
                    non_reproducible,
                    non_reproducible_reason: reason,
                    kernel: kernel.map(|(name, version)| KernelInfo { name, version }),
                    numerics: numerics.map(|(profile, pins)| NumericsRecord { profile, pins }),
                },
            ),
    );
    let metrics = prop::collection::btree_map(
        text(),
        any::<f64>().prop_filter("finite", |x| x.is_finite()),
        0..4,
    );
    let hyper = prop::option::of(
        prop::collection::btree_map(text(), any::<i64>(), 0..3).prop_map(|m| {
            serde_json::Value::Object(m.into_iter().map(|(k, v)| (k, v.into())).collect())
        }),
    );
    let card = (
        text(),
        prop::option::of(text()),
        prop::collection::vec(text(), 0..3),
    )
        .prop_map(|(name, description, authors)| CardFields {
            name,
            description,
            authors,
            risks: Risks {
                bias: Some("b".to_owned()),
                ..Risks::default()
            },
            ..CardFields::default()
        });
    (
        (text(), prop::collection::vec(text(), 0..3), text(), text()),
        files,
        data,
        provenance,
        metrics,
        hyper,
        (
            prop::option::of(text()),
            prop::option::of(prop_oneof![
                Just(TrainingRecordStatus::Included),
                Just(TrainingRecordStatus::Withheld)
            ]),
            lineage(),
        ),
        card,
    )
        .prop_map(
            |(
                (model_type, type_params, crate_name, crate_version),
                files,
                data,
                provenance,
                metrics,
                hyperparameters,
                (exported_at, training_record, lineage),
                card,
            )| {
                let mut m = Manifest {
                    format_version: 1,
                    artifact_sha256: String::new(),
                    exported_at,
                    model: ModelInfo {
                        model_type,
                        type_params,
                        crate_name,
                        crate_version,
                    },
                    files,
                    data,
                    provenance,
                    training_record,
                    lineage,
                    hyperparameters,
                    metrics,
                    toolchain: Toolchain {
                        rustc: "rustc x".to_owned(),
                        target: "t".to_owned(),
                        linfa_export: "0.1.0".to_owned(),
                    },
                    crates: BTreeMap::from([("linfa".to_owned(), "0.8.1".to_owned())]),
                    card,
                };
                m.seal();
                m
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = Manifest::parse(&bytes);
    }

    #[test]
    fn json_shaped_garbage_never_panics(v in "\\{\"format_version\": ?(1|2|-1|1\\.0|\"1\"|null)(, ?\"[a-z_]{1,16}\": ?(null|[0-9]{1,20}|\"[a-f0-9]{0,64}\"|\\[\\]|\\{\\}))*\\}") {
        prop_assert!(Manifest::parse(v.as_bytes()).is_err());
    }

    #[test]
    fn valid_manifests_round_trip(m in manifest()) {
        let text = m.to_pretty_json();
        let parsed = Manifest::parse(text.as_bytes()).unwrap();
        prop_assert_eq!(&parsed, &m);
        prop_assert_eq!(parsed.compute_digest(), m.artifact_sha256.clone());
        prop_assert_eq!(parsed.to_pretty_json(), text);
    }

    #[test]
    fn any_change_to_a_sealed_manifest_is_detected(m in manifest(), seed in any::<u64>()) {
        // Editing any covered field without re-sealing must be caught.
        let mut edited = m.clone();
        match seed % 4 {
            0 => { edited.metrics.insert("injected".to_owned(), 1.0); }
            1 => edited.model.crate_version.push('x'),
            2 => edited.card.name.push('!'),
            _ => { edited.files.insert("extra".to_owned(), FileEntry { role: FileRole::Attachment, size: 1, sha256: "0".repeat(64) }); }
        }
        prop_assert!(Manifest::parse(edited.to_pretty_json().as_bytes()).is_err());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Writes a real artifact, changes one byte of its manifest (or cuts it
    /// short) and verifies: never a panic, never a pass.
    #[test]
    fn mutated_manifest_on_disk_never_verifies(pos in any::<prop::sample::Index>(), delta in 1u8..=255, cut in any::<bool>()) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = common::export_tiny(tmp.path(), "art").dir;
        let path = common::manifest_path(&dir);
        let mut bytes = fs::read(&path).unwrap();
        let i = pos.index(bytes.len());
        if cut {
            bytes.truncate(i);
        } else {
            bytes[i] = bytes[i].wrapping_add(delta);
        }
        fs::write(&path, &bytes).unwrap();
        let report = verify(&dir);
        prop_assert!(!report.is_ok());
        prop_assert!(!report.problems.is_empty());
        prop_assert!(linfa_export::load::<linfa_linear::FittedLinearRegression<f64>>(&dir).is_err());
    }
}
