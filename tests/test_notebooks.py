"""Every notebook in notebooks/ runs top to bottom in a fresh kernel, through nbclient."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import KERNEL_NAME
from test_nb import nb

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ is empty"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_committed_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: strip outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path, tmp_path):
    notebook = nbformat.read(path, as_version=4)
    assert notebook.metadata.kernelspec.name == KERNEL_NAME
    client = NotebookClient(
        notebook,
        kernel_name=KERNEL_NAME,
        timeout=600,
        startup_timeout=120,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    code_cells = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code_cells)
    # Only cells tagged raises-exception (they demonstrate an error) may fail.
    errors = [
        o
        for c in code_cells
        if "raises-exception" not in c.metadata.get("tags", [])
        for o in c.outputs
        if o.output_type == "error"
    ]
    assert errors == []
    assert any(o.output_type in ("display_data", "execute_result") for c in code_cells for o in c.outputs)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_reproducible_by_nb_check(path):
    checked = nb("check", str(path))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "reproducible" in checked.stdout


def test_notebooks_are_formatted_linted_and_stripped():
    paths = [str(p) for p in NOTEBOOKS]
    for command in (["fmt", "--check"], ["lint"], ["strip", "--check"]):
        result = nb(*command, *paths)
        assert result.returncode == 0, (command, result.stdout + result.stderr)
