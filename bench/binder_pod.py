#!/usr/bin/env python3
"""The course's chapters in a Binder-sized pod: one CPU and a memory limit.

A mybinder.org or JupyterHub pod gives a user one CPU and a memory limit; past the limit the
out-of-memory killer ends the biggest process, which is the kernel. For each chapter notebook
(every notebooks/0*.ipynb, or those given with --notebooks) this script runs the kernel's own
notebook runner, `repronote nb run NOTEBOOK` (a fresh kernel, every cell, non-zero exit on
failure), in a fresh copy of the notebook's folder in a temp dir (the notebooks write files next
to themselves), pinned to one CPU with `taskset -c 0`, inside a fresh cgroup v1 memory cgroup
(/sys/fs/cgroup/memory/repronote-bench-<pid>-<n>) whose memory.limit_in_bytes, and
memory.memsw.limit_in_bytes where it exists (so swap cannot hide the limit), is --memory.

Per chapter: wall time from the runner's start to its exit; peak memory, the cgroup's
memory.max_usage_in_bytes (every process of the run: runner, kernel, evaluation process, the
compilers they start; page cache charged to the cgroup included, as in a pod); the exit code;
memory.failcnt; and the out-of-memory kills (memory.oom_control's oom_kill). Processes left in
the cgroup after the runner exits are killed and counted; on --timeout every process in the
cgroup is killed. Then a Markdown table, the highest peak and the total time, and the memory
to give each user of a course hub: the highest peak rounded up to 128 MiB, plus --lab-mib for
JupyterLab itself. The peak of a chapter that failed at the limit is a lower bound. A run in
which the kernel had to build its preloaded stack (none in the cache for this kernel: a new
stack-<key> appears) is flagged: its figures are not a student's.

Needs root and cgroup v1's memory controller at /sys/fs/cgroup/memory. The environment is
passed through (set REPRONOTE_CACHE and JUPYTER_PATH as for the kernel). Exits 1 when a chapter
did not pass. The machine is shared and noisy: the times are one run each; the peaks are steadier.

    python bench/binder_pod.py --memory 1G [--notebooks notebooks/00-the-kernel.ipynb] [--json FILE]
"""

from __future__ import annotations

import argparse
import datetime
import glob
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

CGROUP_ROOT = "/sys/fs/cgroup/memory"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIB = 1024 * 1024
TAIL_LINES = 15


