"""Shared helpers: a real kernel started through the installed `linfa` kernelspec."""

from __future__ import annotations

import hashlib
import queue
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager, start_new_kernel

KERNEL_NAME = "linfa"
# The first cell of a fresh kernel waits for evcxr to start and compile the prelude.
FIRST_CELL_TIMEOUT = 300
CELL_TIMEOUT = 120


@dataclass
class Execution:
    reply: dict[str, Any]
    outputs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.reply["content"]["status"]

    def of_type(self, msg_type: str) -> list[dict[str, Any]]:
        return [m for m in self.outputs if m["msg_type"] == msg_type]

    def stream(self, name: str = "stdout") -> list[dict[str, Any]]:
        return [m for m in self.of_type("stream") if m["content"]["name"] == name]

    def text(self, name: str = "stdout") -> str:
        return "".join(m["content"]["text"] for m in self.stream(name))

    def stdout(self) -> str:
        return self.text("stdout")

    def result_text(self) -> str | None:
        results = self.of_type("execute_result")
        return results[0]["content"]["data"]["text/plain"] if results else None


def execute(kc: BlockingKernelClient, code: str, timeout: float = CELL_TIMEOUT, **kwargs: Any) -> Execution:
    """Runs `code` and collects its iopub outputs (with arrival times) and its reply."""
    msg_id = kc.execute(code, **kwargs)
    outputs = []
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no idle status for {code!r} within {timeout} s")
        try:
            msg = kc.get_iopub_msg(timeout=remaining)
        except queue.Empty:
            continue
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        msg["received_at"] = time.monotonic()
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
        if msg["msg_type"] not in ("status", "execute_input"):
            outputs.append(msg)
    while True:
        reply = kc.get_shell_msg(timeout=timeout)
        if reply["parent_header"].get("msg_id") == msg_id:
            return Execution(reply, outputs)


def ok(kc: BlockingKernelClient, code: str, timeout: float = FIRST_CELL_TIMEOUT) -> Execution:
    """Runs `code`, which must succeed; the failure shows the kernel's error and traceback."""
    run = execute(kc, code, timeout=timeout)
    content = run.reply["content"]
    assert run.status == "ok", f"{code!r} failed: {content.get('ename')}: {content.get('evalue')}\n" + "\n".join(
        content.get("traceback", [])
    )
    return run


def start_kernel(**kwargs: Any) -> tuple[KernelManager, BlockingKernelClient]:
    """A fresh kernel whose first cell has run; `kwargs` go to `KernelManager.start_kernel`."""
    km, kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=60, **kwargs)
    warm = execute(kc, "0", timeout=FIRST_CELL_TIMEOUT)
    assert warm.status == "ok", warm.reply
    return km, kc


@pytest.fixture(scope="module")
def kernel():
    km, kc = start_kernel()
    yield km, kc
    kc.stop_channels()
    km.shutdown_kernel()


@pytest.fixture(scope="module")
def kc(kernel) -> BlockingKernelClient:
    return kernel[1]


def documented_cell_seed(session_seed: int, identity: str) -> int:
    """The cell seed derivation documented in kernel/repronote-seeding/src/policy.rs, computed independently."""
    digest = hashlib.sha256(
        b"linfa-kernel cell seed v1" + session_seed.to_bytes(8, "little") + identity.encode()
    ).digest()
    return int.from_bytes(digest[:8], "little")
