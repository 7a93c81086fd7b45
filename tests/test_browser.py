"""A course notebook run the way a student runs it: JupyterLab in headless Chromium.

The other tests talk to the kernel over ZeroMQ, so they cannot see what JupyterLab makes of
its messages. Here JupyterLab runs on localhost, Debian's `chromium` (driven by Playwright,
which downloads no browser) opens a copy of the course, and the Run menu runs every cell. The
page must show the plot as SVG and the digest the export cell wrote to manifest.json, with no
error under any cell. A screenshot goes to $REPRONOTE_TEST_OUTPUT/browser/ (default tests/output).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import Page, sync_playwright

NOTEBOOK = "03-exporting.ipynb"
KERNEL_DISPLAY_NAME = "Rust (linfa)"
COURSE = Path(__file__).resolve().parent.parent / "notebooks"
OUTPUT = Path(os.environ.get("REPRONOTE_TEST_OUTPUT", Path(__file__).resolve().parent / "output")) / "browser"

CHROMIUM = Path("/usr/bin/chromium")
# No sandbox (CI runs as root), no GPU, and none of Chromium's own calls home: without the
# background-networking flags it keeps retrying them against the closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LAB_START_TIMEOUT = 60
# A fresh kernel's first cell waits for evcxr and the prelude (up to ~2 minutes on 2 cores).
RUN_ALL_TIMEOUT = 300
MS = 1000

# The settings a student would pick on the first toast: no news, no update checks.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


@dataclass
class Lab:
    url: str
    token: str
    log: Path

    def notebook_url(self, name: str) -> str:
        return f"{self.url}/lab/tree/{urllib.parse.quote(name)}?token={self.token}"

    def request(self, path: str, method: str = "GET", timeout: float = 5) -> bytes:
        req = urllib.request.Request(
            f"{self.url}{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.read()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def jupyter_lab(root: Path, state: Path) -> Iterator[Lab]:
    """JupyterLab on 127.0.0.1 serving `root`, offline and with its settings in `state`.

    Prints the server's log if the body fails, and always stops the server and its kernels.
    """
    for name, values in LAB_SETTINGS.items():
        (state / "settings" / name).parent.mkdir(parents=True, exist_ok=True)
        (state / "settings" / name).write_text(json.dumps(values))
    env = {
        **os.environ,  # passes REPRONOTE_CACHE through to the kernel
        "JUPYTER_CONFIG_DIR": str(state / "config"),
        "JUPYTER_RUNTIME_DIR": str(state / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(state / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(state / "workspaces"),
    }
    port, token = free_port(), secrets.token_hex(16)
    args = [
        sys.executable, "-m", "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.open_browser=False",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ]  # fmt: skip
    if os.geteuid() == 0:
        args.append("--allow-root")
    log = state / "jupyterlab.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            args, env=env, cwd=root, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    lab = Lab(f"http://127.0.0.1:{port}", token, log)
    try:
        wait_until_serving(lab, server)
        yield lab
    except BaseException:
        print(f"--- JupyterLab log ({log}) ---\n{log.read_text(errors='replace')}")
        raise
    finally:
        stop(lab, server)


def wait_until_serving(lab: Lab, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + LAB_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"JupyterLab exited with status {server.returncode} before serving")
        try:
            lab.request("/api/status")
            return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"JupyterLab did not answer /api/status within {LAB_START_TIMEOUT} s")


def stop(lab: Lab, server: subprocess.Popen) -> None:
    """Asks the server to shut down (it stops its kernels), then ends its process group."""
    try:
        lab.request("/api/shutdown", method="POST")
        server.wait(timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        pass
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(server.pid, sig)
            server.wait(timeout=10)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def chromium_page(failure_screenshot: Path) -> Iterator[Page]:
    """A page in headless Debian Chromium; saves `failure_screenshot` if the body fails."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            try:
                yield page
            except BaseException:
                try:
                    save_screenshot(page, failure_screenshot)
                    print(f"screenshot of the failure: {failure_screenshot}")
                except Exception as error:  # the test's own failure matters more
                    print(f"no screenshot of the failure: {error}")
                raise
        finally:
            browser.close()


def open_notebook(page: Page, url: str) -> None:
    """Opens the notebook and waits until its kernel is connected and idle."""
    page.goto(url)
    toolbar = page.locator(".jp-NotebookPanel-toolbar")
    toolbar.locator('[data-jp-item-name="kernelName"]', has_text=KERNEL_DISPLAY_NAME).wait_for(
        timeout=60 * MS
    )
    toolbar.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').wait_for(
        state="attached", timeout=60 * MS
    )


def kernel_status(page: Page) -> str | None:
    return page.locator(".jp-NotebookPanel-toolbar .jp-Notebook-ExecutionIndicator").get_attribute(
        "data-status"
    )


def prompts(page: Page) -> list[str]:
    # textContent, not innerText: cells scrolled out of view are skipped by the browser's
    # layout (content-visibility), and their innerText is empty.
    return [
        text.strip()
        for text in page.locator(".jp-Notebook .jp-CodeCell .jp-InputArea-prompt").all_text_contents()
    ]


