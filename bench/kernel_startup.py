#!/usr/bin/env python3
"""Kernel start-up, cell latency and the first linfa fit: repronote against evcxr_jupyter.

Each run starts every kernel twice, in fresh processes, from a real client (jupyter_client),
alternating kernels:

- a plain session: launch to kernel_info reply, the first trivial cell (`1 + 1`), the median of
  ten more trivial cells, then a completion of a std path (`std::collections::Hash`) sent at
  once: what a first Tab costs while the kernel has not been idle yet;
- a linfa session: the cells a student writes to train KMeans on iris (seeded), timed from
  launch to the fit's reply; the same fit cell again (warm re-fit); the median of ten trivial
  cells with linfa loaded; the peak resident memory of the kernel process plus its evaluation
  process (VmHWM from /proc); then, after the kernel has been idle for a while (IDLE_SECONDS,
  longer than the kernel's own 2 s before it loads std for rust-analyzer), the same std
  completion and the peak memory again, which now includes rust-analyzer holding std.

repronote uses its preloaded stack (prebuilt by `repronote install`), with no `:dep`
line. The peer, evcxr_jupyter 0.22.0 (`cargo install evcxr_jupyter --locked --version 0.22.0`),
gets `:dep` lines for the crates the fit needs, and its model binding needs a type annotation
(evcxr cannot infer it). The machine is shared and noisy: compare the ratios.

    python bench/kernel_startup.py --runs 3 --peer /path/to/evcxr_jupyter
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

from jupyter_client.manager import KernelManager

TRIVIAL = "1 + 1"
STD_COMPLETION = "std::collections::Hash"
IDLE_SECONDS = 12
LINFA_CELLS = {
    "linfa": [
        "use linfa::prelude::*;\nuse linfa_clustering::KMeans;\n"
        "use rand_xoshiro::Xoshiro256PlusPlus;\nuse rand::SeedableRng;",
        "let data = linfa_datasets::iris();",
    ],
    "evcxr-peer": [
        ':dep linfa = "=0.8.1"\n:dep linfa-clustering = "=0.8.1"\n:dep linfa-nn = "=0.8.1"\n'
        ':dep linfa-datasets = { version = "=0.8.1", features = ["iris"] }\n'
        ':dep ndarray = "0.16"\n:dep rand = "0.8"\n:dep rand_xoshiro = "0.6"',
        "use linfa::prelude::*;\nuse linfa_clustering::KMeans;\n"
        "use rand_xoshiro::Xoshiro256PlusPlus;\nuse rand::SeedableRng;",
        "let data = linfa_datasets::iris();",
    ],
}
FIT = {
    "linfa": "let model = KMeans::params_with_rng(3, Xoshiro256PlusPlus::seed_from_u64(42))"
    ".fit(&data).unwrap();",
    "evcxr-peer": "let model: KMeans<f64, linfa_nn::distance::L2Dist> = "
    "KMeans::params_with_rng(3, Xoshiro256PlusPlus::seed_from_u64(42)).fit(&data).unwrap();",
}


def peer_kernelspec(binary: str) -> str:
    """A throw-away kernelspec directory for the peer; returns the JUPYTER_PATH entry."""
    root = tempfile.mkdtemp(prefix="bench-kernels-")
    spec_dir = os.path.join(root, "kernels", "evcxr-peer")
    os.makedirs(spec_dir)
    with open(os.path.join(spec_dir, "kernel.json"), "w") as f:
        json.dump({"argv": [binary, "--control_file", "{connection_file}"],
                   "display_name": "evcxr peer", "language": "rust"}, f)
    return root


def cell(kc, code: str, timeout: float = 1200) -> float:
    start = time.perf_counter()
    msg_id = kc.execute(code)
    while True:
        reply = kc.get_shell_msg(timeout=timeout)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"{code!r} failed: {reply['content']}")
    return time.perf_counter() - start


def descendants(pid: int) -> list[int]:
    found = [pid]
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                for child in f.read().split():
                    found += descendants(int(child))
        except OSError:
            pass
    return found


def complete(kc, code: str, timeout: float = 120) -> float:
    start = time.perf_counter()
    msg_id = kc.complete(code, len(code))
    while True:
        reply = kc.get_shell_msg(timeout=timeout)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    if "HashMap" not in reply["content"].get("matches", []):
        raise RuntimeError(f"completing {code!r} found no HashMap: {reply['content']}")
    return time.perf_counter() - start


def peak_rss_mib(pid: int) -> float:
    total_kib = 0
    for process in descendants(pid):
        try:
            with open(f"/proc/{process}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        total_kib += int(line.split()[1])
        except OSError:
            pass
    return total_kib / 1024


def start(spec: str):
    km = KernelManager(kernel_name=spec)
    started = time.perf_counter()
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    msg_id = kc.kernel_info()
    while True:
        reply = kc.get_shell_msg(timeout=120)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    return km, kc, started, time.perf_counter() - started


def stop(km, kc) -> None:
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def plain_session(spec: str) -> dict[str, float]:
    km, kc, _, info = start(spec)
    try:
        first = cell(kc, TRIVIAL)
        median = statistics.median(cell(kc, TRIVIAL) for _ in range(10))
        completion = complete(kc, STD_COMPLETION)
        return {"kernel_info": info, "first_cell": first, "first_result": info + first,
                "median_cell": median, "first_completion": completion}
    finally:
        stop(km, kc)


def linfa_session(spec: str) -> dict[str, float]:
    km, kc, started, _ = start(spec)
    try:
        for code in LINFA_CELLS[spec]:
            cell(kc, code)
        cell(kc, FIT[spec])
        first_fit = time.perf_counter() - started
        refit = cell(kc, FIT[spec])
        median = statistics.median(cell(kc, TRIVIAL) for _ in range(10))
        pid = km.provisioner.process.pid
        working_peak = peak_rss_mib(pid)
        time.sleep(IDLE_SECONDS)
        idle_completion = complete(kc, STD_COMPLETION)
        return {"first_fit": first_fit, "refit": refit, "median_linfa_cell": median,
                "peak_mib": working_peak, "idle_completion": idle_completion,
                "idle_peak_mib": peak_rss_mib(pid)}
    finally:
        stop(km, kc)


METRICS = {
    "kernel_info": ("launch to kernel_info reply", "s"),
    "first_cell": ("first trivial cell", "s"),
    "first_result": ("launch to first trivial result", "s"),
    "median_cell": ("median of 10 trivial cells, fresh kernel", "s"),
    "first_fit": ("launch to first linfa fit (KMeans, iris, seeded)", "s"),
    "refit": ("warm re-fit (same cell again)", "s"),
    "median_linfa_cell": ("median of 10 trivial cells, linfa loaded", "s"),
    "first_completion": ("std completion, fresh kernel, no idle time yet", "s"),
    "peak_mib": ("peak RSS, kernel + evaluation process, cells run", "MiB"),
    "idle_completion": (f"std completion after {IDLE_SECONDS} s idle", "s"),
    "idle_peak_mib": (f"peak RSS, kernel + evaluation process, after {IDLE_SECONDS} s idle", "MiB"),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--peer", default=shutil.which("evcxr_jupyter"),
                        help="evcxr_jupyter binary (default: from PATH)")
    args = parser.parse_args()
    kernels = {"repronote": "linfa"}
    if args.peer:
        os.environ["JUPYTER_PATH"] = os.pathsep.join(
            filter(None, [peer_kernelspec(args.peer), os.environ.get("JUPYTER_PATH")]))
        kernels["evcxr_jupyter 0.22.0"] = "evcxr-peer"
    else:
        print("note: no evcxr_jupyter found; measuring repronote alone", file=sys.stderr)

    results: dict[str, list[dict[str, float]]] = {name: [] for name in kernels}
    for run in range(args.runs):
        for name, spec in kernels.items():
            figures = plain_session(spec) | linfa_session(spec)
            results[name].append(figures)
            print(f"run {run + 1}/{args.runs} {name}: "
                  + ", ".join(f"{k} {v:.3f}" for k, v in figures.items()), file=sys.stderr)

    medians = {name: {m: statistics.median(r[m] for r in runs) for m in METRICS}
               for name, runs in results.items()}
    names = list(kernels)
    header = f"| measure (median of {args.runs} runs) | " + " | ".join(names)
    if len(names) == 2:
        header += " | ratio (linfa / peer)"
    print(header + " |")
    print("|---" * (len(names) + 1 + (len(names) == 2)) + "|")
    for metric, (label, unit) in METRICS.items():
        row = f"| {label} | " + " | ".join(f"{medians[n][metric]:.3f} {unit}" for n in names)
        if len(names) == 2:
            row += f" | {medians[names[0]][metric] / medians[names[1]][metric]:.2f}x"
        print(row + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
