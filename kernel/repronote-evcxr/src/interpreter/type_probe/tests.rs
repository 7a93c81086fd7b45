use super::*;

#[test]
fn an_untypable_binding_gets_a_notebook_note_with_its_name_and_type() {
    let code = "let params = DecisionTree::params().max_depth(Some(4));";
    let note = inference_note(
        code,
        "E0283",
        "type annotations needed for `DecisionTreeParams<_, _>`",
        &["DecisionTree", "params"],
    )
    .unwrap();
    assert!(
        note.contains("later cell cannot settle the type of `params`"),
        "{note}"
    );
    assert!(
        note.contains("`let params: DecisionTreeParams<_, _> = ...;`"),
        "{note}"
    );
}

#[test]
fn other_errors_and_cells_without_such_a_binding_get_no_note() {
    let code = "let params = DecisionTree::params();";
    assert_eq!(inference_note(code, "E0308", "mismatched types", &[]), None);
    let two = "let a = Vec::new();\nlet b = Vec::new();";
    assert_eq!(
        inference_note(two, "E0282", "type annotations needed", &[]),
        None
    );
    assert!(inference_note(two, "E0282", "type annotations needed", &["b"]).is_some());
}

#[test]
fn evcxrs_refusal_of_a_borrow_gets_what_to_write_instead() {
    let message = "The variable `names` contains a reference with a non-static lifetime so\n\
                   can't be persisted.";
    let note = borrow_note(message).unwrap();
    assert!(note.contains("Keep an owned copy"), "{note}");
    assert!(note.contains("collect::<Vec<String>>()"), "{note}");
    assert_eq!(borrow_note("mismatched types"), None);
}

#[test]
fn the_variable_is_read_from_evcxrs_message() {
    let message = "Couldn't automatically determine type of variable `model`.\n\
                   Please give it an explicit type.";
    assert_eq!(unknown_variable(message), Some("model"));
    assert_eq!(unknown_variable("something else"), None);
}

#[test]
fn the_last_top_level_let_is_found_and_annotated() {
    let code = "let data = linfa_datasets::iris();\n\
                { let model = 1; }\n\
                let mut model = KMeans::params(3).fit(&data).unwrap();\n\
                model.centroids()";
    let site = find_let(code, "model").unwrap();
    assert_eq!(
        annotated_code(code, "linfa_clustering::KMeans<f64, L2Dist>", &site),
        "let data = linfa_datasets::iris();\n\
         { let model = 1; }\n\
         let mut model: linfa_clustering::KMeans<f64, L2Dist> = KMeans::params(3).fit(&data).unwrap();\n\
         model.centroids()"
    );
    assert_eq!(
        probes_code(code, &["model"], site.after_statement, &[]),
        "let data = linfa_datasets::iris();\n\
         { let model = 1; }\n\
         let mut model = KMeans::params(3).fit(&data).unwrap();\n\
         let _: () = Some(model);\n\n\
         model.centroids()"
    );
}

#[test]
fn a_second_probe_goes_after_the_cells_last_statement() {
    let code = "let params = DecisionTree::params();\n\
                let tree = params.fit(&data).unwrap();\n\
                tree.depth()";
    let site = find_let(code, "params").unwrap();
    assert_eq!(
        probes_code(code, &["params"], site.after_cell_statements, &[]),
        "let params = DecisionTree::params();\n\
         let tree = params.fit(&data).unwrap();\n\
         let _: () = Some(params);\n\n\
         tree.depth()"
    );
}

#[test]
fn an_unsettled_type_is_told_from_underscores_in_names() {
    assert!(has_placeholder("linfa_trees::DecisionTreeParams<_, _>"));
    assert!(has_placeholder("Vec<_>"));
    assert!(!has_placeholder(
        "linfa_trees::DecisionTreeParams<f64, usize>"
    ));
    assert!(!has_placeholder("my_crate::_Hidden<u8>"));
    assert!(
        unwritable("linfa_trees::DecisionTreeParams<_, _>")
            .unwrap()
            .contains("fit in the same cell")
    );
}

#[test]
fn annotated_or_destructuring_lets_are_not_candidates() {
    assert_eq!(find_let("let model: u8 = 1;", "model"), None);
    assert_eq!(find_let("let (model, x) = (1, 2);", "model"), None);
    assert_eq!(find_let("let other = 1;", "model"), None);
    // A cell that does not parse (an evcxr command line) still yields its lets.
    assert!(find_let(":dep foo = \"1\"\nlet model = 1;", "model").is_some());
}

