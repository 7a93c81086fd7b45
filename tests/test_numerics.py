"""Same notebook, same model, on any CPU: the cells run again on an emulated CPU without AVX or FMA.

`REPRONOTE_EVALUATION_WRAPPER` puts a command in front of the kernel's evaluation process; with
Debian's `qemu-x86_64 -cpu Nehalem` the very same compiled cells run on a CPU that has neither
AVX nor FMA, while this machine (which must have both) compiles them. `model_families.ipynb`
exports every model family and prints checksums of a 2-D product and of the transcendental
functions. In the default profile (`portable-v1`) every digest and checksum must be the same
natively and emulated; in the `native` opt-out (`REPRONOTE_NUMERICS=native`) some must differ,
so the comparison cannot pass by accident. `nb reproduce` then re-runs exports across the two:
a portable export re-run on the emulated CPU is identical; a native export re-run in the
portable profile is refused, naming both profiles and how far each parameter array moved.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import KERNEL_NAME, execute, start_kernel
from test_nb import BINARY, nb

NOTEBOOK = Path(__file__).resolve().parent / "notebooks" / "model_families.ipynb"
WRAPPER = "qemu-x86_64 -cpu Nehalem"
# Emulated cells run several times slower; a native-profile kernel first builds its own stack.
CELL_TIMEOUT = 1800
FINGERPRINT = re.compile(r"^(?:\S+ (?:model|artifact) [0-9a-f]{64}|checksum .*)$", re.M)
# Appended to the notebook in the run only: what the evaluation process's CPU offers.
CPU_CELL = 'println!("cpu fma {} avx {}", is_x86_feature_detected!("fma"), is_x86_feature_detected!("avx"));'


def host_has_fma_and_avx() -> bool:
    flags = Path("/proc/cpuinfo").read_text()
    return bool(re.search(r"^flags\b.*\bfma\b", flags, re.M)) and bool(re.search(r"^flags\b.*\bavx\b", flags, re.M))


def run(workdir: Path, profile: str | None, wrapped: bool) -> str:
    """Runs the notebook through nbclient in a fresh kernel; returns its stdout."""
    assert shutil.which("qemu-x86_64"), "Debian's qemu-user must be installed (`.ci/run` installs it)"
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(CPU_CELL))
    env = dict(os.environ)
    env.pop("REPRONOTE_NUMERICS", None)
    env.pop("REPRONOTE_EVALUATION_WRAPPER", None)
    if profile:
        env["REPRONOTE_NUMERICS"] = profile
    if wrapped:
        env["REPRONOTE_EVALUATION_WRAPPER"] = WRAPPER
    NotebookClient(
        notebook,
        kernel_name=KERNEL_NAME,
        timeout=CELL_TIMEOUT,
        startup_timeout=120,
        resources={"metadata": {"path": str(workdir)}},
    ).execute(env=env)
    return "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "stream" and output.name == "stdout"
    )


def fingerprints(stdout: str) -> dict[str, str]:
    """`name kind` → digest or checksum, for every model, artifact and checksum line."""
    return {line.rsplit(" ", 1)[0]: line.rsplit(" ", 1)[1] for line in FINGERPRINT.findall(stdout)}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The notebook in both profiles, each natively and on the emulated CPU."""
    assert host_has_fma_and_avx(), "this test compares against a CPU without them, so needs a host with FMA and AVX"
    found = {}
    # The first native-profile kernel builds that profile's stack, which the emulated run reuses.
    for profile, wrapped in (("portable", False), ("portable", True), ("native", False), ("native", True)):
        workdir = tmp_path_factory.mktemp(f"{profile}-{'emulated' if wrapped else 'native'}")
        found[profile, wrapped] = (workdir, run(workdir, profile, wrapped))
    return found


def test_the_emulated_cpu_has_neither_avx_nor_fma(runs):
    for profile in ("portable", "native"):
        assert "cpu fma true avx true" in runs[profile, False][1]
        assert "cpu fma false avx false" in runs[profile, True][1]


def test_portable_models_and_checksums_are_identical_without_avx_or_fma(runs):
    native, emulated = (fingerprints(runs["portable", wrapped][1]) for wrapped in (False, True))
    assert len(native) == 2 * 10 + 3, native
    differing = sorted(name for name in native if native[name] != emulated.get(name))
    assert not differing, f"differ on a CPU without AVX or FMA: {differing}"


def test_the_native_opt_out_differs_on_that_cpu(runs):
    """What the portable profile prevents: without it, the same cells give other bits."""
    native, emulated = (fingerprints(runs["native", wrapped][1]) for wrapped in (False, True))
    assert native.keys() == emulated.keys()
    differing = sorted(name for name in native if native[name] != emulated[name])
    print("differ in the native profile:", differing)
    assert "checksum gemm" in differing
    assert any(name.endswith(" model") for name in differing), differing


def test_each_export_records_its_profile(runs):
    for profile, expected in (("portable", "portable-v1"), ("native", "native")):
        workdir, _ = runs[profile, False]
        manifest = json.loads((workdir / "artifacts" / "kmeans" / "manifest.json").read_text())
        numerics = manifest["provenance"]["numerics"]
        assert numerics["profile"] == expected
        assert bool(numerics["pins"]) == (expected != "native")


