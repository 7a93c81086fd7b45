"""Relaunching: binder/ builds the way mybinder.org would, and an exported model becomes a
repository that relaunches its environment (`linfa-export relaunch`)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import KERNEL_NAME
from test_nb import nb, write

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LINFA_EXPORT = BIN / "linfa-export"


def environment_pins(path: Path) -> dict[str, str]:
    """`- name=version` lines of an environment.yml."""
    return dict(re.findall(r"^\s*-\s*([A-Za-z0-9_.-]+)=(\S+)\s*$", path.read_text(), re.M))


def lock_versions(path: Path) -> dict[str, set[str]]:
    versions: dict[str, set[str]] = {}
    for package in tomllib.loads(path.read_text())["package"]:
        versions.setdefault(package["name"], set()).add(package["version"])
    return versions


def repo2docker_dockerfile(repo: Path) -> str:
    generated = subprocess.run(
        [BIN / "repo2docker", "--no-build", "--debug", str(repo)],
        capture_output=True, text=True, timeout=300,
    )
    assert generated.returncode == 0, generated.stderr[-3000:]
    return generated.stdout + generated.stderr


def test_pinned_versions_agree():
    pins = environment_pins(ROOT / "binder" / "environment.yml")
    toolchain = tomllib.loads((ROOT / "rust-toolchain.toml").read_text())["toolchain"]["channel"]
    assert pins["rust"] == toolchain and pins["rust-src"] == toolchain
    lab = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)$", (ROOT / "requirements" / "lab.txt").read_text(), re.M))
    assert pins["jupyterlab"] == lab["jupyterlab"]
    # The stack the kernel preloads and the workspace that builds linfa-export agree on every
    # crate they share.
    stack = lock_versions(ROOT / "kernel" / "repronote-stack" / "stack" / "Cargo.lock")
    workspace = lock_versions(ROOT / "Cargo.lock")
    for name, versions in stack.items():
        if name.startswith(("linfa", "ndarray")) and name in workspace:
            assert versions <= workspace[name], name
    # A relaunched model's environment uses the same Python and JupyterLab.
    source = next((ROOT / "linfa-export" / "src").rglob("relaunch.rs")).read_text()
    assert f'PYTHON_VERSION: &str = "{pins["python"]}"' in source
    assert f'JUPYTERLAB_VERSION: &str = "{pins["jupyterlab"]}"' in source


def test_repo2docker_builds_from_our_environment_and_post_build():
    dockerfile = repo2docker_dockerfile(ROOT)
    assert 'env update -p ${NB_PYTHON_PREFIX} --file "binder/environment.yml"' in dockerfile
    assert "RUN ./binder/postBuild" in dockerfile


def test_post_build_installs_a_working_kernel_in_a_fresh_home(tmp_path):
    """binder/postBuild as Binder runs it: a fresh HOME, a fresh Python environment with the
    pinned JupyterLab from PyPI, then a course notebook executed through the installed kernel."""
    env_dir = tmp_path / "env"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    pins = environment_pins(ROOT / "binder" / "environment.yml")
    installed = subprocess.run(
        [env_dir / "bin" / "pip", "install", "-q", f"jupyterlab=={pins['jupyterlab']}", "nbclient"],
        capture_output=True, text=True, timeout=900,
    )
    assert installed.returncode == 0, installed.stderr[-3000:]
    home = tmp_path / "home"
    home.mkdir()
    real_home = Path.home()
    cargo_bin = Path(os.environ.get("CARGO_HOME", real_home / ".cargo")) / "bin"
    env = {
        "HOME": str(home),
        "PATH": os.pathsep.join([str(env_dir / "bin"), str(cargo_bin), "/usr/local/bin", "/usr/bin", "/bin"]),
        "NB_PYTHON_PREFIX": str(env_dir),
        # The toolchain conda-forge would provide: this machine's, and its warm build.
        "RUSTUP_HOME": os.environ.get("RUSTUP_HOME", str(real_home / ".rustup")),
        "CARGO_HOME": os.environ.get("CARGO_HOME", str(real_home / ".cargo")),
        "CARGO_TARGET_DIR": os.environ.get("CARGO_TARGET_DIR", str(ROOT / "target")),
        "REPRONOTE_KEEP_CARGO_CACHE": "1",
    }
    # rust-analyzer's crates compile in whether `CI` is set (`option_env!`): keep this build's
    # setting the same as the test run's, so the shared target folder stays warm between runs.
    if "CI" in os.environ:
        env["CI"] = os.environ["CI"]
    built = subprocess.run(
        [ROOT / "binder" / "postBuild"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=1800,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    listed = subprocess.run(
        [env_dir / "bin" / "jupyter", "kernelspec", "list", "--json"],
        env=env, capture_output=True, text=True, timeout=60,
    )
    specs = json.loads(listed.stdout)["kernelspecs"]
    assert KERNEL_NAME in specs
    assert specs[KERNEL_NAME]["resource_dir"].startswith(str(env_dir))
    assert (home / ".cache" / "repronote").is_dir(), "the stack was prebuilt into the new home"
    # A student can check a shared model from the image's terminal.
    checker = subprocess.run([env_dir / "bin" / "linfa-export", "--help"], capture_output=True, text=True, timeout=60)
    assert checker.returncode == 0 and "verify" in checker.stdout, checker.stderr
    notebook = ROOT / "notebooks" / "00-the-kernel.ipynb"
    executed = subprocess.run(
        [env_dir / "bin" / "jupyter", "execute", "--output", str(tmp_path / "ran.ipynb"), str(notebook)],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=900,
    )
    assert executed.returncode == 0, executed.stderr[-3000:]
    ran = nbformat.read(tmp_path / "ran.ipynb", as_version=4)
    assert all(c.execution_count for c in ran.cells if c.cell_type == "code")


# linfa-export relaunch


@pytest.fixture(scope="module")
def artifact(tmp_path_factory):
    """A KMeans model exported from a notebook, with its training data's fingerprint."""
    folder = tmp_path_factory.mktemp("export")
    source = write(
        folder / "export.ipynb",
        "use linfa::prelude::*;\nlet data = linfa_datasets::iris();\n"
        "let model = linfa_clustering::KMeans::params_with_rng(3, rng()).fit(&data).unwrap();",
        'linfa_export::ExportParams::new("iris-kmeans")\n'
        '    .data(linfa_export::DataFingerprint::from_dataset(&data))\n'
        "    .check()\n    .unwrap()\n"
        '    .export(&model, "iris-kmeans")\n    .unwrap();',
        seed=11,
    )
    ran = nb("run", str(source))
    assert ran.returncode == 0, ran.stderr
    return folder / "iris-kmeans"


