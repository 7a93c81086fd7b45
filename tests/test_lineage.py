"""Building on a shared model, and checking its claim by re-running it (issue 18), as users do it.

Three generations of notebooks, each run by `repronote nb run` in a fresh kernel in one folder:
the first fits KMeans on a CSV file and exports `base` (its author then signs it with
`linfa-export sign`); the second loads `base` verified by the author's key and starts its own
KMeans from those centroids (`child`); the third loads `child` and exports `grandchild`.
Nothing asks for lineage: it is recorded because the sessions loaded verified artifacts. Then
`nb reproduce` re-runs the exports' training records: it reproduces them, names a missing data
file with its fingerprint, and catches an artifact whose metric was edited and re-signed with the
author's own key (a valid signature over a claim the cells do not make).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from test_nb import nb, write
from test_signing import LINFA_EXPORT, ok, run

POINTS = "data/points.csv"

READ_POINTS = f"""use linfa::prelude::*;
use linfa_clustering::KMeans;
let text = std::fs::read_to_string("{POINTS}").unwrap();
let rows: Vec<f64> = text
    .lines()
    .flat_map(|line| line.split(',').map(|x| x.parse::<f64>().unwrap()))
    .collect();
let points = ndarray::Array2::from_shape_vec((rows.len() / 2, 2), rows).unwrap();
let data = linfa::DatasetBase::from(points.clone());"""

FINGERPRINT = f'linfa_export::DataFingerprint::from_records(&points).with_source("{POINTS}")'


def export_cell(name: str, model: str, extra: str = "") -> str:
    return (
        f'linfa_export::ExportParams::new("{name}")\n'
        f'    .metric("inertia", {model}.inertia())\n'
        f"    .data({FINGERPRINT})\n"
        f"    .overwrite(true){extra}\n"
        "    .check()\n    .unwrap()\n"
        f'    .export(&{model}, "{name}")\n    .unwrap()\n    .manifest\n    .artifact_sha256'
    )


def manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


def ran(done) -> None:
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def generations(tmp_path_factory) -> dict:
    """The three generations, run in one folder; `base` signed by alice."""
    folder = tmp_path_factory.mktemp("lineage")
    (folder / "data").mkdir()
    lines = [f"{x / 10:.1f},{(x * 7 % 13) / 10 + (5 if x % 2 else 0):.1f}" for x in range(60)]
    (folder / POINTS).write_text("\n".join(lines) + "\n")
    first = write(
        folder / "first.ipynb",
        READ_POINTS,
        "let model = KMeans::params_with_rng(2, rng()).fit(&data).unwrap();",
        export_cell("base", "model"),
    )
    ran(nb("run", str(first)))
    keys = ok(run(LINFA_EXPORT, "keygen", "--out", folder / "alice"))
    fingerprint = keys.stdout.split("key fingerprint ")[1].strip()
    ok(run(LINFA_EXPORT, "sign", folder / "base", "--key", folder / "alice.private.pem"))
    second = write(
        folder / "second.ipynb",
        READ_POINTS,
        "let alice = linfa_export::Trust::key_file(\"alice.public.pem\").unwrap();\n"
        "let base = linfa_export::load_trusted::<KMeans<f64, linfa_nn::distance::L2Dist>>(\"base\", &alice)\n"
        "    .unwrap();\n"
        "let model = KMeans::params_with_rng(2, rng())\n"
        "    .init_method(linfa_clustering::KMeansInit::Precomputed(base.model.centroids().clone()))\n"
        "    .fit(&data)\n    .unwrap();",
        export_cell("child", "model"),
    )
    ran(nb("run", str(second)))
    third = write(
        folder / "third.ipynb",
        READ_POINTS,
        "let child = linfa_export::load::<KMeans<f64, linfa_nn::distance::L2Dist>>(\"child\").unwrap();\n"
        "let model = child.model;",
        export_cell("grandchild", "model"),
    )
    ran(nb("run", str(third)))
    return {"folder": folder, "fingerprint": fingerprint}


def test_lineage_is_recorded_across_three_generations_with_the_signer(generations):
    folder, fingerprint = generations["folder"], generations["fingerprint"]
    base, child = manifest(folder / "base"), manifest(folder / "child")
    grandchild = manifest(folder / "grandchild")
    assert "lineage" not in base, "a model trained from scratch has no parent"
    [parent] = child["lineage"]
    assert parent["artifact_sha256"] == base["artifact_sha256"]
    assert parent["signer"] == fingerprint
    [parent] = grandchild["lineage"]
    assert parent["artifact_sha256"] == child["artifact_sha256"] and parent["signer"] is None
    [grandparent] = parent["lineage"]
    assert grandparent["artifact_sha256"] == base["artifact_sha256"]
    assert grandparent["signer"] == fingerprint
    shown = ok(run(LINFA_EXPORT, "inspect", folder / "grandchild")).stdout
    assert "child" in shown and "base" in shown and fingerprint in shown, shown
    card = (folder / "grandchild" / "MODEL_CARD.md").read_text()
    front_matter = card.split("---")[1]
    assert "base_model" in front_matter and "child" in front_matter, front_matter


def test_verify_lineage_accepts_the_recorded_parents_and_names_a_wrong_one(generations):
    folder = generations["folder"]
    ok(run(LINFA_EXPORT, "verify", folder / "grandchild", "--lineage", folder / "child"))
    wrong = run(LINFA_EXPORT, "verify", folder / "grandchild", "--lineage", folder / "base")
    assert wrong.returncode == 1, wrong.stdout + wrong.stderr
    text = wrong.stdout + wrong.stderr
    assert manifest(folder / "base")["artifact_sha256"] in text, text
    missing = run(LINFA_EXPORT, "verify", folder / "child", "--lineage")
    assert missing.returncode != 0, missing.stdout + missing.stderr


def test_reproduce_rebuilds_an_artifact_built_on_a_signed_parent(generations):
    folder = generations["folder"]
    done = nb("reproduce", str(folder / "child"), str(folder / "base"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("reproduced: identical artifact digest") == 2, done.stdout
    assert not (folder / "child.reproduced").exists()


def test_reproduce_names_a_missing_data_file_with_its_fingerprint(generations, tmp_path):
    folder = generations["folder"]
    done = nb("reproduce", str(folder / "base"), "--data", str(tmp_path))
    assert done.returncode == 1, done.stdout + done.stderr
    text = done.stdout + done.stderr
    expected = manifest(folder / "base")["data"]["records"]["sha256"]
    assert POINTS in text and expected in text, text


def restate_metric(folder: Path, name: str, value: float) -> None:
    """The author's edit after the export: one metric changed, the digest sealed again."""
    data = manifest(folder)
    data["metrics"][name] = value
    core = {k: v for k, v in data.items() if k not in ("artifact_sha256", "exported_at")}
    compact = json.dumps(core, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    data["artifact_sha256"] = hashlib.sha256(compact.encode()).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def test_reproduce_catches_an_edited_metric_that_its_author_signed_again(generations, tmp_path):
    folder = generations["folder"]
    edited = Path(shutil.copytree(folder / "base", tmp_path / "base"))
    claimed = manifest(edited)["metrics"]["inertia"] / 2
    restate_metric(edited, "inertia", claimed)
    ok(run(LINFA_EXPORT, "sign", edited, "--key", folder / "alice.private.pem"))
    ok(run(LINFA_EXPORT, "verify", edited, "--public-key", folder / "alice.public.pem"))
    done = nb("reproduce", str(edited), "--data", str(folder))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "not reproduced" in done.stdout and "inertia" in done.stdout, done.stdout
    assert f"{claimed}" in done.stdout, done.stdout


def test_a_withheld_record_is_said_in_the_manifest_and_by_reproduce(tmp_path):
    notebook = write(
        tmp_path / "private.ipynb",
        "use linfa::prelude::*;\nlet iris = linfa_datasets::iris();\n"
        "let model = linfa_clustering::KMeans::params_with_rng(3, rng()).fit(&iris).unwrap();",
        'linfa_export::ExportParams::new("private").without_training_record().check().unwrap()\n'
        '    .export(&model, "private").unwrap().manifest.artifact_sha256',
    )
    ran(nb("run", str(notebook)))
    assert manifest(tmp_path / "private")["training_record"] == "withheld"
    assert not (tmp_path / "private" / "training_record.json").exists()
    done = nb("reproduce", str(tmp_path / "private"))
    assert done.returncode == 1 and "withheld" in done.stdout + done.stderr, done.stdout + done.stderr
