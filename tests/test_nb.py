"""`repronote nb run|check|fmt|lint|strip` on real notebook files, as a user runs them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager

from conftest import KERNEL_NAME, documented_cell_seed

BINARY = KernelSpecManager().get_kernel_spec(KERNEL_NAME).argv[0]


def nb(
    *args: str, cwd: Path | None = None, timeout: float = 900, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [BINARY, "nb", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env
    )


def write(path: Path, *sources: str, seed: int | None = None) -> Path:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    notebook.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "Rust (linfa)", "language": "rust"}
    if seed is not None:
        notebook.metadata["linfa"] = {"seed": seed}
    for index, cell in enumerate(notebook.cells):
        cell.id = f"cell-{index}"
    nbformat.write(notebook, path)
    return path


def code_outputs(path: Path) -> list[tuple[int | None, list[dict]]]:
    notebook = nbformat.read(path, as_version=4)
    return [(c.execution_count, c.outputs) for c in notebook.cells if c.cell_type == "code"]


def result_text(outputs: list[dict]) -> str:
    return "".join(o["data"]["text/plain"] for o in outputs if o["output_type"] == "execute_result")


# nb run


def test_run_executes_in_a_fresh_kernel_with_the_notebooks_seed(tmp_path):
    source = write(
        tmp_path / "seeded.ipynb",
        'println!("hello");\nlet x = 20;',
        "x + 22",
        "cell_seed()",
        seed=7,
    )
    before = source.read_bytes()
    ran = nb("run", str(source), "--output", str(tmp_path / "out.ipynb"))
    assert ran.returncode == 0, ran.stderr
    assert source.read_bytes() == before, "the input notebook is never changed"
    assert "[3/3] cell 3 (cell-2): ok" in ran.stderr
    cells = code_outputs(tmp_path / "out.ipynb")
    assert [count for count, _ in cells] == [1, 2, 3]
    assert cells[0][1][0]["text"] == "hello\n"
    assert result_text(cells[1][1]) == "42"
    # The metadata's seed is the session seed; every cell's seed comes from its source.
    assert int(result_text(cells[2][1])) == documented_cell_seed(7, "cell_seed()")
    again = nb("run", str(source), "--output", str(tmp_path / "other.ipynb"), "--seed", "9")
    assert again.returncode == 0, again.stderr
    assert int(result_text(code_outputs(tmp_path / "other.ipynb")[2][1])) == documented_cell_seed(9, "cell_seed()")


def test_run_stops_at_the_failing_cell_and_names_it(tmp_path):
    source = write(
        tmp_path / "failing.ipynb",
        "let a = 1;",
        'let v: Vec<i32> = Vec::new();\nlet first = v[3];',
        'println!("never");',
    )
    ran = nb("run", str(source), "--output", str(tmp_path / "out.ipynb"))
    assert ran.returncode != 0
    assert "cell 2 (cell-1) failed: panic" in ran.stderr, ran.stderr
    cells = code_outputs(tmp_path / "out.ipynb")
    assert cells[0][0] == 1
    assert any(o["output_type"] == "error" for o in cells[1][1])
    assert cells[2] == (None, []), "cells after the failure do not run"


def test_a_kernel_killed_mid_cell_is_reported_at_once_with_its_signal_and_cell(tmp_path):
    # What the out-of-memory killer does to a kernel in a memory-limited pod: SIGKILL. The cell
    # runs in the evaluation process, whose parent is the kernel.
    source = write(
        tmp_path / "killed.ipynb",
        "let a = 1;",
        "let kernel = std::os::unix::process::parent_id().to_string();\n"
        'std::process::Command::new("kill").args(["-9", &kernel]).status().unwrap();\n'
        "std::thread::sleep(std::time::Duration::from_secs(120));",
        'println!("never");',
    )
    # Output to a file, not a pipe: the killed kernel's evaluation process lives on until its
    # cell ends and would hold a pipe open, so a pipe would time that process, not `nb run`.
    log = tmp_path / "nb-run.log"
    started = time.monotonic()
    with open(log, "w") as output:
        ran = subprocess.run([BINARY, "nb", "run", str(source)], stdout=output, stderr=output, timeout=300)
    elapsed = time.monotonic() - started
    stderr = log.read_text()
    assert ran.returncode != 0
    assert "cell 2 (cell-1)" in stderr, stderr
    assert "the kernel died (signal: 9 (SIGKILL))" in stderr, stderr
    assert "out-of-memory killer" in stderr, stderr
    assert "Reconnection attempt" not in stderr, stderr
    # Seconds after the kill, not the cell's 120 s nor the 600 s cell timeout.
    assert elapsed < 100, f"nb run took {elapsed:.0f} s to notice"


def test_a_malformed_notebook_is_a_clear_error_and_is_left_alone(tmp_path):
    broken = tmp_path / "broken.ipynb"
    broken.write_text('{"cells": [')
    for command in (["run"], ["check"], ["fmt"], ["lint"], ["strip"]):
        failed = nb(*command, str(broken))
        assert failed.returncode != 0
        assert "broken.ipynb is not a notebook" in failed.stderr, (command, failed.stderr)
        assert broken.read_text() == '{"cells": ['
    seedless = write(tmp_path / "seed.ipynb", "1")
    notebook = json.loads(seedless.read_text())
    notebook["metadata"]["linfa"] = {"seed": "seven"}
    seedless.write_text(json.dumps(notebook))
    failed = nb("run", str(seedless))
    assert failed.returncode != 0 and "metadata.linfa.seed" in failed.stderr


# nb check


def test_check_passes_a_reproducible_notebook_with_an_export(tmp_path):
    source = write(
        tmp_path / "export.ipynb",
        "use linfa::prelude::*;\nlet data = linfa_datasets::iris();\n"
        "let model = linfa_clustering::KMeans::params_with_rng(3, rng()).fit(&data).unwrap();",
        'linfa_export::ExportParams::new("iris-kmeans").check().unwrap()\n'
        '    .export(&model, "iris-kmeans").unwrap().manifest.artifact_sha256',
    )
    # An export left by an earlier run in place is in the folder, but this run did not write it.
    (tmp_path / "earlier-export").mkdir()
    (tmp_path / "earlier-export" / "manifest.json").write_text('{"artifact_sha256": "0"}')
    checked = nb("check", str(source))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "reproducible" in checked.stdout and "1 exported artifact(s)" in checked.stdout
    assert not (tmp_path / "iris-kmeans").exists(), "runs happen in copies of the folder"


def test_check_names_the_cell_that_differs(tmp_path):
    source = write(
        tmp_path / "entropy.ipynb",
        ":allow_entropy",
        "use rand::Rng;\nrand::thread_rng().r#gen::<u64>()",
    )
    checked = nb("check", str(source))
    assert checked.returncode != 0
    assert "cell 2 (cell-1): output differs" in checked.stdout, checked.stdout
    assert "not reproducible" in checked.stderr


# nb fmt, lint, strip


def test_fmt_formats_code_and_keeps_magics(tmp_path):
    source = write(tmp_path / "f.ipynb", ':dep itoa = "1"\nlet x=vec![1,2];\n:seed 3\nx.len()', "let y = 1;")
    assert nb("fmt", "--check", str(source)).returncode != 0
    unchanged = source.read_bytes()
    assert nb("fmt", "--check", str(source)).returncode != 0 and source.read_bytes() == unchanged
    formatted = nb("fmt", str(source))
    assert formatted.returncode == 0, formatted.stderr
    assert "formatted cell(s) 1" in formatted.stdout
    cells = nbformat.read(source, as_version=4).cells
    assert cells[0].source == ':dep itoa = "1"\nlet x = vec![1, 2];\n:seed 3\nx.len()'
    assert cells[1].source == "let y = 1;"
    assert nb("fmt", "--check", str(source)).returncode == 0


def test_fmt_reports_a_cell_it_cannot_parse_and_leaves_it(tmp_path):
    source = write(tmp_path / "broken.ipynb", "let x = (1;", "let y=2;")
    ran = nb("fmt", str(source))
    assert ran.returncode != 0
    assert "cell 1 cannot be formatted" in ran.stdout
    cells = nbformat.read(source, as_version=4).cells
    assert cells[0].source == "let x = (1;"
    assert cells[1].source == "let y = 2;"


def test_lint_names_cells_calls_and_replacements(tmp_path):
    source = write(
        tmp_path / "l.ipynb",
        "let x = 1;",
        "let mut g = rand::thread_rng();",
        "let ica = FastIca::params();",
    )
    linted = nb("lint", str(source))
    assert linted.returncode != 0
    lines = linted.stdout.splitlines()
    assert lines[0].endswith("cell 2 (cell-1): `thread_rng()` draws from the operating system; use rng() (a rand_xoshiro::Xoshiro256PlusPlus seeded from this cell's seed)")
    assert "cell 3 (cell-2): `FastIca::params() without random_state`" in lines[1]
    clean = write(tmp_path / "clean.ipynb", "let g = rng();")
    assert nb("lint", str(clean)).returncode == 0


def test_lint_gives_clippy_advice_on_the_cell_it_is_about(tmp_path):
    source = write(
        tmp_path / "c.ipynb",
        "let v = vec![1, 2, 3];",
        'for i in 0..v.len() {\n    println!("{}", v[i]);\n}',
        ':dep nothing-here = "1"\nlet w = nothing_here::f();',
        "v.len()",
    )
    linted = nb("lint", str(source))
    assert linted.returncode != 0, linted.stderr
    lines = linted.stdout.splitlines()
    loop = [line for line in lines if "clippy::needless_range_loop" in line]
    assert len(loop) == 1 and "cell 2 (cell-1): line 1: clippy::needless_range_loop: " in loop[0], lines
    assert "cell 3 (cell-2)" not in linted.stdout and "cell 4" not in linted.stdout
    # The cell that needs its `:dep` is named once, on stderr, and the others are still checked.
    assert "clippy advice skipped for cell 3 (cell-2): it does not compile outside a session" in linted.stderr
    # Without clippy, nothing is left to report.
    assert nb("lint", "--no-clippy", str(source)).returncode == 0


def test_lint_finds_no_clippy_advice_in_a_course_notebook():
    course = Path(__file__).resolve().parent.parent / "notebooks" / "02-training.ipynb"
    linted = nb("lint", str(course))
    assert linted.returncode == 0, linted.stdout + linted.stderr
    assert linted.stdout == ""
    assert "skipped" not in linted.stderr


def test_lint_without_clippy_reports_the_seeding_policy_and_says_so_once(tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    cargo = fake / "cargo"
    real = shutil.which("cargo")
    cargo.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = clippy ]; then echo "error: cargo-clippy is not installed" >&2; exit 1; fi\n'
        f'exec {real} "$@"\n'
    )
    cargo.chmod(0o755)
    env = {**os.environ, "PATH": f"{fake}:{os.environ['PATH']}"}
    first = write(tmp_path / "a.ipynb", "let mut g = rand::thread_rng();")
    second = write(tmp_path / "b.ipynb", "let v = vec![1];\nfor i in 0..v.len() { println!(\"{}\", v[i]); }")
    linted = nb("lint", str(first), str(second), env=env)
    assert linted.returncode != 0
    assert linted.stdout.splitlines()[0].endswith("cell 1 (cell-0): `thread_rng()` draws from the operating system; use rng() (a rand_xoshiro::Xoshiro256PlusPlus seeded from this cell's seed)")
    assert len(linted.stdout.splitlines()) == 1, linted.stdout
    assert linted.stderr.count("rustup component add clippy") == 1, linted.stderr


def test_strip_removes_outputs_and_counts(tmp_path):
    source = write(tmp_path / "s.ipynb", "1 + 1")
    assert nb("run", str(source), "--output", str(tmp_path / "ran.ipynb")).returncode == 0
    ran = tmp_path / "ran.ipynb"
    assert nb("strip", "--check", str(ran)).returncode != 0
    stripped = nb("strip", str(ran))
    assert stripped.returncode == 0 and "stripped" in stripped.stdout
    assert code_outputs(ran) == [(None, [])]
    assert nb("strip", "--check", str(ran)).returncode == 0


# From a cell


def test_the_tools_work_when_a_cell_runs_them(tmp_path):
    # A cell starts the kernel's own binary, as chapter 6 of the course does. It must act as
    # the command line, not as another evaluation process waiting for cells.
    target = write(tmp_path / "target.ipynb", "1 + 1")
    assert nb("run", str(target), "--output", str(target)).returncode == 0
    cell = (
        "let output = std::process::Command::new(std::env::current_exe().unwrap())\n"
        f'    .args(["nb", "strip", "--check", {json.dumps(str(target))}])\n'
        "    .output()\n"
        "    .unwrap();\n"
        'format!("{} {}", output.status.code().unwrap(), String::from_utf8_lossy(&output.stdout).trim())'
    )
    source = write(tmp_path / "runs-nb.ipynb", cell)
    ran = nb("run", str(source), "--output", str(tmp_path / "out.ipynb"))
    assert ran.returncode == 0, ran.stderr
    [(_, outputs)] = code_outputs(tmp_path / "out.ipynb")
    assert result_text(outputs) == f'"1 {target} has outputs or execution counts; run `repronote nb strip {target}`"'
