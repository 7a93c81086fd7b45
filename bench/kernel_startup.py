#!/usr/bin/env python3
"""Kernel start-up and trivial-cell latency, linfa-kernel against evcxr_jupyter, one run.

For each kernel, alternating, in fresh processes: the time from launching the kernel to its
kernel_info reply, the first trivial cell (`1 + 1`), their sum (what a user waits for after
starting a kernel), and the median of ten more trivial cells.
Everything is measured from a real client (jupyter_client). The machine is shared and noisy,
so compare the ratios.

    python bench/kernel_startup.py --runs 5 --peer /path/to/evcxr_jupyter

linfa-kernel is found through the installed `linfa` kernelspec (scripts/lab or scripts/test
installs it into .venv). The peer is
`cargo install evcxr_jupyter --locked --version 0.22.0`.
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


def peer_kernelspec(binary: str) -> str:
    """A throw-away kernelspec directory for the peer; returns the JUPYTER_PATH entry."""
    root = tempfile.mkdtemp(prefix="bench-kernels-")
    spec_dir = os.path.join(root, "kernels", "evcxr-peer")
    os.makedirs(spec_dir)
    with open(os.path.join(spec_dir, "kernel.json"), "w") as f:
        json.dump({"argv": [binary, "--control_file", "{connection_file}"],
                   "display_name": "evcxr peer", "language": "rust"}, f)
    return root


def cell(kc, code: str, timeout: float = 600) -> float:
    start = time.perf_counter()
    msg_id = kc.execute(code)
    while True:
        reply = kc.get_shell_msg(timeout=timeout)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"{code!r} failed: {reply['content']}")
    return time.perf_counter() - start


def measure(kernel_name: str) -> dict[str, float]:
    km = KernelManager(kernel_name=kernel_name)
    start = time.perf_counter()
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    try:
        msg_id = kc.kernel_info()
        while True:
            reply = kc.get_shell_msg(timeout=120)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        info = time.perf_counter() - start
        first = cell(kc, TRIVIAL)
        warm = statistics.median(cell(kc, TRIVIAL) for _ in range(10))
        return {"kernel_info": info, "first_cell": first, "first_result": info + first,
                "median_cell": warm}
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--peer", default=shutil.which("evcxr_jupyter"),
                        help="evcxr_jupyter binary (default: from PATH)")
    args = parser.parse_args()
    kernels = {"linfa-kernel": "linfa"}
    if args.peer:
        os.environ["JUPYTER_PATH"] = os.pathsep.join(
            filter(None, [peer_kernelspec(args.peer), os.environ.get("JUPYTER_PATH")]))
        kernels["evcxr_jupyter 0.22.0"] = "evcxr-peer"
    else:
        print("note: no evcxr_jupyter found; measuring linfa-kernel alone", file=sys.stderr)

    results: dict[str, list[dict[str, float]]] = {name: [] for name in kernels}
    for run in range(args.runs):
        for name, spec in kernels.items():
            results[name].append(measure(spec))
            print(f"run {run + 1}/{args.runs} {name}: "
                  + ", ".join(f"{k} {v:.3f} s" for k, v in results[name][-1].items()), file=sys.stderr)

    metrics = ["kernel_info", "first_cell", "first_result", "median_cell"]
    labels = {"kernel_info": "launch to kernel_info reply", "first_cell": "first trivial cell",
              "first_result": "launch to first cell's result",
              "median_cell": "median of 10 trivial cells"}
    medians = {name: {m: statistics.median(r[m] for r in runs) for m in metrics}
               for name, runs in results.items()}
    names = list(kernels)
    header = "| measure (median of %d runs) | " % args.runs + " | ".join(names)
    if len(names) == 2:
        header += " | ratio (linfa / peer)"
    print(header + " |")
    print("|---" * (len(names) + 1 + (len(names) == 2)) + "|")
    for m in metrics:
        row = f"| {labels[m]} | " + " | ".join(f"{medians[n][m]:.3f} s" for n in names)
        if len(names) == 2:
            row += f" | {medians[names[0]][m] / medians[names[1]][m]:.2f}x"
        print(row + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
