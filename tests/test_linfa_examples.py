"""linfa's own examples, as students paste them: every `examples/*.rs` of the preloaded linfa
crates, read where cargo put them, turned into a notebook by `repronote nb example` and run
end to end by `repronote nb run`, each in a fresh kernel.

Nothing of linfa's is copied into this repository: the corpus is whatever the stack's pinned
packages ship. An example that cannot run here is listed below with the reason, and the test
checks that it still fails for that reason (so the list cannot go stale)."""

from __future__ import annotations

import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager

from conftest import KERNEL_NAME

BINARY = KernelSpecManager().get_kernel_spec(KERNEL_NAME).argv[0]
README = Path(__file__).resolve().parent.parent / "README.md"

# Examples that cannot run as cells, with why and a fragment of the error that says so.
CANNOT_RUN = {
    ("linfa-svm", "winequality_multi_svm"): (
        "`.collect::<MultiClassModel<_, _>>()` leaves the model's input type to the next "
        "line of `main` (`model.predict(&valid)`); each cell is compiled alone, so no later "
        "cell can settle it",
        "type annotations needed for `MultiClassModel",
    ),
    ("linfa-reduction", "diffusion_map"): (
        "`let embedding = embedding.embedding();` keeps a borrow of the model it shadows; "
        "a program may, but a variable kept for later cells must own its data",
        "it borrows from another value",
    ),
    ("linfa-reduction", "gaussian_projection"): (
        "reads MNIST, which the `mnist` crate downloads at run time",
        "mnist",
    ),
    ("linfa-reduction", "sparse_projection"): (
        "reads MNIST, which the `mnist` crate downloads at run time",
        "mnist",
    ),
}


def nb(*args: str, cwd: Path, timeout: float = 1800) -> subprocess.CompletedProcess:
    return subprocess.run(
        [BINARY, "nb", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def listed_examples() -> list[tuple[str, str]]:
    """What `nb example` lists: `crate version: a, b, c` per crate with examples."""
    listing = nb("example", cwd=Path.cwd(), timeout=60)
    assert listing.returncode == 0, listing.stderr
    examples = []
    for line in listing.stdout.splitlines():
        found = re.fullmatch(r"(linfa[\w-]*) [\d.]+: (.+)", line)
        if found and found.group(2) != "no examples":
            examples += [(found.group(1), name) for name in found.group(2).split(", ")]
    return examples


def run_example(crate: str, name: str, folder: Path) -> tuple[bool, str]:
    """Writes the example as a notebook in its own folder and runs it; (passed, report)."""
    folder.mkdir()
    written = nb("example", crate, name, cwd=folder, timeout=60)
    if written.returncode != 0:
        return False, f"`nb example {crate} {name}` failed: {written.stdout}{written.stderr}"
    notebook = folder / f"{name}.ipynb"
    ran = nb("run", notebook.name, "--output", "executed.ipynb", cwd=folder)
    return ran.returncode == 0, ran.stdout + ran.stderr


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[tuple[str, str], tuple[bool, str]]:
    """Every listed example run once, two at a time (each `nb run` starts its own kernel)."""
    examples = listed_examples()
    root = tmp_path_factory.mktemp("linfa-examples")
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = pool.map(
            lambda example: run_example(*example, root / f"{example[0]}-{example[1]}"), examples
        )
        return dict(zip(examples, results))


def test_every_linfa_example_runs_as_cells_or_is_named_with_its_reason(corpus):
    assert len(corpus) >= 20, f"expected linfa 0.8.1's examples, found {sorted(corpus)}"
    failed = {
        f"{crate}/{name}": report[-3000:]
        for (crate, name), (passed, report) in corpus.items()
        if not passed and (crate, name) not in CANNOT_RUN
    }
    assert not failed, "\n\n".join(f"== {example}\n{report}" for example, report in failed.items())


@pytest.mark.parametrize("example", sorted(CANNOT_RUN), ids="/".join)
def test_an_example_that_cannot_run_fails_for_its_stated_reason(corpus, example):
    reason, evidence = CANNOT_RUN[example]
    passed, report = corpus[example]
    assert not passed, f"{example} now runs; remove it from CANNOT_RUN ({reason})"
    assert evidence in report, report[-3000:]


def test_the_readme_states_how_many_examples_run(corpus):
    ran = sum(passed for passed, _ in corpus.values())
    stated = re.search(r"(\d+) of linfa's (\d+) examples run", README.read_text())
    assert stated, "README.md does not state how many of linfa's examples run as cells"
    assert (int(stated.group(1)), int(stated.group(2))) == (ran, len(corpus))


def test_an_example_notebook_is_seeded_and_starts_with_the_examples_imports(tmp_path):
    written = nb("example", "linfa-clustering", "kmeans", cwd=tmp_path, timeout=60)
    assert written.returncode == 0, written.stderr
    notebook = nbformat.read(tmp_path / "kmeans.ipynb", as_version=4)
    assert notebook.metadata["linfa"]["seed"] == 42
    assert notebook.metadata["kernelspec"]["name"] == KERNEL_NAME
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    assert code[0].startswith("use "), code[0]
    assert not any("fn main" in source for source in code)
    assert not any(source.strip() == "Ok(())" for source in code)
    again = nb("example", "linfa-clustering", "kmeans", cwd=tmp_path, timeout=60)
    assert again.returncode != 0 and "already exists" in again.stderr + again.stdout


def test_an_unknown_crate_or_example_is_named_with_what_exists(tmp_path):
    crate = nb("example", "sklearn", cwd=tmp_path, timeout=60)
    assert crate.returncode != 0
    assert "`sklearn` is not a linfa crate" in crate.stderr and "linfa-svm" in crate.stderr
    example = nb("example", "svm", "nope", cwd=tmp_path, timeout=60)
    assert example.returncode != 0
    assert "no example named `nope`" in example.stderr and "winequality_svm" in example.stderr
    assert not list(tmp_path.iterdir())
