"""linfa-export's model signatures against the real OpenSSF model_signing 1.1.1 (from PyPI).

Each tool accepts the other's signature (`linfa-export sign` -> `model_signing verify key`,
`model_signing sign key` -> `linfa-export verify --public-key`), and both refuse the same
tampering: a flipped byte, an added file, another key, a corrupted signature, and the
re-hashed forgery of issue 17 carrying the original signature (which even a plain
`linfa-export verify` refuses: the signature lists other files), and without it (which a plain
verify accepts: the manifest only proves that the files agree with each other).

Binaries: `linfa-export` beside this Python (scripts/setup.sh installs it into the venv), and
the `iris_artifact` example that `cargo build --all-targets` builds, under
`$CARGO_TARGET_DIR/release/examples`. `LINFA_EXPORT` and `LINFA_EXPORT_IRIS_ARTIFACT` name
other builds (a debug build, say). Nothing is skipped: a missing tool fails the test.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import model_signing  # noqa: F401  (a missing model_signing fails here, it is not skipped)
import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LINFA_EXPORT = Path(os.environ.get("LINFA_EXPORT", BIN / "linfa-export"))
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
IRIS_ARTIFACT = Path(
    os.environ.get("LINFA_EXPORT_IRIS_ARTIFACT", TARGET / "release" / "examples" / "iris_artifact")
)
SIGNERS = ["linfa-export", "model_signing"]


def run(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=120)


def ok(done: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert done.returncode == 0, done.args + [done.stdout, done.stderr]
    return done


def refused(done: subprocess.CompletedProcess, *needles: str) -> None:
    """Exit 1 (both tools' "the answer is no"), with every needle in the output."""
    text = done.stdout + done.stderr
    assert done.returncode == 1, done.args + [text]
    for needle in needles:
        assert needle in text, f"{needle!r} not in {text!r}"


def sign(signer: str, folder: Path, private_key: Path) -> None:
    if signer == "linfa-export":
        ok(run(LINFA_EXPORT, "sign", folder, "--key", private_key))
    else:
        done = ok(run(sys.executable, "-m", "model_signing", "sign", "key", folder,
                      "--private_key", private_key, "--signature", folder / "model.sig"))
        assert "Signing succeeded" in done.stdout


def ours(folder: Path, public_key: Path, *extra: object) -> subprocess.CompletedProcess:
    return run(LINFA_EXPORT, "verify", folder, "--public-key", public_key, *extra)


def theirs(folder: Path, public_key: Path) -> subprocess.CompletedProcess:
    return run(sys.executable, "-m", "model_signing", "verify", "key", folder,
               "--signature", folder / "model.sig", "--public_key", public_key)


def both_refuse(folder: Path, public_key: Path, our_message: str, their_message: str) -> None:
    refused(ours(folder, public_key), our_message, "FAILED")
    refused(theirs(folder, public_key), "Verification failed", their_message)


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> dict[str, tuple[Path, Path, str]]:
    """name -> (private PEM, public PEM, fingerprint), made by `linfa-export keygen`."""
    folder = tmp_path_factory.mktemp("keys")
    made = {}
    for name, curve in [("alice", "p256"), ("alice384", "p384"), ("mallory", "p256")]:
        done = ok(run(LINFA_EXPORT, "keygen", "--out", folder / name, "--curve", curve))
        fingerprint = done.stdout.split("key fingerprint ")[1].strip()
        made[name] = (folder / f"{name}.private.pem", folder / f"{name}.public.pem", fingerprint)
    return made


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    assert IRIS_ARTIFACT.is_file(), (
        f"{IRIS_ARTIFACT} is missing: build it with `cargo build --release -p linfa-export "
        "--examples`, or name a build in LINFA_EXPORT_IRIS_ARTIFACT"
    )
    folder = tmp_path_factory.mktemp("export") / "iris"
    ok(run(IRIS_ARTIFACT, folder))
    return folder


@pytest.fixture
def artifact(exported, tmp_path) -> Path:
    """A fresh, unsigned copy of the iris tree's artifact."""
    return Path(shutil.copytree(exported, tmp_path / "iris"))


def digest_of(folder: Path) -> str:
    return json.loads((folder / "manifest.json").read_text())["artifact_sha256"]


def forge(folder: Path) -> None:
    """Issue 17's forgery: every leaf predicts class 2, the metrics say 0.99, model.cbor is
    gone, and each file's sha256 and size and then artifact_sha256 are recomputed."""
    def to_class_2(node):
        if isinstance(node, dict):
            if node.get("leaf_node") is True:
                node["prediction"] = 2
            for child in node.values():
                to_class_2(child)

    model = json.loads((folder / "model.json").read_text())
    to_class_2(model)
    (folder / "model.json").write_text(json.dumps(model, sort_keys=True, separators=(",", ":")) + "\n")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["metrics"] = {name: 0.99 for name in manifest["metrics"]}
    (folder / "model.cbor").unlink()
    del manifest["files"]["model.cbor"]
    for name, entry in manifest["files"].items():
        data = (folder / name).read_bytes()
        entry["sha256"], entry["size"] = hashlib.sha256(data).hexdigest(), len(data)
    core = {k: v for k, v in manifest.items() if k not in ("artifact_sha256", "exported_at")}
    compact = json.dumps(core, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    manifest["artifact_sha256"] = hashlib.sha256(compact.encode()).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")


def test_the_tools_are_the_pinned_ones():
    assert importlib.metadata.version("model-signing") == "1.1.1"
    assert LINFA_EXPORT.is_file(), f"{LINFA_EXPORT} is missing (scripts/setup.sh installs it)"
    assert ok(run(sys.executable, "-m", "model_signing", "--version")).stdout.strip().endswith("1.1.1")


@pytest.mark.parametrize("key", ["alice", "alice384"])
@pytest.mark.parametrize("signer", SIGNERS)
def test_each_tool_accepts_the_others_signature(artifact, keys, signer, key):
    private, public, fingerprint = keys[key]
    sign(signer, artifact, private)
    assert "Verification succeeded" in ok(theirs(artifact, public)).stdout
    assert f"trust: signed by key {fingerprint}" in ok(ours(artifact, public)).stdout
    pinned = ok(ours(artifact, public, "--expect", digest_of(artifact))).stdout
    assert "trust: pinned digest, and signed by key" in pinned
    # Both tools name the signer by the same fingerprint (model_signing's key hint).
    shown = json.loads(ok(run(LINFA_EXPORT, "inspect", "--json", artifact)).stdout)
    assert shown["signature"]["key_fingerprint"] == fingerprint
    bundle = json.loads((artifact / "model.sig").read_text())
    assert bundle["verificationMaterial"]["publicKey"]["hint"] == fingerprint


@pytest.mark.parametrize("signer", SIGNERS)
def test_a_flipped_byte_is_refused_by_both(artifact, keys, signer):
    private, public, _ = keys["alice"]
    sign(signer, artifact, private)
    data = bytearray((artifact / "model.json").read_bytes())
    data[len(data) // 2] ^= 1
    (artifact / "model.json").write_bytes(bytes(data))
    both_refuse(artifact, public, "model.json: changed after signing", "Hash mismatch for")


@pytest.mark.parametrize("signer", SIGNERS)
def test_an_added_file_is_refused_by_both(artifact, keys, signer):
    private, public, _ = keys["alice"]
    sign(signer, artifact, private)
    (artifact / "notes.txt").write_text("added after signing")
    both_refuse(artifact, public, "notes.txt: not listed in manifest.json", "Extra files")


@pytest.mark.parametrize("signer", SIGNERS)
def test_another_key_is_refused_by_both(artifact, keys, signer):
    private, _, alice = keys["alice"]
    _, mallory_public, mallory = keys["mallory"]
    sign(signer, artifact, private)
    both_refuse(artifact, mallory_public, f"signed by key {alice}, not by the required key {mallory}",
                "Key mismatch")


@pytest.mark.parametrize("signer", SIGNERS)
def test_a_corrupted_signature_is_refused_by_both(artifact, keys, signer):
    private, public, _ = keys["alice"]
    sign(signer, artifact, private)
    path = artifact / "model.sig"
    bundle = json.loads(path.read_text())
    signature = bytearray(base64.b64decode(bundle["dsseEnvelope"]["signatures"][0]["sig"]))
    signature[-1] ^= 1  # inside `s` of the DER SEQUENCE { r, s }
    bundle["dsseEnvelope"]["signatures"][0]["sig"] = base64.b64encode(bytes(signature)).decode()
    path.write_text(json.dumps(bundle))
    both_refuse(artifact, public, "the signature does not verify", "")


@pytest.mark.parametrize("signer", SIGNERS)
def test_the_rehashed_forgery_fails_a_pinned_or_signed_check(artifact, keys, signer):
    private, public, _ = keys["alice"]
    sign(signer, artifact, private)
    original = digest_of(artifact)
    forge(artifact)
    # Even without a key, the author's signature no longer lists the files the folder holds.
    refused(run(LINFA_EXPORT, "verify", artifact), "model.sig lists model.json with sha256")
    refused(run(LINFA_EXPORT, "verify", artifact, "--expect", original), original, digest_of(artifact))
    both_refuse(artifact, public, "model.json: changed after signing", "Missing files")
    refused(ours(artifact, public), "manifest.json: changed after signing",
            "model.cbor: signed, but no longer in the artifact")
    # What the issue measured: a forger who drops the signature fools the manifest alone.
    (artifact / "model.sig").unlink()
    plain = ok(run(LINFA_EXPORT, "verify", artifact)).stdout
    assert "OK" in plain and "2 files" in plain and "trust: consistency only" in plain
    refused(run(LINFA_EXPORT, "verify", artifact, "--expect", original), original, digest_of(artifact))
    refused(ours(artifact, public), "model.sig: missing, so the artifact is not signed")
