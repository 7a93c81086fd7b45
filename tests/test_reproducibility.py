"""The same notebook gives bit-identical models: in fresh kernels, on re-runs, and only with its seed.

`notebooks/model_families.ipynb` (under tests/) trains and exports every serializable linfa model
family with linfa-export; each export prints the digest of its `model.json` and of the whole
artifact. The notebook runs twice through nbclient, each time in a fresh kernel, and the digests
must agree, as must the files on disk, hashed here. The artifacts' manifests carry the session's
provenance (seed, cell digests, kernel) without the notebook asking for it.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import KERNEL_NAME, execute, start_kernel

NOTEBOOK = Path(__file__).resolve().parent / "notebooks" / "model_families.ipynb"
FAMILIES = {
    "kmeans",
    "gaussian-mixture",
    "decision-tree",
    "logistic",
    "multinomial-logistic",
    "linear-regression",
    "gaussian-nb",
    "multinomial-nb",
    "svm",
    "pca",
}
DIGEST_LINE = re.compile(r"^(\S+) (model|artifact) ([0-9a-f]{64})$", re.M)


def run_notebook(workdir: Path) -> tuple[nbformat.NotebookNode, str]:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        notebook,
        kernel_name=KERNEL_NAME,
        timeout=600,
        startup_timeout=120,
        resources={"metadata": {"path": str(workdir)}},
    ).execute()
    stdout = "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "stream" and output.name == "stdout"
    )
    return notebook, stdout


def run_with_nb_run(workdir: Path) -> tuple[nbformat.NotebookNode, str]:
    """The notebook run by `nb run` (a fresh kernel, working in the notebook's folder)."""
    from test_nb import nb

    shutil.copy(NOTEBOOK, workdir)
    ran = nb("run", str(workdir / NOTEBOOK.name), "--output", str(workdir / "ran.ipynb"))
    assert ran.returncode == 0, ran.stderr
    return nbformat.read(workdir / "ran.ipynb", as_version=4), notebook_stdout(workdir / "ran.ipynb")


def notebook_stdout(path: Path) -> str:
    return "".join(
        output.get("text", "")
        for cell in nbformat.read(path, as_version=4).cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "stream" and output.name == "stdout"
    )


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """The notebook run twice, each in a fresh kernel and its own folder: by nbclient, then by
    `nb run` (two clients that send no cell ids)."""
    first, second = tmp_path_factory.mktemp("first"), tmp_path_factory.mktemp("second")
    return [(first, *run_notebook(first)), (second, *run_with_nb_run(second))]


def digests(stdout: str) -> dict[tuple[str, str], str]:
    return {(name, kind): digest for name, kind, digest in DIGEST_LINE.findall(stdout)}


def test_every_family_is_trained_and_exported(two_runs):
    for _, _, stdout in two_runs:
        found = digests(stdout)
        assert {name for name, _ in found} == FAMILIES
        assert len(found) == 2 * len(FAMILIES)


def test_fresh_kernels_give_identical_models_and_artifacts(two_runs):
    (_, _, first), (_, _, second) = two_runs
    assert digests(first) == digests(second)


def test_the_printed_digests_are_the_files_on_disk(two_runs):
    for workdir, _, stdout in two_runs:
        for (name, kind), digest in digests(stdout).items():
            artifact = workdir / "artifacts" / name
            manifest = json.loads((artifact / "manifest.json").read_text())
            if kind == "model":
                on_disk = hashlib.sha256((artifact / "model.json").read_bytes()).hexdigest()
                assert on_disk == digest, name
                assert manifest["files"]["model.json"]["sha256"] == digest
            else:
                assert manifest["artifact_sha256"] == digest


def test_std_hashmap_order_is_the_same_in_fresh_kernels(two_runs):
    (_, _, first), (_, _, second) = two_runs
    orders = [re.search(r"^hashmap order (.*)$", s, re.M).group(1) for s in (first, second)]
    assert orders[0] == orders[1]
    # 17 keys: a different key pair per run would agree on this order by chance once in 17!.
    assert orders[0] != str(sorted(json.loads(orders[0])))


def test_exports_carry_the_sessions_provenance(two_runs):
    workdir, notebook, _ = two_runs[0]
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    executed = [hashlib.sha256(cell.source.encode()).hexdigest() for cell in code_cells]
    for name in FAMILIES:
        manifest = json.loads((workdir / "artifacts" / name / "manifest.json").read_text())
        provenance = manifest["provenance"]
        assert provenance["seed"] == 42
        assert provenance["kernel"]["name"] == "repronote"
        assert provenance["non_reproducible"] is False
        # The cells that ran up to and including the one that exported this model, in order.
        assert provenance["cells"] == executed[: len(provenance["cells"])]
        assert len(provenance["cells"]) >= 2
    card = (workdir / "artifacts" / "kmeans" / "MODEL_CARD.md").read_text()
    assert "- Seed: 42" in card


def test_every_family_is_reproduced_bit_identically_from_its_training_record(two_runs):
    """`nb reproduce` re-runs the record each export carries (the cells nbclient sent) in a fresh
    kernel: every family's artifact digest comes out identical, and the exports of one session
    share one re-run. (Each cell's seed came from its source, and so it does in the re-run.)"""
    from test_nb import nb

    workdir, notebook, _ = two_runs[0]
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    for name in FAMILIES:
        record = json.loads((workdir / "artifacts" / name / "training_record.json").read_text())
        assert record["artifact_path"] == f"artifacts/{name}"
        ran = [cell["source"] for cell in record["cells"]]
        assert ran == [cell.source for cell in code_cells[: len(ran)]]
    artifacts = sorted(str(workdir / "artifacts" / name) for name in FAMILIES)
    done = nb("reproduce", *artifacts)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("reproduced: identical artifact digest") == len(FAMILIES), done.stdout
    assert done.stderr.count("re-ran in") == 1, "one session, one re-run"


FINGERPRINT_LINE = re.compile(r"^(?:\S+ (?:model|artifact) [0-9a-f]{64}|checksum .*|hashmap order .*)$", re.M)


def test_jupyterlab_nb_run_and_nbclient_train_the_same_models(two_runs, tmp_path):
    """JupyterLab sends a `cellId` with every cell (the notebook's ids), `nb run` and nbclient
    send none: every model and artifact digest, checksum and map order must agree, so a student
    running a chapter in JupyterLab gets the models CI ran."""
    from test_browser import chromium_page, jupyter_lab, open_notebook, run_all_cells, save_notebook

    (_, _, by_nbclient), (_, _, by_nb_run) = two_runs
    expected = FINGERPRINT_LINE.findall(by_nbclient)
    assert len(expected) == 2 * len(FAMILIES) + 4, expected
    assert FINGERPRINT_LINE.findall(by_nb_run) == expected

    in_lab = tmp_path / "lab"
    in_lab.mkdir()
    shutil.copy(NOTEBOOK, in_lab)
    state = tmp_path / "jupyter"
    state.mkdir()
    with jupyter_lab(in_lab, state) as lab, chromium_page(tmp_path / "failed.png") as page:
        open_notebook(page, lab.notebook_url(NOTEBOOK.name))
        finished = run_all_cells(page)
        assert all(re.fullmatch(r"\[\d+\]:", p) for p in finished), f"not every cell ran: {finished}"
        save_notebook(page)
    assert FINGERPRINT_LINE.findall(notebook_stdout(in_lab / NOTEBOOK.name)) == expected


# One kernel for what happens inside a session.

NOTEBOOK_CELLS = [
    cell.source for cell in nbformat.read(NOTEBOOK, as_version=4).cells if cell.cell_type == "code"
]


def notebook_cell(marker: str) -> str:
    """The notebook's cell containing `marker`, verbatim: the same source, the same cell seed."""
    (source,) = [source for source in NOTEBOOK_CELLS if marker in source]
    return source


SETUP = notebook_cell("fn export")
KMEANS = notebook_cell('export("kmeans"')
TREE = notebook_cell('export("decision-tree"')
HASHMAP = (
    "let mut order: std::collections::HashMap<u32, u32> = (0..16).map(|i| (i, i)).collect();\n"
    'println!("hashmap order {:?}", order.keys().collect::<Vec<_>>());'
)


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("session")
    km, kc = start_kernel(cwd=str(workdir))
    setup = execute(kc, SETUP, timeout=300)
    assert setup.status == "ok", setup.reply["content"]
    yield workdir, kc
    kc.stop_channels()
    km.shutdown_kernel()


def run(kc, code: str) -> str:
    result = execute(kc, code, timeout=300)
    assert result.status == "ok", result.reply["content"]
    return result.stdout()


def test_rerunning_a_cell_gives_identical_bytes(session):
    _, kc = session

    def model_bytes(code: str) -> str:
        # The artifact digest changes on a re-run, rightly: the session's history grew.
        return {name: d for (name, kind), d in digests(run(kc, code)).items() if kind == "model"}

    for code in (TREE, KMEANS):
        first = model_bytes(code)
        assert first, code
        assert model_bytes(code) == first, code
        assert model_bytes(code) == first, code
    order = run(kc, HASHMAP)
    assert order.startswith("hashmap order")
    assert run(kc, HASHMAP) == order
    assert run(kc, HASHMAP) == order


def test_another_seed_gives_other_kmeans_centroids(session, two_runs):
    workdir, kc = session
    at_42 = digests(run(kc, KMEANS))[("kmeans", "model")]
    centroids_42 = json.loads((workdir / "artifacts" / "kmeans" / "model.json").read_text())
    assert "Session seed: 7" in run(kc, ":seed 7")
    at_7 = digests(run(kc, KMEANS))[("kmeans", "model")]
    centroids_7 = json.loads((workdir / "artifacts" / "kmeans" / "model.json").read_text())
    assert at_7 != at_42
    assert centroids_7 != centroids_42
    manifest = json.loads((workdir / "artifacts" / "kmeans" / "manifest.json").read_text())
    assert manifest["provenance"]["seed"] == 7
    run(kc, ":seed 42")
    assert digests(run(kc, KMEANS))[("kmeans", "model")] == at_42
    # The same cell in the notebook's fresh kernels, with the same seed: the same model.
    assert digests(two_runs[0][2])[("kmeans", "model")] == at_42


def test_an_export_after_allowing_entropy_says_it_is_not_reproducible(session):
    workdir, kc = session
    run(kc, ":allow_entropy")
    run(kc, KMEANS)
    manifest = json.loads((workdir / "artifacts" / "kmeans" / "manifest.json").read_text())
    assert manifest["provenance"]["non_reproducible"] is True
    assert ":allow_entropy" in manifest["provenance"]["non_reproducible_reason"]
    card = (workdir / "artifacts" / "kmeans" / "MODEL_CARD.md").read_text()
    assert "**Not reproducible**" in card