def relaunch(artifact: Path, output: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [LINFA_EXPORT, "relaunch", str(artifact), "--output", str(output), "--github", "my-lab/iris-kmeans", *extra],
        capture_output=True, text=True, timeout=120,
    )


def test_relaunch_writes_a_repository_whose_notebook_runs(artifact, tmp_path):
    repo = tmp_path / "repo"
    made = relaunch(artifact, repo)
    assert made.returncode == 0, made.stderr
    manifest = json.loads((repo / "model" / "manifest.json").read_text())
    assert manifest == json.loads((artifact / "manifest.json").read_text())
    rustc = manifest["toolchain"]["rustc"].split()[1]
    pins = environment_pins(repo / "binder" / "environment.yml")
    assert pins["rust"] == rustc
    post_build = (repo / "binder" / "postBuild").read_text()
    assert f"--tag v{manifest['provenance']['kernel']['version']}" in post_build
    assert os.access(repo / "binder" / "postBuild", os.X_OK)
    readme = (repo / "README.md").read_text()
    assert "https://mybinder.org/v2/gh/my-lab/iris-kmeans/main?urlpath=lab/tree/use-the-model.ipynb" in readme
    assert "https://studiolab.sagemaker.aws/import/github/my-lab/iris-kmeans/blob/main/use-the-model.ipynb" in readme
    assert manifest["artifact_sha256"] in readme and "## Risks" in readme
    notebook = nbformat.read(repo / "use-the-model.ipynb", as_version=4)
    assert notebook.metadata["linfa"]["seed"] == 11
    NotebookClient(
        notebook, kernel_name=KERNEL_NAME, timeout=600, startup_timeout=120,
        resources={"metadata": {"path": str(repo)}},
    ).execute()
    text = "".join(
        o.get("text", "") + o.get("data", {}).get("text/plain", "")
        for c in notebook.cells if c.cell_type == "code" for o in c.outputs
    )
    assert f"artifact sha256 {manifest['artifact_sha256']}" in text
    assert "crate versions compared, 0 differ" in text
    assert "trained with seed Some(11)" in text
    assert re.search(r"\[\d\]", text), "the model predicted a cluster for the sample"
    dockerfile = repo2docker_dockerfile(repo)
    assert 'env update -p ${NB_PYTHON_PREFIX} --file "binder/environment.yml"' in dockerfile
    assert "RUN ./binder/postBuild" in dockerfile


def test_relaunch_refuses_a_tampered_model_and_an_existing_folder(artifact, tmp_path):
    tampered = tmp_path / "tampered"
    shutil.copytree(artifact, tampered)
    data = bytearray((tampered / "model.json").read_bytes())
    data[-2] ^= 1
    (tampered / "model.json").write_bytes(bytes(data))
    refused = relaunch(tampered, tmp_path / "repo")
    assert refused.returncode != 0
    assert "does not verify" in refused.stderr and "model.json" in refused.stderr
    assert not (tmp_path / "repo").exists()
    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "keep.txt").write_text("mine")
    refused = relaunch(artifact, existing)
    assert refused.returncode != 0 and "already exists" in refused.stderr
    assert (existing / "keep.txt").read_text() == "mine"
    refused = subprocess.run(
        [LINFA_EXPORT, "relaunch", str(artifact), "--output", str(tmp_path / "x"), "--github", "not a repo"],
        capture_output=True, text=True, timeout=120,
    )
    assert refused.returncode != 0 and "is not OWNER/REPO" in refused.stderr
    assert not (tmp_path / "x").exists()
