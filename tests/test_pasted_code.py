"""Code written as a program (linfa's examples and docs), pasted cell by cell into one kernel.

Each case is a way such code used to fail in a notebook although it compiles as a program:
a crate's `Result` alias, text labels kept in a dataset, a struct pattern, a literal whose type
a later cell settles, rand 0.8's `gen`. The last cases check that a panic and `dbg!` name the
cell's own line, not one of the crate evcxr generates."""

from __future__ import annotations

from conftest import execute, ok


def test_a_crates_result_alias_does_not_break_later_cells(kc):
    ok(kc, "use linfa::prelude::*;\nuse linfa_trees::{DecisionTree, Result};")
    # A later cell with a binding the kernel must type, then the alias used as the crate means it.
    ok(kc, "let iris = linfa_datasets::iris();")
    ok(kc, "fn depth_of(data: &Dataset<f64, usize, ndarray::Ix1>) -> Result<usize> {\n"
           "    Ok(DecisionTree::params().max_depth(Some(3)).fit(data)?.max_depth())\n}")
    assert ok(kc, "depth_of(&iris)? <= 3").result_text() == "true"
    # `?` in a binding cell, on the crate's own error type.
    ok(kc, "let tree = DecisionTree::params().fit(&iris)?;")
    assert ok(kc, "tree.max_depth() > 0").result_text() == "true"


def test_text_labels_are_kept_with_the_dataset(kc):
    ok(kc, "use linfa::prelude::*;")
    ok(kc, 'let (train, valid) = linfa_datasets::winequality()\n'
           '    .map_targets(|x| if *x > 6 { "good" } else { "bad" })\n'
           '    .split_with_ratio(0.9);')
    assert ok(kc, "train.targets().iter().all(|t| *t == \"good\" || *t == \"bad\")").result_text() == "true"
    assert ok(kc, "train.nsamples() + valid.nsamples()").result_text() == "1599"


def test_a_struct_pattern_and_a_partly_written_type_are_kept(kc):
    ok(kc, "use linfa::prelude::*;")
    ok(kc, "let flowers: DatasetBase<_, _> = linfa_datasets::iris();")
    ok(kc, "let DatasetBase { records, targets, .. } = flowers;")
    assert ok(kc, "(records.nrows(), targets.len())").result_text() == "(150, 150)"


def test_a_literal_takes_the_type_a_later_cell_needs(kc):
    ok(kc, "let capacity = 3;")
    run = ok(kc, "let buffer: Vec<u8> = Vec::with_capacity(capacity);\nbuffer.capacity() >= capacity")
    assert run.result_text() == "true"
    ok(kc, "let configs = vec![(10, 0.5), (20, 0.25)];")
    ok(kc, "let sizes: Vec<usize> = configs.iter().map(|(n, _)| *n).collect();")
    assert ok(kc, "sizes").result_text() == "[10, 20]"


def test_rand_08s_gen_is_a_method_as_it_was_written(kc):
    ok(kc, "use rand::Rng;")
    assert ok(kc, "let mut generator = rng();\nlet draw: f64 = generator.gen();\n(0.0..1.0).contains(&draw)").result_text() == "true"
    assert ok(kc, "generator.gen::<u8>() <= u8::MAX").result_text() == "true"


def test_dbg_names_the_cells_line(kc):
    run = ok(kc, "let base = 20;\n\ndbg!(base + 1);")
    assert "[cell line 3, column 1] base + 1 = 21" in run.text("stderr"), run.text("stderr")
    assert "src/lib.rs" not in run.text("stderr")


def test_a_panic_names_the_cells_line(kc):
    failed = execute(kc, "let empty: Vec<f64> = Vec::new();\nlet first = 0;\nlet x = empty[first];")
    assert failed.status == "error"
    content = failed.reply["content"]
    assert content["ename"] == "panic"
    # The line the user wrote, not the annotated one the kernel compiled: no column then.
    assert content["traceback"][0] == "panic: the cell panicked at line 3", content["traceback"]
    unannotated = execute(kc, "let values = vec![1.0];\n\nassert!(values.is_empty(), \"not empty\");")
    assert unannotated.reply["content"]["traceback"][0] == "panic: the cell panicked at line 3, column 1"
    assert "index out of bounds" in content["evalue"]