def parse_size(text: str) -> int:
    """`1G`, `400M`, `512K` (KiB, MiB, GiB; `Gi`, `GiB`, `GB` too) or a number of bytes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMG]?)(?:I?B?)\s*", text.upper())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r}: give bytes or a number with K, M or G")
    number, suffix = match.groups()
    return int(float(number) * 1024 ** " KMG".index(suffix or " "))


def default_repronote() -> str | None:
    found = shutil.which("repronote")
    if found:
        return found
    venv = os.environ.get("VIRTUAL_ENV")
    if venv and os.access(os.path.join(venv, "bin", "repronote"), os.X_OK):
        return os.path.join(venv, "bin", "repronote")
    return None


def stack_builds() -> set[str]:
    """The published stack builds in the kernel's cache (stack-<key>/target/.published)."""
    root = os.environ.get("REPRONOTE_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "repronote")
    return {os.path.join(root, name) for name in (os.listdir(root) if os.path.isdir(root) else [])
            if name.startswith("stack-")
            and os.path.isfile(os.path.join(root, name, "target", ".published"))}


def fail(message: str) -> None:
    print(f"binder_pod: {message}", file=sys.stderr)
    sys.exit(2)


def preflight(repronote: str | None) -> None:
    if os.geteuid() != 0:
        fail("must run as root: it creates memory cgroups under " + CGROUP_ROOT)
    if not os.path.isfile(os.path.join(CGROUP_ROOT, "memory.limit_in_bytes")):
        fail(f"{CGROUP_ROOT} is missing or is not cgroup v1's memory controller; this needs a "
             f"cgroup v1 memory hierarchy mounted there "
             f"(mount -t cgroup -o memory cgroup {CGROUP_ROOT})")
    if not shutil.which("taskset"):
        fail("taskset (util-linux) is not on PATH; it pins the run to --cpus")
    if not repronote:
        fail("no repronote binary: not on PATH nor in $VIRTUAL_ENV/bin; give --repronote PATH")
    if not os.access(repronote, os.X_OK):
        fail(f"--repronote {repronote}: not an executable file")


class Cgroup:
    """A fresh memory cgroup, removed by close() once its processes are gone."""

    def __init__(self, name: str, limit: int) -> None:
        self.path = os.path.join(CGROUP_ROOT, name)
        os.mkdir(self.path)
        try:
            self.write("memory.limit_in_bytes", limit)
            if os.path.exists(self.file("memory.memsw.limit_in_bytes")):
                self.write("memory.memsw.limit_in_bytes", limit)
        except BaseException:
            os.rmdir(self.path)
            raise

    def file(self, name: str) -> str:
        return os.path.join(self.path, name)

    def write(self, name: str, value: int) -> None:
        with open(self.file(name), "w") as f:
            f.write(str(value))

    def read(self, name: str) -> str:
        with open(self.file(name)) as f:
            return f.read()

    def enter(self) -> None:
        """Runs in the child between fork and exec: moves it (and all it starts) in."""
        with open(self.file("cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))

    def pids(self) -> list[int]:
        try:
            return [int(p) for p in self.read("cgroup.procs").split()]
        except FileNotFoundError:
            return []

    def oom_kills(self) -> int | None:
        for line in self.read("memory.oom_control").splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value)
        return None

    def kill_all(self, grace: float = 10.0) -> int:
        """SIGKILL every process in the cgroup until it is empty; returns how many were killed."""
        killed: set[int] = set()
        deadline = time.monotonic() + grace
        while (pids := self.pids()) and time.monotonic() < deadline:
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed.add(pid)
                except ProcessLookupError:
                    pass
            time.sleep(0.1)
        return len(killed)

    def close(self) -> None:
        deadline = time.monotonic() + 10
        while True:
            self.kill_all(grace=2)
            try:
                os.rmdir(self.path)
                return
            except FileNotFoundError:
                return
            except OSError as error:
                if time.monotonic() > deadline:
                    print(f"binder_pod: could not remove {self.path}: {error}", file=sys.stderr)
                    return
                time.sleep(0.2)


def run_chapter(notebook: str, index: int, args: argparse.Namespace) -> dict:
    chapter = os.path.splitext(os.path.basename(notebook))[0]
    workdir = tempfile.mkdtemp(prefix=f"binder-pod-{chapter}-")
    folder = os.path.join(workdir, "notebooks")
    shutil.copytree(os.path.dirname(os.path.abspath(notebook)), folder)
    log_path = os.path.join(workdir, "nb-run.log")
    command = ["taskset", "-c", args.cpus, args.repronote, "nb", "run",
               os.path.basename(notebook)]
    figures: dict = {"chapter": chapter, "notebook": notebook}
    stacks_before = stack_builds()
    try:
        cgroup = Cgroup(f"repronote-bench-{os.getpid()}-{index}", args.memory)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    try:
        # Output to a file, not a pipe: a kernel's evaluation process can outlive the runner
        # (its kernel killed mid-cell) and would hold a pipe open.
        with open(log_path, "wb") as log:
            started = time.perf_counter()
            child = subprocess.Popen(command, cwd=folder, stdin=subprocess.DEVNULL, stdout=log,
                                     stderr=subprocess.STDOUT, preexec_fn=cgroup.enter,
                                     start_new_session=True)
            peak_rss = 0
            timed_out = False
            killed_on_timeout = 0
            while True:
                try:
                    child.wait(timeout=0.5)
                    break
                except subprocess.TimeoutExpired:
                    pass
                peak_rss = max(peak_rss, anon_bytes(cgroup))
                if time.perf_counter() - started > args.timeout:
                    timed_out = True
                    killed_on_timeout = cgroup.kill_all()
                    child.wait()
                    break
            elapsed = time.perf_counter() - started
        # What the runner left behind (a killed kernel's evaluation process sleeps on until its
        # cell ends): give it a moment, then kill it, so the cgroup can go.
        deadline = time.monotonic() + 5
        while cgroup.pids() and time.monotonic() < deadline:
            time.sleep(0.2)
        leftovers = cgroup.kill_all()
        code = child.returncode
        oom_kills = cgroup.oom_kills()
        # A kernel that finds no stack for its key builds it (minutes) and removes the others:
        # then the time is not a student's.
        built = sorted(stack_builds() - stacks_before)
        if timed_out:
            result = f"timeout ({args.timeout:g} s)"
        elif code == 0:
            result = "pass"
        elif code < 0:
            result = f"fail (runner killed by {signal.Signals(-code).name})"
        else:
            result = f"fail (exit {code})"
        if built:
            result += ", built the stack"
        figures |= {
            "result": result,
            "passed": code == 0 and not timed_out,
            "exit_code": code,
            "timed_out": timed_out,
            "time_s": round(elapsed, 3),
            "peak_mib": round(int(cgroup.read("memory.max_usage_in_bytes")) / MIB, 1),
            "peak_rss_sampled_mib": round(peak_rss / MIB, 1),
            "failcnt": int(cgroup.read("memory.failcnt")),
            "oom_kills": oom_kills,
            "killed_on_timeout": killed_on_timeout,
            "leftover_processes_killed": leftovers,
            "stack_built": built,
        }
        with open(log_path, errors="replace") as f:
            figures["output_tail"] = f.read().splitlines()[-TAIL_LINES:]
        return figures
    finally:
        cgroup.close()
        shutil.rmtree(workdir, ignore_errors=True)


def anon_bytes(cgroup: Cgroup) -> int:
    """rss + swap from memory.stat: the run's own memory, page cache left out (sampled)."""
    try:
        stat = dict(line.split() for line in cgroup.read("memory.stat").splitlines())
        return int(stat.get("total_rss", stat.get("rss", 0))) + int(
            stat.get("total_swap", stat.get("swap", 0)))
    except (OSError, ValueError):
        return 0


def on_sigterm(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repronote",
                        help="repronote binary (default: from PATH, else $VIRTUAL_ENV/bin)")
    parser.add_argument("--memory", type=parse_size, default=parse_size("1G"),
                        help="the pod's memory limit: bytes, or K/M/G for KiB/MiB/GiB "
                             "(default 1G)")
    parser.add_argument("--cpus", default="0", help="CPU list for taskset -c (default 0)")
    parser.add_argument("--notebooks", nargs="+", metavar="NOTEBOOK",
                        default=sorted(glob.glob(os.path.join(ROOT, "notebooks", "0*.ipynb"))),
                        help="notebooks to run (default: notebooks/0*.ipynb)")
    parser.add_argument("--timeout", type=float, default=1200,
                        help="seconds per notebook before the cgroup's processes are killed "
                             "(default 1200)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures here as JSON")
    parser.add_argument("--lab-mib", type=int, default=300,
                        help="JupyterLab's own share of a user's memory, in MiB (default 300)")
    args = parser.parse_args()
    args.repronote = args.repronote or default_repronote()
    preflight(args.repronote)
    if not args.notebooks:
        fail("no notebooks: none match notebooks/0*.ipynb; give --notebooks")
    for notebook in args.notebooks:
        if not os.path.isfile(notebook):
            fail(f"{notebook}: no such notebook")
    signal.signal(signal.SIGTERM, on_sigterm)

    measured_at = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%MZ")
    load = os.getloadavg()
    print(f"{measured_at}: memory limit {args.memory / MIB:g} MiB, CPUs {args.cpus}, "
          f"{os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
          file=sys.stderr)
    chapters = []
    try:
        for index, notebook in enumerate(args.notebooks):
            figures = run_chapter(notebook, index, args)
            chapters.append(figures)
            print(f"{figures['chapter']}: {figures['result']}, {figures['time_s']:.1f} s, "
                  f"peak {figures['peak_mib']:.1f} MiB, OOM kills {figures['oom_kills']}, "
                  f"failcnt {figures['failcnt']}, processes killed on timeout "
                  f"{figures['killed_on_timeout']}, leftovers killed "
                  f"{figures['leftover_processes_killed']}", file=sys.stderr)
    except KeyboardInterrupt:
        print("binder_pod: interrupted; cgroups and temp dirs removed", file=sys.stderr)
        return 130

    highest = max(c["peak_mib"] for c in chapters)
    total = sum(c["time_s"] for c in chapters)
    suggested = math.ceil(highest / 128) * 128 + args.lab_mib
    at_limit = any(not c["passed"] for c in chapters)

    print(f"| chapter ({args.memory / MIB:g} MiB, CPUs {args.cpus}) | result | time s "
          f"| peak MiB | OOM kills |")
    print("|---|---|---:|---:|---:|")
    for c in chapters:
        oom = "n/a" if c["oom_kills"] is None else c["oom_kills"]
        print(f"| {c['chapter']} | {c['result']} | {c['time_s']:.1f} | {c['peak_mib']:.1f} "
              f"| {oom} |")
    print()
    print(f"highest peak {highest:.1f} MiB, total time {total:.1f} s "
          f"({sum(c['passed'] for c in chapters)}/{len(chapters)} passed)")
    print(f"memory per user for a course hub: at least {suggested} MiB"
          + (" (a chapter did not pass: its peak is a lower bound; raise --memory)"
             if at_limit else ""))
    if any(c["stack_built"] for c in chapters):
        print("note: a run built the preloaded stack (no prebuilt one for this kernel in the "
              "cache), so its time and peak are not a student's; run again, or run "
              "`repronote prebuild` first")
    for c in chapters:
        if not c["passed"]:
            print(f"\n{c['chapter']}: last {TAIL_LINES} lines of `repronote nb run`:\n")
            print("\n".join("    " + line for line in c["output_tail"]) or "    (no output)")

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"measured_at": measured_at, "memory_limit_bytes": args.memory,
                       "cpus": args.cpus, "cores": os.cpu_count(), "load_average": load,
                       "repronote": args.repronote, "timeout_s": args.timeout,
                       "lab_mib": args.lab_mib, "chapters": chapters,
                       "highest_peak_mib": highest, "total_time_s": round(total, 3),
                       "suggested_mib_per_user": suggested}, f, indent=2)
            f.write("\n")
    return 0 if not at_limit else 1


if __name__ == "__main__":
    sys.exit(main())