#[test]
fn every_untyped_binding_is_probed_at_once_and_annotated() {
    let code = "let data = linfa_datasets::iris();\n\
                let (train, mut valid) = data.split_with_ratio(0.8);\n\
                let typed: u8 = 1;\n\
                let x = 1; let x = 2.0;\n\
                train.nsamples()";
    let (lets, at) = untyped_bindings(code);
    let names: Vec<Vec<String>> = lets.iter().map(|l| l.names.clone()).collect();
    assert_eq!(
        names,
        vec![
            vec!["data".to_owned()],
            vec!["train".to_owned(), "valid".to_owned()],
            vec!["x".to_owned()],
        ]
    );
    assert!(lets[1].destructuring.is_some());
    let probed = probes_code(code, &["data", "x"], at, &["ndarray".to_owned()]);
    assert!(
        probed.contains(
            "let x = 1; let x = 2.0;\nuse ndarray as _;\nlet _: () = Some(data);\n\
             let _: () = Some(x);\n\ntrain.nsamples()"
        ),
        "{probed}"
    );
    let annotated = annotate_lets(
        code,
        &[
            (&lets[0], vec!["D".to_owned()]),
            (&lets[1], vec!["A".to_owned(), "B".to_owned()]),
        ],
    );
    assert!(
        annotated.starts_with(
            "let data: D = linfa_datasets::iris();\n\
             let train: A; let mut valid: B; (train, valid) = data.split"
        ),
        "{annotated}"
    );
    let (lets, _) = untyped_bindings("let (train, _) = data.split_with_ratio(0.9);");
    assert_eq!(
        annotate_lets(
            "let (train, _) = data.split_with_ratio(0.9);",
            &[(&lets[0], vec!["T".to_owned()])]
        ),
        "let train: T; (train, _) = data.split_with_ratio(0.9);"
    );
}

#[test]
fn a_probe_error_names_its_binding_and_type() {
    let rendered = "error[E0308]: mismatched types\n  |\n7 | let _: () = Some(model);\n  \
                    |        --   ^^^^^^^^^^^ expected `()`, found `Option<KMeans<f64, L2Dist>>`\n  \
                    = note: expected unit type `()`\n                  found enum \
                    `std::option::Option<linfa_clustering::KMeans<f64, linfa_nn::distance::L2Dist>>`\n";
    assert_eq!(
        probed_type(rendered),
        Some((
            "model".to_owned(),
            "linfa_clustering::KMeans<f64, linfa_nn::distance::L2Dist>".to_owned()
        ))
    );
    assert_eq!(probed_type("expected `()`, found `f64`"), None);
    let literal = "7 | let _: () = Some(a);\n found enum `std::option::Option<ndarray::ArrayBase<\
                   ndarray::OwnedRepr<{float}>, ndarray::Dim<[usize; 2]>>>`";
    assert_eq!(
        probed_type(literal).unwrap().1,
        "ndarray::ArrayBase<ndarray::OwnedRepr<f64>, ndarray::Dim<[usize; 2]>>"
    );
}

#[test]
fn types_that_cannot_be_kept_say_why() {
    assert!(
        unwritable("{closure@src/lib.rs:3:9}")
            .unwrap()
            .contains("Box")
    );
    assert!(
        unwritable("ndarray::ArrayBase<ndarray::ViewRepr<&'a f64>, ndarray::Dim<[usize; 2]>>")
            .unwrap()
            .contains("owned")
    );
    assert_eq!(unwritable("std::vec::Vec<&'static str>"), None);
    assert!(unwritable("impl Iterator<Item = f64>").is_some());
    assert_eq!(unwritable("linfa_clustering::KMeans<f64, L2Dist>"), None);
}

#[test]
fn a_struct_pattern_is_declared_then_assigned_and_a_placeholder_type_replaced() {
    let code = "let DatasetBase { records, mut targets, .. } = dataset;\n\
                let data: DatasetBase<_, _> = blobs().into();";
    let (lets, _) = untyped_bindings(code);
    assert_eq!(lets.len(), 2);
    let annotated = annotate_lets(
        code,
        &[
            (&lets[0], vec!["R".to_owned(), "T".to_owned()]),
            (&lets[1], vec!["D".to_owned()]),
        ],
    );
    assert_eq!(
        annotated,
        "let records: R; let mut targets: T; DatasetBase { records, targets, .. } = dataset;\n\
         let data: D = blobs().into();"
    );
    // A fully written type is the user's; `ref` bindings and let-else are left to evcxr.
    for kept in [
        "let data: Vec<f64> = vec![];",
        "let (ref a, b) = pair;",
        "let Some(x) = y else { return };",
    ] {
        assert!(untyped_bindings(kept).0.is_empty(), "{kept}");
    }
}

#[test]
fn references_in_a_probed_type_are_made_static_unless_they_name_a_lifetime() {
    assert_eq!(
        with_static_references("linfa::DatasetBase<A, ndarray::OwnedRepr<&str>>").as_deref(),
        Some("linfa::DatasetBase<A, ndarray::OwnedRepr<&'static str>>")
    );
    assert_eq!(
        with_static_references("std::vec::Vec<&mut [f64]>").as_deref(),
        Some("std::vec::Vec<&'static mut [f64]>")
    );
    assert_eq!(with_static_references("ndarray::ViewRepr<&'a f64>"), None);
    assert_eq!(
        with_static_references("linfa::ConfusionMatrix<&'static str>").as_deref(),
        Some("linfa::ConfusionMatrix<&'static str>")
    );
}

/// (`records` counts as read too: the check is by word, so a field of that name is enough.)
#[test]
fn a_name_the_value_reads_is_bound_after_the_destructuring() {
    let code = "let (records, memberships) = (memberships.records, memberships.targets);";
    let (lets, _) = untyped_bindings(code);
    assert_eq!(
        annotate_lets(code, &[(&lets[0], vec!["R".to_owned(), "M".to_owned()])]),
        "let repronote_new_records: R; let repronote_new_memberships: M; \
         (repronote_new_records, repronote_new_memberships) = (memberships.records, \
         memberships.targets); let records: R = repronote_new_records; let memberships: M = \
         repronote_new_memberships;"
    );
}
