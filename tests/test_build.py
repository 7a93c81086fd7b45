"""The build that Binder runs and the build the tests run share one target folder.

`binder/postBuild` builds the two binaries alone; `scripts/test` builds every target of the
workspace, tests and examples included, whose dev-dependencies can turn on more features of a
crate. A crate resolved with other features is a second build of it and of everything above it,
so both builds must resolve every crate alike (the pins in kernel/repronote/Cargo.toml).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def resolved_features(*selection: str) -> dict[str, str]:
    """Each package of `cargo tree`'s resolution for `selection`, with its enabled features."""
    tree = subprocess.run(
        ["cargo", "tree", "--locked", "--offline", "--prefix", "none", "-f", "{p}|{f}", *selection],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert tree.returncode == 0, tree.stderr
    packages = {}
    for line in tree.stdout.splitlines():
        if "|" not in line or line.endswith("(*)"):
            continue
        package, features = line.rsplit("|", 1)
        packages[package.removesuffix(" (proc-macro)")] = features
    return packages


def diverging(binaries: dict[str, str], workspace: dict[str, str]) -> list[str]:
    return [
        f"{package}: postBuild [{features}], tests [{workspace[package]}]"
        for package, features in sorted(binaries.items())
        if package in workspace and workspace[package] != features
    ]


def test_post_build_and_the_test_build_resolve_the_same_features():
    post_build = resolved_features("-p", "repronote", "-p", "linfa-export", "-e", "normal,build")
    workspace = resolved_features("--workspace", "-e", "normal,build,dev")
    assert any(p.startswith("regex-syntax ") for p in post_build), "the selection resolved nothing useful"
    assert diverging(post_build, workspace) == [], (
        "pin these features in kernel/repronote/Cargo.toml, or binder/postBuild compiles them again"
    )


def test_a_divergence_is_named():
    assert diverging({"a v1": "std", "b v1": ""}, {"a v1": "std,unicode", "b v1": ""}) == [
        "a v1: postBuild [std], tests [std,unicode]"
    ]
