"""One call shows a chart, a table, a confusion table or a progress bar (the prelude's stack-only
display helpers), through a real client."""

from __future__ import annotations

import json

from conftest import execute


def shown(kc, code: str) -> list[dict]:
    result = execute(kc, code, timeout=300)
    assert result.status == "ok", result.reply["content"]
    return [m for m in result.outputs if m["msg_type"] in ("display_data", "update_display_data")]


def test_a_dataset_is_a_table_with_its_feature_names(kc):
    (display,) = shown(kc, "table(&linfa_datasets::iris());")
    html = display["content"]["data"]["text/html"]
    assert "<th>sepal length</th>" in html and "<th>target</th>" in html
    assert "<td>5.1</td>" in html
    assert "130 more rows (150 rows × 5 columns)" in html
    assert display["content"]["data"]["text/plain"].startswith("#\tsepal length")


def test_an_array_is_a_table(kc):
    (display,) = shown(kc, "table(&ndarray::array![[1.5, 2.0], [3.0, 4.0]]);")
    assert "<td>1.5</td><td>2</td>" in display["content"]["data"]["text/html"]


def test_a_plotters_chart_is_svg_in_one_call(kc):
    code = (
        "use plotters::prelude::*;\n"
        "plot(320, 200, |area| {\n"
        "    let mut chart = ChartBuilder::on(area).margin(10).build_cartesian_2d(0.0..4.0, 0.0..4.0)?;\n"
        "    chart.draw_series([(1.0, 2.0), (3.0, 1.0)].iter().map(|&p| Circle::new(p, 4, BLUE.filled())))?;\n"
        "    Ok(())\n"
        "})?;"
    )
    (display,) = shown(kc, code)
    svg = display["content"]["data"]["image/svg+xml"]
    assert svg.startswith("<svg") and svg.count("<circle") == 2


def test_a_confusion_table_counts_and_returns_the_accuracy(kc):
    result = execute(kc, "confusion_table(&ndarray::array![0usize, 1, 1, 2], &ndarray::array![0usize, 1, 2, 2])")
    assert result.status == "ok"
    (display,) = result.of_type("display_data")
    assert "<td><b>1</b></td>" in display["content"]["data"]["text/html"]
    assert "accuracy 0.750 (3 of 4)" in display["content"]["data"]["text/plain"]
    assert result.result_text() == "0.75"


def test_a_confusion_chart_is_svg_and_returns_the_accuracy(kc):
    code = "confusion_chart(&ndarray::array![0usize, 1, 1, 2], &ndarray::array![0usize, 1, 2, 2])?"
    result = execute(kc, code)
    assert result.status == "ok", result.reply
    (display,) = result.of_type("display_data")
    svg = display["content"]["data"]["image/svg+xml"]
    assert svg.startswith("<svg") and svg.count("<rect") == 1 + 9, "the background, and a square per (true, predicted) pair"
    assert "accuracy 0.750 (3 of 4)" in svg
    assert result.result_text() == "0.75"
    regions = execute(kc, "regions(0.0..4.0, 0.0..1.0, (4, 1), |x, _| usize::from(x > 2.0)).len()")
    assert regions.result_text() == "2", "cells of one class merge along the row"


def test_a_progress_bar_updates_in_place(kc):
    displays = shown(kc, 'let bar = progress("epochs", 3);\nfor i in 1..=3 { bar.set(i, "training"); }')
    assert [d["msg_type"] for d in displays] == ["display_data"] + ["update_display_data"] * 3
    ids = {d["content"]["transient"]["display_id"] for d in displays}
    assert len(ids) == 1
    assert displays[-1]["content"]["data"]["text/plain"] == "epochs: 3/3 training"


def test_a_model_card_shows_its_front_matter_as_a_metadata_table(kc, tmp_path):
    folder = tmp_path / "card-tree"
    export = (
        "use linfa::prelude::*;\n"
        "let iris = linfa_datasets::iris();\n"
        "let tree = linfa_trees::DecisionTree::params().max_depth(Some(2)).fit(&iris).unwrap();\n"
        "linfa_export::ExportParams::new(\"card-tree\").license(\"mit\").check().unwrap()\n"
        f"    .export(&tree, {json.dumps(str(folder))}).unwrap();"
    )
    assert execute(kc, export, timeout=300).status == "ok"
    result = execute(kc, f"linfa_export::ModelCard::read({json.dumps(str(folder))}).unwrap()")
    assert result.status == "ok", result.reply["content"]
    (shown_result,) = result.of_type("execute_result")
    markdown = shown_result["content"]["data"]["text/markdown"]
    assert markdown.startswith("| metadata | |\n|---|---|\n| license | mit |\n| library_name | linfa |\n"), markdown
    assert "| tags | linfa, rust, linfa-trees, DecisionTree |" in markdown
    assert "\n# card-tree\n" in markdown and "license: " not in markdown, "front matter is not shown as text"


def test_a_model_loaded_with_a_pinned_digest_shows_its_digest_and_what_was_checked(kc, tmp_path):
    folder = json.dumps(str(tmp_path / "pinned-tree"))
    export = (
        "use linfa::prelude::*;\n"
        "let iris = linfa_datasets::iris();\n"
        "let tree = linfa_trees::DecisionTree::params().max_depth(Some(2)).fit(&iris).unwrap();\n"
        "let digest = linfa_export::ExportParams::new(\"pinned-tree\").check().unwrap()\n"
        f"    .export(&tree, {folder}).unwrap().manifest.artifact_sha256.clone();\n"
        "digest"
    )
    exported = execute(kc, export, timeout=300)
    assert exported.status == "ok", exported.reply["content"]
    digest = exported.result_text().strip('"')
    load = (
        "linfa_export::load_trusted::<linfa_trees::DecisionTree<f64, usize>>(\n"
        f"    {folder}, &linfa_export::Trust::digest(&digest).unwrap()).unwrap()"
    )
    result = execute(kc, load, timeout=300)
    assert result.status == "ok", result.reply["content"]
    (shown_result,) = result.of_type("execute_result")
    markdown = shown_result["content"]["data"]["text/markdown"]
    assert f"| artifact_sha256 | `{digest}` |" in markdown, markdown
    assert "| digest pinned | yes |" in markdown
    assert "| signed by | not checked (no key was required) |" in markdown
    assert "| model | `linfa_trees::DecisionTree<f64, usize>` |" in markdown