def run_all_cells(page: Page) -> list[str]:
    """Run → Run All Cells, then waits until no cell is queued or running and the kernel is idle.

    Returns the code cells' prompts; a cell that failed leaves the cells after it unrun.
    """
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    started = False
    deadline = time.monotonic() + RUN_ALL_TIMEOUT
    while time.monotonic() < deadline:
        current = prompts(page)
        started = started or any(p != "[ ]:" for p in current)
        if started and "[*]:" not in current and kernel_status(page) == "idle":
            return current
        time.sleep(1)
    pytest.fail(f"cells still running after {RUN_ALL_TIMEOUT} s: {prompts(page)}, kernel {kernel_status(page)}")


def save_notebook(page: Page) -> None:
    """The toolbar's Save button; waits until the tab no longer shows unsaved changes."""
    page.locator('.jp-NotebookPanel-toolbar [data-jp-item-name="save"]').click()
    page.locator(".lm-TabBar-tab.jp-mod-current.jp-mod-dirty").wait_for(state="detached", timeout=30 * MS)


def svg_sources(page: Page) -> list[str]:
    """The SVG documents the outputs show. JupyterLab 4 renders image/svg+xml as an <img> with
    a data: URL (so it can be saved); `naturalWidth` is 0 unless the browser could draw it."""
    images = page.locator(
        '.jp-OutputArea-output[data-mime-type="image/svg+xml"] img[src^="data:image/svg+xml,"]'
    )
    sources = []
    for image in images.all():
        assert image.evaluate("img => img.complete && img.naturalWidth > 0"), "an SVG did not load"
        src = image.get_attribute("src")
        sources.append(urllib.parse.unquote(src.removeprefix("data:image/svg+xml,")))
    return sources


def save_screenshot(page: Page, path: Path) -> None:
    """Grows the window to the notebook's height (it scrolls inside the page), then saves it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scroller = page.locator(".jp-NotebookPanel .jp-WindowedPanel-outer")
    if scroller.count() == 1:
        hidden = scroller.evaluate("el => el.scrollHeight - el.clientHeight")
        size = page.viewport_size
        page.set_viewport_size({"width": size["width"], "height": min(size["height"] + hidden, 8000)})
        scroller.evaluate("el => el.scrollTo(0, 0)")
        page.wait_for_timeout(500)
    page.screenshot(path=path, full_page=True)


def test_run_all_cells_in_jupyterlab_shows_plot_and_digest(tmp_path):
    # The course's files without what running it in place left behind (exports are folders).
    course = tmp_path / "notebooks"
    course.mkdir()
    for path in COURSE.iterdir():
        if path.is_file():
            shutil.copy(path, course)
    code_cells = sum(c.cell_type == "code" for c in nbformat.read(course / NOTEBOOK, as_version=4).cells)
    state = tmp_path / "jupyter"
    state.mkdir()
    screenshot = OUTPUT / NOTEBOOK.replace(".ipynb", ".png")
    failed = screenshot.with_name(screenshot.stem + "-failed.png")
    for stale in (screenshot, failed):
        stale.unlink(missing_ok=True)

    with jupyter_lab(course, state) as lab, chromium_page(failed) as page:
        open_notebook(page, lab.notebook_url(NOTEBOOK))
        finished = run_all_cells(page)
        # Compiler errors and panics show as stderr, and so does harmless text: the progress of a
        # stack rebuild ("Compiling thiserror ..."), hence the anchored patterns.
        stderr = page.locator(
            '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
        ).all_text_contents()
        errors = [e for e in stderr if re.search(r"^error\b|panicked", e, re.I | re.M)]
        assert not errors, f"a cell shows an error: {errors}"
        assert len(finished) == code_cells, finished
        assert all(re.fullmatch(r"\[\d+\]:", p) for p in finished), f"not every cell ran: {finished}"
        # What the page showed, saved as a student would: no cell has an error output.
        save_notebook(page)
        saved = [c for c in nbformat.read(course / NOTEBOOK, as_version=4).cells if c.cell_type == "code"]
        assert all(c.execution_count for c in saved), "the saved notebook lacks the run's outputs"
        error_outputs = [o for c in saved for o in c.outputs if o.output_type == "error"]
        assert not error_outputs, [f"{o.ename}: {o.evalue}" for o in error_outputs]

        svgs = svg_sources(page)
        assert svgs, "no output shows an SVG"
        assert all(s.lstrip().startswith("<svg") and s.rstrip().endswith("</svg>") for s in svgs)

        manifest = json.loads((course / "iris-tree" / "manifest.json").read_text())
        digest = manifest["artifact_sha256"]
        assert re.fullmatch(r"[0-9a-f]{64}", digest), digest
        outputs = "\n".join(page.locator(".jp-OutputArea-output").all_text_contents())
        assert digest in outputs, "the manifest's artifact digest is not on the page"

        save_screenshot(page, screenshot)
        print(f"screenshot: {screenshot}")
