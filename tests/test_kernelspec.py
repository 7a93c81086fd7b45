"""The installed kernelspec is what Jupyter tools see."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from jupyter_client.kernelspec import KernelSpecManager

from conftest import KERNEL_NAME


def test_jupyter_lists_the_linfa_kernel():
    listing = subprocess.run(
        [sys.executable, "-m", "jupyter", "kernelspec", "list", "--json"],
        check=True, capture_output=True, text=True,
    )
    specs = json.loads(listing.stdout)["kernelspecs"]
    assert KERNEL_NAME in specs
    spec = specs[KERNEL_NAME]["spec"]
    assert spec["language"] == "rust"
    assert spec["interrupt_mode"] == "message"
    assert os.path.isabs(spec["argv"][0]) and os.access(spec["argv"][0], os.X_OK)


def test_the_spec_carries_logos():
    resources = KernelSpecManager().get_kernel_spec(KERNEL_NAME).resource_dir
    for logo in ("logo-32x32.png", "logo-64x64.png", "logo-svg.svg"):
        assert os.path.isfile(os.path.join(resources, logo)), logo


def test_install_help_explains_every_scope():
    binary = KernelSpecManager().get_kernel_spec(KERNEL_NAME).argv[0]
    text = subprocess.run([binary, "install", "--help"], check=True, capture_output=True, text=True).stdout
    for flag in ("--user", "--sys-prefix", "--prefix"):
        assert flag in text


def test_a_bad_connection_file_is_a_clear_error(tmp_path):
    binary = KernelSpecManager().get_kernel_spec(KERNEL_NAME).argv[0]
    missing = tmp_path / "missing.json"
    run = subprocess.run([binary, "launch", "--connection-file", str(missing)], capture_output=True, text=True)
    assert run.returncode != 0
    assert "cannot read the connection file" in run.stderr and str(missing) in run.stderr
    bad = tmp_path / "bad.json"
    bad.write_text('{"ip": "127.0.0.1", "signature_scheme": "hmac-md5"}')
    run = subprocess.run([binary, "launch", "--connection-file", str(bad)], capture_output=True, text=True)
    assert run.returncode != 0 and "not a Jupyter connection file" in run.stderr