def test_a_portable_export_reproduces_identically_on_the_emulated_cpu(runs):
    workdir, _ = runs["portable", False]
    env = {**os.environ, "REPRONOTE_EVALUATION_WRAPPER": WRAPPER}
    env.pop("REPRONOTE_NUMERICS", None)
    done = nb("reproduce", str(workdir / "artifacts" / "gaussian-mixture"), env=env, timeout=CELL_TIMEOUT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "reproduced: identical artifact digest" in done.stdout


def test_a_native_export_rerun_portable_names_both_profiles_and_how_far_it_moved(runs):
    portable, native = (fingerprints(runs[profile, False][1]) for profile in ("portable", "native"))
    # A family whose model the two profiles train differently on this machine, the shortest
    # record first (fewer cells to re-run).
    order = ["kmeans", "gaussian-mixture", "decision-tree", "logistic", "multinomial-logistic",
             "linear-regression", "gaussian-nb", "multinomial-nb", "svm", "pca"]
    family = next((f for f in order if portable[f"{f} model"] != native[f"{f} model"]), None)
    assert family, "the native and portable profiles trained identical models of every family"
    workdir, _ = runs["native", False]
    env = dict(os.environ)
    env.pop("REPRONOTE_NUMERICS", None)
    env.pop("REPRONOTE_EVALUATION_WRAPPER", None)
    done = nb("reproduce", str(workdir / "artifacts" / family), env=env, timeout=CELL_TIMEOUT)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "numeric profile: native in the original, portable-v1 in the re-run" in done.stdout
    assert re.search(r"^parameter \S+: \d+ of \d+ values differ, largest relative difference \d", done.stdout, re.M), done.stdout


# C math functions that are exact in IEEE 754 (or only move bits), and so need no pinning.
EXACT = {
    "ceil", "ceilf", "floor", "floorf", "round", "roundf", "roundeven", "roundevenf", "trunc",
    "truncf", "rint", "rintf", "nearbyint", "nearbyintf", "sqrt", "sqrtf", "fabs", "fabsf",
    "fmod", "fmodf", "fma", "fmaf", "fmin", "fminf", "fmax", "fmaxf", "copysign", "copysignf",
    "ldexp", "ldexpf", "frexp", "frexpf", "modf", "modff", "scalbn", "scalbnf",
}


def symbols(*command: str) -> set[str]:
    """The symbol names `nm` lists (an rlib's metadata member is not an object: nm says so on
    stderr and goes on)."""
    out = subprocess.run(command, capture_output=True, text=True).stdout
    assert out.strip(), command
    return {line.split()[-1].split("@")[0] for line in out.splitlines() if line.strip() and not line.endswith(":")}


def libm_functions() -> set[str]:
    path = subprocess.run(["gcc", "-print-file-name=libm.so.6"], capture_output=True, text=True).stdout.strip()
    if not os.path.isabs(path):
        path = "/lib/x86_64-linux-gnu/libm.so.6"
    return symbols("nm", "-D", "--defined-only", path)


def test_every_rounding_math_function_the_stack_and_a_cell_import_is_the_binarys(tmp_path):
    """Read, not assumed: the C math functions the prebuilt stack's libraries and a compiled
    cell import, less the exact ones, must all be exported by the evaluation process."""
    cache = Path(os.environ.get("REPRONOTE_CACHE", os.path.expanduser("~/.cache/repronote")))
    (template,) = cache.glob("stack-portable-v1-*/target")
    rlibs = [str(p) for p in template.rglob("*.rlib")]
    assert len(rlibs) > 50, template
    libm = libm_functions()
    stack_imports = symbols("nm", "-u", *rlibs) & libm

    km, kc = start_kernel(cwd=str(tmp_path))
    try:
        checksums = [c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells if "checksum f64" in c.source]
        assert execute(kc, checksums[0], timeout=300).status == "ok"
        # The shared objects of compiled cells this evaluation process has loaded.
        listing = execute(
            kc,
            'std::fs::read_to_string("/proc/self/maps").unwrap().lines()'
            '.filter_map(|l| l.split_whitespace().nth(5)).filter(|p| p.contains("/sessions/") && p.ends_with(".so"))'
            '.collect::<std::collections::BTreeSet<_>>().into_iter().collect::<Vec<_>>().join("\\n")',
        )
        cells = [line for line in listing.result_text().strip('"').split("\\n") if line]
        assert cells, listing.result_text()
        cell_imports = symbols("nm", "-D", "--undefined-only", *cells) & libm
    finally:
        kc.stop_channels()
        km.shutdown_kernel()

    exported = symbols("nm", "-D", "--defined-only", BINARY)
    rounding = (stack_imports | cell_imports) - EXACT
    print("stack imports:", sorted(stack_imports), "cell imports:", sorted(cell_imports))
    assert {"exp", "log", "pow", "sincos"} <= stack_imports, "the stack's imports were not read"
    assert {"expf", "atan2", "hypot", "sincosf"} <= cell_imports, "the cell's imports were not read"
    assert rounding <= exported, f"not answered by the binary: {sorted(rounding - exported)}"
