#!/usr/bin/env python3
"""What the portable numeric profile costs: the same cells in a portable and a native kernel.

The portable profile (the default) runs every 2-D product through matrixmultiply's fallback
kernel and the transcendental functions through the `libm` crate, so results are the same bits
on every CPU; `REPRONOTE_NUMERICS=native` gives the machine's FMA kernels and the C library's
math. Two kernels are started from a real client (jupyter_client), one per profile, and each
runs the same timed cells, alternating, REPEATS times; the median per task and the ratio
portable / native are printed. Times are taken inside the cells (std::time::Instant), so
compiling a cell is not counted. The first native kernel builds its own stack (minutes, once).

    REPRONOTE_CACHE=... .venv/bin/python bench/numerics.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile

from jupyter_client.manager import KernelManager

SETUP = """use linfa::prelude::*;
let wine = linfa_datasets::winequality();
let good_wine = wine.clone().map_targets(|quality| *quality > 6);
let big_a = ndarray::Array2::from_shape_fn((600, 600), |(i, j)| ((i * 600 + j) as f64 * 1e-3).sin());
let big_b = ndarray::Array2::from_shape_fn((600, 600), |(i, j)| ((i + 2 * j) as f64 * 1e-3).cos());
fn timed(task: &str, work: impl Fn()) {
    let started = std::time::Instant::now();
    work();
    println!("time {task} {:.6}", started.elapsed().as_secs_f64());
}"""

TASKS = {
    "gemm 600x600 (Array2::dot)": 'timed("gemm", || { std::hint::black_box(big_a.dot(&big_b)); });',
    "PCA, winequality (11 features)": 'timed("pca", || { std::hint::black_box('
    "linfa_reduction::Pca::params(5).fit(&wine).unwrap()); });",
    "logistic fit, winequality": 'timed("logistic", || { std::hint::black_box('
    "linfa_logistic::LogisticRegression::default().max_iterations(100).fit(&good_wine).unwrap()); });",
    "exp/ln/powf, 1e6 values": 'timed("math", || { let mut s = 0.0f64; for i in 0..1_000_000 { '
    "let x = std::hint::black_box(i as f64 * 1e-5); s += x.exp() + (x + 1.0).ln() + x.powf(1.3); } "
    "std::hint::black_box(s); });",
}
TIME_LINE = re.compile(r"^time (\S+) ([0-9.]+)$", re.M)


def start(profile: str, workdir: str) -> tuple[KernelManager, object]:
    env = dict(os.environ)
    env["REPRONOTE_NUMERICS"] = profile
    env.pop("REPRONOTE_EVALUATION_WRAPPER", None)
    manager = KernelManager(kernel_name="linfa")
    manager.start_kernel(cwd=workdir, env=env)
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=120)
    return manager, client


def run(client, code: str, timeout: float = 1800) -> str:
    """Runs `code`; returns its stdout, failing on an error."""
    stdout: list[str] = []
    failure: list[str] = []

    def collect(message: dict) -> None:
        if message["msg_type"] == "stream" and message["content"]["name"] == "stdout":
            stdout.append(message["content"]["text"])
        if message["msg_type"] == "error":
            failure.append(message["content"]["evalue"])

    reply = client.execute_interactive(code, timeout=timeout, output_hook=collect)
    if reply["content"]["status"] != "ok" or failure:
        raise RuntimeError(f"cell failed: {failure or reply['content']}")
    return "".join(stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    kernels = {}
    with tempfile.TemporaryDirectory() as workdir:
        try:
            for profile in ("portable", "native"):
                kernels[profile] = start(profile, workdir)
                run(kernels[profile][1], SETUP)
            times: dict[tuple[str, str], list[float]] = {}
            for _ in range(args.repeats):
                for name, code in TASKS.items():
                    for profile, (_, client) in kernels.items():
                        (seconds,) = [float(t) for _, t in TIME_LINE.findall(run(client, code))]
                        times.setdefault((name, profile), []).append(seconds)
        finally:
            for manager, client in kernels.values():
                client.stop_channels()
                manager.shutdown_kernel(now=True)
    print(f"median of {args.repeats} runs each, both kernels in the same run, alternating")
    print("| task | portable-v1 | native | ratio (portable / native) |")
    print("|---|---|---|---|")
    for name in TASKS:
        portable = statistics.median(times[name, "portable"])
        native = statistics.median(times[name, "native"])
        print(f"| {name} | {portable * 1000:.1f} ms | {native * 1000:.1f} ms | {portable / native:.2f}x |")


if __name__ == "__main__":
    main()
